// Bad input, generated: garbage bodies for every action (at a case where the caller may take it now, and
// at cases where they may not), for every other body, in query strings and path ids; oversized and broken
// JSON; rule breaks in well-formed bodies; the wrong role and another organisation's case. Every answer is
// a 4xx problem+json and nothing the service stores changes.
import fc from 'fast-check';
import { z } from 'zod';
import { ACTION_NAMES, type ActionName } from '../../workflows/vocabulary';
import { caseInput, ruleSetInput } from '../../workflows/inputs';
import { actionInput } from '../../workflows/inputs';
import { allowedActionsFor, STEPS } from '../../workflows/steps';
import { STAGES } from '../../workflows/types';
import { apiHarness, type ApiHarness } from '../api/support';
import {
  actorOf, announceSeed, application, BODIES, badDate, badNumber, badValue, brokenPercent, buildWorld, CASE_KEYS, claimsOf, EVERYONE,
  decidesUpTo, expectNoServerError, expectRefusal, forgedCursor, FUZZ_RULES, garbageBody, hasActionRole, HOME, IDEA, malformedJson, MEETING,
  mustRefuse, nastyString, PROJECT, percentEncode, referenceOperation, runs, send, SHARED_CLAIM, unchangedBy,
  type Caller, type CaseKey, type Method, type World,
} from './support';

let h: ApiHarness;
let world: World;

beforeAll(async () => {
  announceSeed('garbage.test.ts');
  h = await apiHarness({ worker: true });
  world = await buildWorld(h);
}, 300_000);
afterAll(() => h?.close());

const actionUrl = (at: CaseKey, action: ActionName) => `/api/v1/cases/${world.ids[at]}/actions/${action}`;
const as = (who: Caller) => h.auth(claimsOf(who));

/** Trimmed, non-empty, storable text of at most max characters: what a text field accepts. */
const wellFormedText = (max: number) => fc.string({ unit: 'grapheme', minLength: 1, maxLength: max })
  .filter((s) => s.trim().length > 0 && s.trim().length <= max && !s.includes('\u0000'));

test('every action has a case where its caller may take it now (so a refusal there is about the body)', async () => {
  for (const action of ACTION_NAMES) {
    const { at, who } = HOME[action];
    const res = await send(h, { method: 'get', url: `/api/v1/cases/${world.ids[at]}`, authorization: await as(who) });
    expect({ action, allowed: res.body.allowedActions.includes(action) }).toEqual({ action, allowed: true });
  }
});

