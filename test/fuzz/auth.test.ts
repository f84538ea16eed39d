// Authentication, generated: missing and malformed Authorization headers, expired and not-yet-valid tokens,
// tokens signed wrongly (another secret, alg none, an RS256 header over an HMAC, HS384/HS512) and tokens
// whose claims were edited without re-signing are 401 problems; a valid token whose roles the endpoint does
// not admit is a 403 problem. Every endpoint the OpenAPI document secures, and nothing changes.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import type { Claims } from '../../api/auth';
import { ROLES } from '../../workflows/vocabulary';
import { PROBLEM_BASE } from '../../api/problems';
import { ACTION_NAMES, type ActionName } from '../../workflows/vocabulary';
import { apiHarness, callers, type ApiHarness } from '../api/support';
import {
  announceSeed, BODIES, expectRefusal, FUZZ_RULES, IDEA, MEETING, nastyString, PROJECT, runs, send, unchangedBy,
  type Method,
} from './support';

let h: ApiHarness;
let caseId: string;
let endpoints: Endpoint[];

interface Endpoint { method: Method; url: string; body?: object; caseId?: string; roles?: string[] }

type Doc = { paths: Record<string, Record<string, { security?: unknown[]; description?: string; requestBody?: unknown }>> };

/** Every secured operation of the OpenAPI document, with a concrete URL, a valid body and the roles it admits. */
function securedEndpoints(doc: Doc): Endpoint[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops)
    .filter(([, op]) => op.security === undefined || op.security.length > 0)
    .map(([method, op]) => {
      const action = /\/actions\/([a-z-]+)$/.exec(path)?.[1] as ActionName | undefined;
      const roles = /Roles: ([^.]+)\./.exec(op.description ?? '')?.[1].split(', ');
      const url = `/api/v1${path.replace('/portfolios/{id}', '/portfolios/p1').replace('{id}', caseId).replace('{year}', PROJECT.start.slice(0, 4))}`;
      const bodies: Record<string, object> = {
        'post /cases': IDEA,
        'post /organisations': { id: 'fuzz-org', name: 'Fuzzförvaltningen', type: 'forvaltning' },
        'post /council/meetings': { date: MEETING.date },
        'post /rule-sets': FUZZ_RULES,
        'put /portfolios/{id}/frames/{year}': { amount: 40_000_000 },
      };
      const body = op.requestBody ? (action && ACTION_NAMES.includes(action) ? BODIES[action] : bodies[`${method} ${path}`] ?? {}) : undefined;
      return { method: method as Method, url, body, caseId: path.startsWith('/cases/{id}') ? caseId : undefined, roles };
    }));
}

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const hmac = (hash: 'sha256' | 'sha384' | 'sha512', key: string | Buffer, data: string) => createHmac(hash, key).update(data).digest('base64url');

/** A compact JWS over exactly this header and payload, HMAC-signed with `key`. */
function jwt(header: object, payload: object, key: string | Buffer = SECRET, hash: 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  const data = `${b64(header)}.${b64(payload)}`;
  return `${data}.${hmac(hash, key, data)}`;
}

const HS256 = { alg: 'HS256', typ: 'JWT' };
const claimsFor = (c: Claims, over: Record<string, unknown> = {}) => ({ ...c, iat: now(), exp: now() + 3600, ...over });

beforeAll(async () => {
  announceSeed('auth.test.ts');
  h = await apiHarness({ worker: true });
  expect(h.config.jwt.secret).toBe(SECRET);
  const created = await send(h, { method: 'post', url: '/api/v1/cases', authorization: await h.auth('applicant'), json: IDEA });
  expect(created.status).toBe(201);
  caseId = created.body.id;
  endpoints = securedEndpoints((await request(h.app).get('/openapi.json')).body as Doc);
}, 120_000);
afterAll(() => h?.close());

const endpoint = () => fc.constantFrom(...endpoints);
const caller = fc.constantFrom(...Object.values(callers));

/** A 401 problem naming the bearer scheme, and nothing changed. */
async function expectUnauthenticated(e: Endpoint, authorization: string | undefined): Promise<void> {
  const res = await unchangedBy(h, e.caseId, () => send(h, { method: e.method, url: e.url, authorization, json: e.body }));
  expectRefusal(res, 401);
  expect(res.body.type).toBe(`${PROBLEM_BASE}unauthenticated`);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
}

test('the baseline: a token made here the way the service signs them is accepted', async () => {
  const res = await send(h, { method: 'get', url: `/api/v1/cases/${caseId}`, authorization: `Bearer ${jwt(HS256, claimsFor(callers.officer))}` });
  expect(res.status).toBe(200);
  expect(endpoints.length).toBeGreaterThan(30);
});