describe('action bodies', () => {
  test.each(ACTION_NAMES)('%s: garbage where the action is allowed is a 400 problem and changes nothing', async (action) => {
    const { at, who } = HOME[action];
    const authorization = await as(who);
    await fc.assert(fc.asyncProperty(garbageBody(BODIES[action]), async (body) => {
      fc.pre(mustRefuse(actionInput(action), body));
      const res = await unchangedBy(h, world.ids[at], () => send(h, { method: 'post', url: actionUrl(at, action), authorization, json: body }));
      expectRefusal(res, [400, 413]);
    }), runs(25));
  });

  test('garbage at a case in any stage is a 400 problem and changes nothing', async () => {
    const arb = fc.constantFrom(...ACTION_NAMES).chain((action) => fc.record({
      action: fc.constant(action), at: fc.constantFrom(...CASE_KEYS), body: garbageBody(BODIES[action]),
    }));
    await fc.assert(fc.asyncProperty(arb, async ({ action, at, body }) => {
      fc.pre(mustRefuse(actionInput(action), body));
      const res = await unchangedBy(h, world.ids[at], async () => send(h, { method: 'post', url: actionUrl(at, action), authorization: await as(HOME[action].who), json: body }));
      expectRefusal(res, [400, 413]);
    }), runs(60));
  });

  test('a valid body in a stage or state that does not take the action is a 409 naming the stage, and changes nothing', async () => {
    const arb = fc.record({ action: fc.constantFrom(...ACTION_NAMES), at: fc.constantFrom(...CASE_KEYS) });
    await fc.assert(fc.asyncProperty(arb, async ({ action, at }) => {
      const { who } = HOME[action];
      fc.pre(!allowedActionsFor(world.views[at], actorOf(who), Date.now()).includes(action));
      const res = await unchangedBy(h, world.ids[at], async () => send(h, { method: 'post', url: actionUrl(at, action), authorization: await as(who), json: BODIES[action] }));
      expectRefusal(res, 409);
      expect(res.body).toMatchObject({ stage: world.views[at].stage, allowedActions: expect.any(Array) });
      expect(res.body.allowedActions).not.toContain(action);
    }), runs(60));
  });

  test('a caller without a role the action admits gets a 403, whatever the body, and nothing changes', async () => {
    const roles = ['applicant', 'officer', 'valuer', 'preparer', 'council', 'budget', 'auditor', 'admin', 'decider:stadsdirektor', 'decider:ks-ekonomiutskott'];
    const arb = fc.constantFrom(...ACTION_NAMES).chain((action) => {
      const lacking = roles.filter((r) => !admits(action, r));
      return fc.record({
        action: fc.constant(action),
        at: fc.constantFrom(...CASE_KEYS),
        roles: fc.subarray(lacking, { minLength: 1 }),
        body: fc.oneof(fc.constant<unknown>(BODIES[action]), garbageBody(BODIES[action])),
      });
    });
    await fc.assert(fc.asyncProperty(arb, async ({ action, at, roles: held, body }) => {
      const authorization = await h.auth({ sub: 'fuzz', name: 'Fuzz', roles: held, org: 'utbildning' });
      const res = await unchangedBy(h, world.ids[at], () => send(h, { method: 'post', url: actionUrl(at, action), authorization, json: body }));
      // The body is read before the token: JSON that is not an object or array, or too large, is refused first.
      const unreadable = body === null || typeof body !== 'object';
      expectRefusal(res, unreadable ? 400 : [403, 413]);
      if (res.status === 413) expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(256 * 1024);
    }), runs(50));
  });

  test("another organisation's applicant gets a 403 on every case, reading or acting, and nothing changes", async () => {
    const applicantActions = ACTION_NAMES.filter((a) => hasActionRole(a, 'otherApplicant'));
    const arb = fc.record({
      at: fc.constantFrom(...CASE_KEYS),
      what: fc.oneof(fc.constantFrom('view', 'history'), fc.constantFrom(...applicantActions)),
    });
    const authorization = await as('otherApplicant');
    await fc.assert(fc.asyncProperty(arb, async ({ at, what }) => {
      const id = world.ids[at];
      const res = await unchangedBy(h, id, () => (what === 'view' || what === 'history'
        ? send(h, { method: 'get', url: `/api/v1/cases/${id}${what === 'history' ? '/history' : ''}`, authorization })
        : send(h, { method: 'post', url: actionUrl(at, what as ActionName), authorization, json: BODIES[what as ActionName] })));
      expectRefusal(res, 403);
    }), runs(40));
  });
});

/** Whether a role is one the action admits (any decider tier for the decider's actions). */
const admits = (action: ActionName, role: string) => STEPS[action].roles.some((a) => (a === 'decider' ? role.startsWith('decider:') : a === role));

describe('well-formed bodies that break a rule', () => {
  const openReports = (at: CaseKey) => world.views[at].reports.filter((r) => !['scheduled', 'received'].includes(r.status)).map((r) => r.id);
  const otherThan = (taken: () => string[]) => (s: string) => !taken().includes(s.trim());
  const pastDay = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date(Date.now() - 3 * 86_400_000), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  const refusals: { name: string; action: ActionName; at: CaseKey; who: fc.Arbitrary<Caller>; body: fc.Arbitrary<object>; statuses: number[] }[] = [
    {
      name: 'an application to a portfolio that does not exist (422)', action: 'submit-application', at: 'application', who: fc.constant('applicant'),
      body: wellFormedText(50).filter(otherThan(() => ['p1', 'p2', 'p3', 'p4', 'p5'])).map((portfolio) => ({ ...application('utbildning:fuzz-rule'), portfolio })),
      statuses: [422],
    },
    {
      name: 'an application without the benefit calculation outside the experimental portfolio (422)', action: 'submit-application', at: 'application', who: fc.constant('applicant'),
      body: fc.subarray(['citizenBenefit', 'businessBenefit', 'developmentCost', 'operationCost'], { minLength: 1 }).map((gone) => {
        const body = application('utbildning:fuzz-rule');
        for (const k of gone) delete (body.benefits as Record<string, unknown>)[k];
        return body;
      }),
      statuses: [422],
    },
    {
      name: 'a council meeting that does not exist (422)', action: 'schedule-council', at: 'councilOpen', who: fc.constant('officer'),
      body: wellFormedText(100).filter(otherThan(() => [MEETING.id])).map((meetingId) => ({ meetingId })), statuses: [422],
    },
    {
      name: 'a grant above the application, or by the wrong tier (403, 422)', action: 'decide', at: 'decisionChecked', who: fc.constantFrom('director', 'committee'),
      body: fc.integer({ min: 1, max: 100_000_000_000 }).map((grantedAmount) => ({ ...BODIES.decide, grantedAmount })), statuses: [403, 422],
    },
    {
      name: 'a status report that does not exist or is not open (422)', action: 'submit-report', at: 'executionChange', who: fc.constant('applicant'),
      body: fc.oneof(fc.constantFrom('S99', 'E1', 'F', `T3-${PROJECT.start.slice(0, 4)}`, 's1'), wellFormedText(50))
        .filter(otherThan(() => openReports('executionChange'))).map((reportId) => ({ ...BODIES['submit-report'], reportId })),
      statuses: [422],
    },
    {
      name: 'an effect report that does not exist (422)', action: 'submit-effect-report', at: 'followUp', who: fc.constant('applicant'),
      body: fc.oneof(fc.constantFrom('E2', 'S1', 'F', 'e1'), wellFormedText(50)).filter(otherThan(() => openReports('followUp')))
        .map((reportId) => ({ ...BODIES['submit-effect-report'], reportId })),
      statuses: [422],
    },
    {
      name: 'resolving a double count that is not flagged (422)', action: 'resolve-double-count', at: 'preparation', who: fc.constant('officer'),
      body: wellFormedText(100).filter(otherThan(() => [SHARED_CLAIM])).map((key) => ({ ...BODIES['resolve-double-count'], key })), statuses: [422],
    },
    {
      name: 'a completion due date that has passed (422)', action: 'request-completion', at: 'preparation', who: fc.constant('preparer'),
      body: pastDay.map((dueDate) => ({ ...BODIES['request-completion'], dueDate })), statuses: [422],
    },
    {
      name: "a valuation by a valuer of the case's own organisation (403)", action: 'record-valuation', at: 'preparation', who: fc.constant('ownOrgValuer'),
      body: fc.constant(BODIES['record-valuation']), statuses: [403],
    },
    {
      name: 'a change or termination decided by the wrong tier (403)', action: 'decide-change', at: 'executionChange', who: fc.constant('director'),
      body: fc.constantFrom<object>(BODIES['decide-change'], { outcome: 'reject', motivation: 'Nej' }), statuses: [403],
    },
    {
      name: 'a termination by the wrong tier (403)', action: 'terminate', at: 'executionChange', who: fc.constant('director'),
      body: wellFormedText(200).map((motivation) => ({ motivation })), statuses: [403],
    },
  ];

  test.each(refusals.map((r) => [r.name, r] as const))('%s, and nothing changes', async (_name, r) => {
    await fc.assert(fc.asyncProperty(r.who, r.body, async (who, body) => {
      // A grant within the caller's delegation, up to what was applied for, is no rule break.
      const grant = (body as { grantedAmount?: number }).grantedAmount ?? 0;
      fc.pre(!(r.action === 'decide' && grant <= PROJECT.cost && grant <= decidesUpTo(who)));
      const res = await unchangedBy(h, world.ids[r.at], async () => send(h, { method: 'post', url: actionUrl(r.at, r.action), authorization: await as(who), json: body }));
      expectRefusal(res, r.statuses);
    }), runs(20));
  });

  test('an idea for an organisation that does not exist, for another one, or for none (422, 403, 422); nothing changes', async () => {
    const arb = fc.oneof(
      wellFormedText(100).filter((o) => !['utbildning', 'stadsbyggnad', 'stadsledningskontoret', 'socialforvaltningen', 'serviceforvaltningen', 'stockholm-vatten', 'stokab'].includes(o.trim()))
        .map((organisation) => ({ who: 'officer' as Caller, body: { ...IDEA, organisation }, status: 422 })),
      fc.constantFrom('stadsbyggnad', 'stokab', 'stadsledningskontoret').map((organisation) => ({ who: 'applicant' as Caller, body: { ...IDEA, organisation }, status: 403 })),
      fc.constant({ who: 'officer' as Caller, body: IDEA, status: 422 }),
    );
    await fc.assert(fc.asyncProperty(arb, async ({ who, body, status }) => {
      const res = await unchangedBy(h, undefined, async () => send(h, { method: 'post', url: '/api/v1/cases', authorization: await as(who), json: body }));
      expectRefusal(res, status);
    }), runs(25));
  });
});