describe('401: no usable token', () => {
  test('a missing or malformed Authorization header', async () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
    const valid = () => jwt(HS256, claimsFor(callers.admin));
    const header = fc.oneof(
      fc.constantFrom<string | undefined>(undefined, '', 'Bearer', 'Bearer ', 'Bearer  ', 'Basic YWRtaW46YWRtaW4=', 'Digest x', 'Bearer null', 'Bearer undefined', 'Bearer ...', 'Bearer a.b.c'),
      printable,
      printable.map((s) => `Bearer ${s}`),
      fc.tuple(fc.base64String({ minLength: 4, maxLength: 40 }), fc.base64String({ minLength: 4, maxLength: 80 }), fc.base64String({ maxLength: 40 }))
        .map((parts) => `Bearer ${parts.join('.')}`),
      fc.constantFrom('Token ', 'Bearer: ', 'JWT ', '', 'Bearer\t').map((scheme) => `${scheme}${valid()}`),
      fc.constantFrom(' extra', ',x', '.', '.x').map((tail) => `Bearer ${valid()}${tail}`),
    );
    await fc.assert(fc.asyncProperty(endpoint(), header, async (e, authorization) => {
      await expectUnauthenticated(e, authorization);
    }), runs(60));
  });

  test('an expired token', async () => {
    const arb = fc.record({ e: endpoint(), who: caller, ago: fc.integer({ min: 60, max: 10 * 365 * 86_400 }) });
    await fc.assert(fc.asyncProperty(arb, async ({ e, who, ago }) => {
      await expectUnauthenticated(e, `Bearer ${jwt(HS256, claimsFor(who, { iat: now() - ago - 3600, exp: now() - ago }))}`);
    }), runs(40));
  });

  test('a token without exp, or without iat: it would never expire, or its age could not be told', async () => {
    const arb = fc.record({ e: endpoint(), who: caller, drop: fc.constantFrom('exp', 'iat', 'both') });
    await fc.assert(fc.asyncProperty(arb, async ({ e, who, drop }) => {
      const claims = claimsFor(who, { ...(drop !== 'iat' ? { exp: undefined } : {}), ...(drop !== 'exp' ? { iat: undefined } : {}) });
      await expectUnauthenticated(e, `Bearer ${jwt(HS256, claims)}`);
    }), runs(30));
  });

  test('a token older than the maximum token age (12 hours), even with an exp far ahead', async () => {
    expect(h.config.jwt.maxTokenAge).toBe('12h');
    const arb = fc.record({ e: endpoint(), who: caller, age: fc.integer({ min: 12 * 3600 + 60, max: 10 * 365 * 86_400 }) });
    await fc.assert(fc.asyncProperty(arb, async ({ e, who, age }) => {
      await expectUnauthenticated(e, `Bearer ${jwt(HS256, claimsFor(who, { iat: now() - age, exp: now() + 3600 }))}`);
    }), runs(30));
  });

  test('a token not valid yet (nbf in the future)', async () => {
    const arb = fc.record({ e: endpoint(), who: caller, ahead: fc.integer({ min: 60, max: 10 * 365 * 86_400 }) });
    await fc.assert(fc.asyncProperty(arb, async ({ e, who, ahead }) => {
      await expectUnauthenticated(e, `Bearer ${jwt(HS256, claimsFor(who, { nbf: now() + ahead, exp: now() + ahead + 3600 }))}`);
    }), runs(40));
  });

  test('a token signed wrongly: another secret, alg none, an RS256 header over an HMAC, HS384 or HS512, a broken signature', async () => {
    const wrong = fc.oneof(
      fc.uint8Array({ minLength: 16, maxLength: 64 }).map((key) => (c: Claims) => jwt(HS256, claimsFor(c), Buffer.from(key))),
      fc.constant((c: Claims) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsFor(c))}.`),
      fc.constant((c: Claims) => `${b64({ alg: 'none' })}.${b64(claimsFor(c))}.${hmac('sha256', SECRET, `${b64({ alg: 'none' })}.${b64(claimsFor(c))}`)}`),
      fc.constantFrom('RS256', 'ES256', 'PS256', 'EdDSA').map((alg) => (c: Claims) => jwt({ alg, typ: 'JWT' }, claimsFor(c))),
      fc.constantFrom(['HS384', 'sha384'] as const, ['HS512', 'sha512'] as const).map(([alg, hash]) => (c: Claims) => jwt({ alg, typ: 'JWT' }, claimsFor(c), SECRET, hash)),
      fc.constant((c: Claims) => jwt({ alg: 'hs256', typ: 'JWT' }, claimsFor(c))),
      fc.constant((c: Claims) => jwt({ ...HS256, crit: ['x-unknown'], 'x-unknown': true }, claimsFor(c))),
      fc.nat().map((n) => (c: Claims) => {
        const t = jwt(HS256, claimsFor(c));
        const sig = t.slice(t.lastIndexOf('.') + 1);
        // Not the last character: its low bits are padding, which decoders ignore.
        const i = n % (sig.length - 1);
        const flipped = sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1);
        return `${t.slice(0, t.lastIndexOf('.') + 1)}${flipped}`;
      }),
      fc.constant((c: Claims) => { const t = jwt(HS256, claimsFor(c)); return t.slice(0, t.lastIndexOf('.') + 1); }),
    );
    await fc.assert(fc.asyncProperty(endpoint(), caller, wrong, async (e, who, make) => {
      await expectUnauthenticated(e, `Bearer ${make(who)}`);
    }), runs(50));
  });

  test('a token whose claims were edited without re-signing (roles forged, another org or subject, a later expiry)', async () => {
    const allRoles = [...ROLES, 'decider:stadsdirektor', 'decider:ks-ekonomiutskott'];
    const edit = fc.oneof(
      fc.subarray(allRoles, { minLength: 1 }).map((roles) => (p: Record<string, unknown>) => ({ ...p, roles })),
      fc.constant((p: Record<string, unknown>) => ({ ...p, roles: [...(p.roles as string[]), 'admin'] })),
      fc.constantFrom('stadsbyggnad', 'stokab', 'x').map((org) => (p: Record<string, unknown>) => ({ ...p, org })),
      fc.constantFrom('adam', 'root', 'system').map((sub) => (p: Record<string, unknown>) => ({ ...p, sub })),
      fc.integer({ min: 1, max: 10 * 365 * 86_400 }).map((more) => (p: Record<string, unknown>) => ({ ...p, exp: (p.exp as number) + more })),
    );
    await fc.assert(fc.asyncProperty(endpoint(), caller, edit, async (e, who, change) => {
      const [header, payload, signature] = jwt(HS256, claimsFor(who)).split('.');
      const original = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const forged = b64(change(original));
      fc.pre(forged !== payload);
      await expectUnauthenticated(e, `Bearer ${header}.${forged}.${signature}`);
    }), runs(50));
  });

  test('a token signed with the right secret whose claims are not a caller (no subject, no or unknown roles, bad email)', async () => {
    const bad = fc.oneof(
      fc.constant((c: Claims) => claimsFor(c, { sub: undefined })),
      fc.constantFrom<unknown>('', null, 42, ['x']).map((sub) => (c: Claims) => claimsFor(c, { sub })),
      fc.constantFrom<unknown>(undefined, [], 'admin', null, {}, [42], ['superuser'], ['decider:'], ['decider:Stads Direktör'], ['ADMIN'])
        .map((roles) => (c: Claims) => claimsFor(c, { roles })),
      nastyString.filter((r) => !(ROLES as readonly string[]).includes(r) && !/^decider:[a-z0-9-]{1,50}$/.test(r)).map((r) => (c: Claims) => claimsFor(c, { roles: [r] })),
      fc.constantFrom('not-an-email', 'a@', '@b.se', 42).map((email) => (c: Claims) => claimsFor(c, { email })),
      fc.constantFrom('name', 'org').map((k) => (c: Claims) => claimsFor(c, { [k]: 'x'.repeat(201) })),
      fc.constantFrom('exp', 'nbf', 'iat').map((k) => (c: Claims) => claimsFor(c, { [k]: 'tomorrow' })),
    );
    await fc.assert(fc.asyncProperty(endpoint(), caller, bad, async (e, who, claims) => {
      await expectUnauthenticated(e, `Bearer ${jwt(HS256, claims(who))}`);
    }), runs(50));
  });
});

describe('403: a valid token whose roles the endpoint does not admit', () => {
  test('is refused before anything is read or done', async () => {
    const allRoles = [...ROLES, 'decider:stadsdirektor', 'decider:ks-ekonomiutskott'];
    const admits = (e: Endpoint, role: string) => e.roles!.includes(role) || (role.startsWith('decider:') && e.roles!.includes('decider:<tier>'));
    const restricted = endpoints.filter((e) => e.roles !== undefined);
    expect(restricted.length).toBeGreaterThan(20);
    const arb = fc.constantFrom(...restricted).chain((e) => fc.record({
      e: fc.constant(e),
      roles: fc.subarray(allRoles.filter((r) => !admits(e, r)), { minLength: 1 }),
      org: fc.constantFrom(undefined, 'utbildning', 'stadsbyggnad'),
    }));
    await fc.assert(fc.asyncProperty(arb, async ({ e, roles, org }) => {
      const claims = { sub: 'fuzz', name: 'Fuzz Fuzzsson', roles, ...(org ? { org } : {}) };
      const res = await unchangedBy(h, e.caseId, () => send(h, { method: e.method, url: e.url, authorization: `Bearer ${jwt(HS256, claimsFor(claims))}`, json: e.body }));
      expectRefusal(res, 403);
      expect(res.body.type).toBe(`${PROBLEM_BASE}forbidden`);
    }), runs(60));
  });
});