describe('other bodies', () => {
  test('POST /cases: garbage is a 400 problem and starts nothing', async () => {
    const arb = fc.constantFrom<Caller>('applicant', 'officer').chain((who) => fc.record({
      who: fc.constant(who), body: garbageBody(who === 'officer' ? { ...IDEA, organisation: 'utbildning' } : IDEA),
    }));
    await fc.assert(fc.asyncProperty(arb, async ({ who, body }) => {
      fc.pre(mustRefuse(caseInput(), body));
      const res = await unchangedBy(h, undefined, async () => send(h, { method: 'post', url: '/api/v1/cases', authorization: await as(who), json: body }));
      expectRefusal(res, [400, 413]);
    }), runs(50));
  });

  const bodies: { name: string; method: Method; url: string; who: Caller; valid: object; schema: () => Parameters<typeof mustRefuse>[0] }[] = [
    { name: 'POST /organisations', method: 'post', url: '/api/v1/organisations', who: 'admin', valid: { id: 'fuzz-org', name: 'Fuzzförvaltningen', type: 'forvaltning', email: 'fuzz@stockholm.example' }, schema: () => referenceOperation(h, 'createOrganisation').body! },
    { name: 'POST /council/meetings', method: 'post', url: '/api/v1/council/meetings', who: 'officer', valid: { date: MEETING.date, title: 'Extra möte' }, schema: () => referenceOperation(h, 'createCouncilMeeting').body! },
    { name: 'POST /rule-sets', method: 'post', url: '/api/v1/rule-sets', who: 'admin', valid: FUZZ_RULES, schema: () => ruleSetInput() },
    { name: 'PUT /portfolios/{id}/frames/{year}', method: 'put', url: `/api/v1/portfolios/p1/frames/${PROJECT.start.slice(0, 4)}`, who: 'admin', valid: { amount: 40_000_000 }, schema: () => referenceOperation(h, 'setPortfolioFrame').body! },
  ];

  test.each(bodies.map((b) => [b.name, b] as const))('%s: garbage is a 400 problem and changes nothing', async (_name, b) => {
    const authorization = await as(b.who);
    await fc.assert(fc.asyncProperty(garbageBody(b.valid), async (body) => {
      fc.pre(mustRefuse(b.schema(), body));
      const res = await unchangedBy(h, undefined, () => send(h, { method: b.method, url: b.url, authorization, json: body }));
      expectRefusal(res, [400, 413]);
    }), runs(40));
  });

  test('PUT /portfolios/{id}/frames/{year}: garbage ids and years, unknown portfolios and frames below what is reserved are refused; nothing changes', async () => {
    const op = referenceOperation(h, 'setPortfolioFrame');
    const year = PROJECT.start.slice(0, 4);
    const reserved = 4 * PROJECT.cost; // the four granted cases of the world, all in this year
    const arb = fc.record({
      id: fc.oneof(fc.constantFrom('p1', 'p9', 'P1', 'p1 ', ' ', 'x'.repeat(51)), nastyString),
      year: fc.oneof(fc.constantFrom(year, '1999', '2101', '2027.5', '1e3', '0x7EB', '-2027', ' 2027', '2027abc', 'NaN', 'Infinity'), nastyString),
      body: fc.oneof(fc.integer({ min: 0, max: reserved - 1 }).map((amount) => ({ amount })), garbageBody({ amount: 40_000_000 })),
    });
    const authorization = await as('admin');
    await fc.assert(fc.asyncProperty(arb, async ({ id, year: y, body }) => {
      const badRequest = !op.params!.safeParse({ id, year: y }).success || mustRefuse(op.body!, body) || holdsUnstorable(id, y);
      const unknown = !['p1', 'p2', 'p3', 'p4', 'p5'].includes(id);
      const below = y === year && id === 'p1' && typeof (body as { amount?: unknown }).amount === 'number' && (body as { amount: number }).amount < reserved;
      fc.pre(badRequest || unknown || below);
      const url = `/api/v1/portfolios/${percentEncode(id)}/frames/${percentEncode(y)}`;
      const res = await unchangedBy(h, undefined, () => send(h, { method: 'put', url, authorization, json: body }));
      expectRefusal(res, badRequest ? [400, 404, 405, 413] : unknown ? [404] : [422]);
    }), runs(50));
  });
});

function holdsUnstorable(...texts: string[]): boolean {
  return texts.some((t) => t.includes('\u0000') || /\p{Cs}/u.test(t));
}

describe('query strings', () => {
  const value = fc.oneof(
    fc.constantFrom('idea', 'execution', 'p1', 'utbildning', 'stadsbyggnad', 'true', 'false', '1', '200', '201', '0', '-1', '1.5', '1e2', '0x10', '', ' ', 'null', 'json', 'csv', 'ndjson', 'xml'),
    nastyString, badDate, forgedCursor, badNumber.map(String),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.integer({ min: 201, max: 5_000 }).map((n) => 'q'.repeat(n)),
  );
  const encoded = fc.oneof({ weight: 9, arbitrary: value.map(percentEncode) }, { weight: 1, arbitrary: brokenPercent });
  /** Mostly the list's own parameters, each once (an unknown or repeated one is refused before anything else is looked at). */
  const queryString = (keys: string[]) => fc.tuple(
    fc.dictionary(fc.constantFrom(...keys), encoded, { maxKeys: keys.length }),
    fc.option(fc.tuple(fc.oneof(fc.constantFrom(...keys), nastyString.map(percentEncode)), encoded), { freq: 5 }),
  ).map(([known, extra]) => [...Object.entries(known), ...(extra ? [extra] : [])].map(([k, v]) => `${k}=${v}`).join('&'));

  const lists: { name: string; path: string; keys: string[]; who: Caller[] }[] = [
    { name: 'GET /cases', path: '/api/v1/cases', keys: ['stage', 'portfolio', 'organisation', 'overdue', 'q', 'limit', 'cursor'], who: EVERYONE },
    { name: 'GET /audit/events', path: '/api/v1/audit/events', keys: ['from', 'to', 'actor', 'action', 'caseId', 'format'], who: ['auditor', 'auditor', 'auditor', 'officer'] },
    { name: 'GET /council/meetings', path: '/api/v1/council/meetings', keys: ['from', 'to', 'limit', 'cursor'], who: ['officer', 'council', 'auditor'] },
    { name: 'GET /portfolios', path: '/api/v1/portfolios', keys: ['limit', 'cursor'], who: ['applicant', 'admin'] },
    { name: 'GET /organisations', path: '/api/v1/organisations', keys: ['limit', 'cursor'], who: ['applicant', 'admin'] },
    { name: 'GET /cases/{id}/history', path: '/api/v1/cases/{id}/history', keys: ['source'], who: ['officer', 'auditor'] },
    { name: 'GET /catalogue', path: '/api/v1/catalogue', keys: ['q', 'portfolio', 'organisation', 'stage', 'limit', 'cursor'], who: EVERYONE },
    { name: 'GET /savings-register', path: '/api/v1/savings-register', keys: ['organisation', 'year'], who: ['officer', 'budget', 'applicant'] },
    { name: 'GET /running-projects', path: '/api/v1/running-projects', keys: ['portfolio'], who: ['officer', 'council', 'auditor'] },
  ];

  test.each(lists.map((l) => [l.name, l] as const))('%s: any query is answered, or refused as a 4xx problem; never a server error; nothing changes', async (_name, l) => {
    await fc.assert(fc.asyncProperty(queryString(l.keys), fc.constantFrom(...l.who), async (query, who) => {
      const url = `${l.path.replace('{id}', world.ids.executionChange)}?${query}`;
      const res = await unchangedBy(h, undefined, async () => send(h, { method: 'get', url, authorization: await as(who) }));
      expectNoServerError(res);
      if (res.status === 200 && res.type === 'application/json') expect(res.body).toEqual(expect.objectContaining({ items: expect.any(Array) }));
    }), runs(40));
  });

  test('a forged cursor is followed or refused as a 400 problem; never a server error; nothing changes', async () => {
    const paged = ['/api/v1/cases', '/api/v1/council/meetings', '/api/v1/portfolios', '/api/v1/organisations', '/api/v1/catalogue'];
    const authorization = await as('officer');
    await fc.assert(fc.asyncProperty(fc.constantFrom(...paged), forgedCursor, async (list, cursor) => {
      const res = await unchangedBy(h, undefined, () => send(h, { method: 'get', url: `${list}?cursor=${cursor}`, authorization }));
      expectNoServerError(res);
      if (res.status >= 400) expectRefusal(res, 400);
    }), runs(60));
  });

  test('limit and stage out of their range are named in a 400 problem', async () => {
    const arb = fc.record({
      limit: fc.oneof(fc.integer({ min: 201 }), fc.integer({ max: 0 }), fc.constantFrom('abc', '1.5', '', 'Infinity')).map(String),
      stage: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !(STAGES as readonly string[]).includes(s)),
    });
    const authorization = await as('officer');
    await fc.assert(fc.asyncProperty(arb, async ({ limit, stage }) => {
      const res = await send(h, { method: 'get', url: `/api/v1/cases?limit=${percentEncode(limit)}&stage=${percentEncode(stage)}`, authorization });
      expectRefusal(res, 400);
      expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['query.limit', 'query.stage']);
    }), runs(30));
  });
});

describe('path ids', () => {
  const wellFormedUnknown = fc.tuple(fc.integer({ min: 1000, max: 9999 }), fc.integer({ min: 9000, max: 10 ** 9 })).map(([y, n]) => `PK-${y}-${String(n).padStart(4, '0')}`);
  const garbageId = fc.oneof(
    nastyString.map(percentEncode),
    // Short enough for the request line (Node refuses one over 16 kB before the app sees it).
    badValue.map((v) => percentEncode(String(typeof v === 'object' ? JSON.stringify(v) : v).slice(0, 500))),
    brokenPercent.map((b) => `PK-2026-${b}`),
    brokenPercent,
    fc.constantFrom('pk-2026-0001', 'PK-26-0001', 'PK-2026-001', ' PK-2026-0001', 'PK-2026-0001%0A', 'PK-2026-0001%00', '..', '.', '%2E%2E', 'PK-2026-0001%2F..'),
  );
  const endpoints = fc.oneof(
    fc.constant({ method: 'get' as Method, suffix: '', action: undefined as ActionName | undefined }),
    fc.constant({ method: 'get' as Method, suffix: '/history', action: undefined as ActionName | undefined }),
    fc.constant({ method: 'get' as Method, suffix: '/evaluation', action: undefined as ActionName | undefined }),
    fc.constantFrom(...ACTION_NAMES).map((action) => ({ method: 'post' as Method, suffix: `/actions/${action}`, action })),
  );

  test('an unknown case number is a 404 problem; a garbage one a 400 (or an unknown route); never a server error; nothing changes', async () => {
    const arb = fc.record({ id: fc.oneof(wellFormedUnknown.map((id) => ({ id, known: true })), garbageId.map((id) => ({ id, known: false }))), endpoint: endpoints });
    await fc.assert(fc.asyncProperty(arb, async ({ id: { id, known }, endpoint }) => {
      // An empty id is the list itself.
      fc.pre(id.length > 0 && !Object.values(world.ids).includes(id));
      const who = endpoint.action ? HOME[endpoint.action].who : 'officer';
      const res = await unchangedBy(h, undefined, async () => send(h, {
        method: endpoint.method, url: `/api/v1/cases/${id}${endpoint.suffix}`, authorization: await as(who),
        json: endpoint.action ? BODIES[endpoint.action] : undefined,
      }));
      expectRefusal(res, known ? 404 : [400, 404, 405]);
      if (known) expect(res.body.type).toMatch(/not-found$/);
    }), runs(60));
  });

  test('an unknown action on a known case is a 404 problem', async () => {
    const authorization = await as('officer');
    // Routes match without regard to case: WITHDRAW is withdraw.
    const unknownAction = fc.oneof(nastyString, fc.string()).filter((a) => a.length > 0 && !(ACTION_NAMES as readonly string[]).includes(a.toLowerCase()));
    await fc.assert(fc.asyncProperty(unknownAction, async (action) => {
      const res = await unchangedBy(h, world.ids.idea, () => send(h, { method: 'post', url: `/api/v1/cases/${world.ids.idea}/actions/${percentEncode(action)}`, authorization, json: {} }));
      expectRefusal(res, [400, 404, 405]);
    }), runs(30));
  });
});

describe('transport', () => {
  const withBodies: { method: Method; url: () => string; who: Caller; valid: object }[] = [
    { method: 'post', url: () => '/api/v1/cases', who: 'applicant', valid: IDEA },
    ...ACTION_NAMES.map((action) => ({ method: 'post' as Method, url: () => actionUrl(HOME[action].at, action), who: HOME[action].who, valid: BODIES[action] })),
    { method: 'post', url: () => '/api/v1/organisations', who: 'admin', valid: { id: 'fuzz-org', name: 'Fuzz', type: 'bolag' } },
    { method: 'post', url: () => '/api/v1/council/meetings', who: 'officer', valid: { date: MEETING.date } },
    { method: 'post', url: () => '/api/v1/rule-sets', who: 'admin', valid: FUZZ_RULES },
    { method: 'put', url: () => `/api/v1/portfolios/p1/frames/${PROJECT.start.slice(0, 4)}`, who: 'admin', valid: { amount: 40_000_000 } },
  ];
  const endpoint = fc.constantFrom(...withBodies);

  test('a body over 256 kB is a 413 problem, and changes nothing', async () => {
    const arb = fc.record({ endpoint, size: fc.integer({ min: 256 * 1024 + 1, max: 3 * 1024 * 1024 }), unit: fc.constantFrom('x', 'å', '😀', ' ') });
    await fc.assert(fc.asyncProperty(arb, async ({ endpoint: e, size, unit }) => {
      const first = Object.keys(e.valid)[0];
      const body = JSON.stringify({ ...e.valid, [first]: unit.repeat(Math.ceil(size / Buffer.byteLength(unit))) });
      const res = await unchangedBy(h, undefined, async () => send(h, {
        method: e.method, url: e.url(), authorization: await as(e.who), raw: { body, contentType: 'application/json' },
      }));
      expectRefusal(res, 413);
    }), runs(30));
  });

  test('text that is not JSON, or JSON that is not an object, is a 400 problem, and changes nothing', async () => {
    const arb = endpoint.chain((e) => fc.record({ endpoint: fc.constant(e), text: malformedJson(e.valid) }));
    await fc.assert(fc.asyncProperty(arb, async ({ endpoint: e, text }) => {
      const res = await unchangedBy(h, undefined, async () => send(h, {
        method: e.method, url: e.url(), authorization: await as(e.who), raw: { body: text, contentType: 'application/json' },
      }));
      expectRefusal(res, 400);
      expect(res.body.type).toMatch(/malformed-request$/);
    }), runs(60));
  });

  test('a body that is not JSON, or in a charset other than UTF, is a 415 problem (UTF-16 that is not is a 400); nothing changes', async () => {
    const arb = fc.record({
      endpoint,
      contentType: fc.constantFrom('application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json; charset=ebcdic', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml'),
    });
    await fc.assert(fc.asyncProperty(arb, async ({ endpoint: e, contentType }) => {
      const res = await unchangedBy(h, undefined, async () => send(h, {
        method: e.method, url: e.url(), authorization: await as(e.who), raw: { body: JSON.stringify(e.valid), contentType },
      }));
      expectRefusal(res, contentType.endsWith('utf-16') ? [400, 415] : 415);
    }), runs(30));
  });
});

describe('dates of any year', () => {
  const anyDay = fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });
  const day = anyDay.map((d) => d.toISOString().slice(0, 10));

  test('filters by a well-formed date or instant of any year are answered, never a server error', async () => {
    const arb = fc.record({
      list: fc.constantFrom('/api/v1/audit/events', '/api/v1/council/meetings'),
      from: fc.oneof(day, anyDay.map((d) => d.toISOString())),
      to: fc.oneof(day, anyDay.map((d) => d.toISOString())),
    });
    const authorization = await as('auditor');
    await fc.assert(fc.asyncProperty(arb, async ({ list, from, to }) => {
      const res = await send(h, { method: 'get', url: `${list}?from=${percentEncode(from)}&to=${percentEncode(to)}`, authorization });
      expectNoServerError(res);
    }), runs(40));
  });

  test('a council meeting on a well-formed date of any year is stored or refused, never a server error', async () => {
    const authorization = await as('officer');
    await fc.assert(fc.asyncProperty(day, async (date) => {
      const res = await send(h, { method: 'post', url: '/api/v1/council/meetings', authorization, json: { date } });
      expectNoServerError(res);
    }), runs(30));
  });

  test('a date the engine cannot carry (year 0000, or near 9999) is refused where it would be stored or counted on; nothing changes', async () => {
    const fields: { action: ActionName; at: CaseKey; fields: string[] }[] = [
      { action: 'decide', at: 'decisionChecked', fields: ['projectStart'] },
      { action: 'request-change', at: 'executionQuiet', fields: ['newEndDate'] },
      { action: 'submit-application', at: 'application', fields: ['plannedStart', 'plannedEnd'] },
      { action: 'request-completion', at: 'preparation', fields: ['dueDate'] },
    ];
    const arb = fc.record({
      target: fc.constantFrom(...fields),
      year: fc.oneof(fc.constant(0), fc.integer({ min: 9990, max: 9999 })),
      monthDay: fc.constantFrom('01-01', '06-15', '12-31'),
    });
    await fc.assert(fc.asyncProperty(arb, async ({ target, year, monthDay }) => {
      const date = `${String(year).padStart(4, '0')}-${monthDay}`;
      const body = { ...BODIES[target.action], ...Object.fromEntries(target.fields.map((f) => [f, date])) };
      const res = await unchangedBy(h, world.ids[target.at], async () => send(h, {
        method: 'post', url: actionUrl(target.at, target.action), authorization: await as(HOME[target.action].who), json: body,
      }));
      expectRefusal(res);
    }), runs(30));
  });

  test('malformed dates in bodies and filters are 400 problems', async () => {
    const arb = fc.record({ date: badDate, where: fc.constantFrom('meeting', 'filter') });
    const authorization = await as('officer');
    await fc.assert(fc.asyncProperty(arb, async ({ date, where }) => {
      fc.pre(!z.iso.date().safeParse(date).success);
      const res = await unchangedBy(h, undefined, () => (where === 'meeting'
        ? send(h, { method: 'post', url: '/api/v1/council/meetings', authorization, json: { date } })
        : send(h, { method: 'get', url: `/api/v1/council/meetings?from=${percentEncode(date)}`, authorization })));
      expectRefusal(res, 400);
    }), runs(30));
  });
});
