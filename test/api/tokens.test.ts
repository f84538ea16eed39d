// Tokens of a real identity provider: a JWKS served over HTTP (loopback) with the provider's public key. Only
// tokens issued by that issuer for this audience, with exp and iat, younger than the maximum token age, pass;
// the configuration refuses a JWKS without issuer and audience, a JWKS URL that is not https, and a secret
// file too short to be a full HS256 key.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import request from 'supertest';
import { createApp } from '../../api/app';
import { signingSecret } from '../../api/auth';
import { loadConfig } from '../../config';
import { apiHarness, expectProblem, type ApiHarness } from './support';

let h: ApiHarness;
let jwks: http.Server;
let jwksUrl: string;
let providerKey: CryptoKey;
let otherKey: CryptoKey;

const ISSUER = 'https://login.stockholm.example/';
const AUDIENCE = 'projektkontoret';
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  h = await apiHarness();
  const provider = await generateKeyPair('ES256');
  providerKey = provider.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  const jwk = { ...(await exportJWK(provider.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = http.createServer((_, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys: [jwk] })); });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
});
afterAll(async () => {
  await new Promise((resolve) => jwks?.close(resolve));
  await h?.close();
});

function providerApp() {
  const config = loadConfig({ JWT_JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, LOG_LEVEL: 'silent', DATA_DIR: h.config.dataDir });
  return createApp({ ...h.deps, config });
}

/** A token as the provider signs it; `over` replaces or (undefined) removes claims. */
async function token(over: JWTPayload = {}, key: CryptoKey = providerKey): Promise<string> {
  const claims: JWTPayload = { sub: 'karin', name: 'Karin Handläggare', roles: ['officer'], iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 3600, ...over };
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(key);
}

async function status(app: ReturnType<typeof providerApp>, bearer: string): Promise<request.Response> {
  return request(app).get('/api/v1/cases').set('Authorization', `Bearer ${bearer}`);
}

describe('with a JWKS', () => {
  test("the provider's token for this application is accepted, also a few seconds past exp (clock tolerance)", async () => {
    const app = providerApp();
    expect((await status(app, await token())).status).toBe(200);
    expect((await status(app, await token({ iat: now() - 600, exp: now() - 10 }))).status).toBe(200);
  });

  test('refused: another audience, no audience, another issuer, no issuer, forged (another key)', async () => {
    const app = providerApp();
    for (const bearer of [
      await token({ aud: 'another-application' }),
      await token({ aud: undefined }),
      await token({ iss: 'https://login.elsewhere.example/' }),
      await token({ iss: undefined }),
      await token({}, otherKey),
    ]) {
      const res = await status(app, bearer);
      expectProblem(res, 401, 'unauthenticated');
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
  });

  test('refused: no exp, no iat, older than the maximum token age, expired beyond the clock tolerance', async () => {
    const app = providerApp();
    for (const bearer of [
      await token({ exp: undefined }),
      await token({ iat: undefined }),
      await token({ iat: now() - 13 * 3600, exp: now() + 3600 }),
      await token({ iat: now() - 3600, exp: now() - 120 }),
    ]) expectProblem(await status(app, bearer), 401, 'unauthenticated');
  });
});

describe('an identity provider whose keys cannot be had', () => {
  /** The API with the provider's JWKS at this URL. */
  const appWith = (url: string) => createApp({ ...h.deps, config: loadConfig({ JWT_JWKS_URL: url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, LOG_LEVEL: 'silent', DATA_DIR: h.config.dataDir }) });

  test('a provider that does not answer, or answers with an error, is a 503 with Retry-After: the token is not judged', async () => {
    const failing = http.createServer((_, res) => { res.statusCode = 500; res.end('down'); });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks`;
    await new Promise((resolve) => closed.close(resolve));
    try {
      for (const url of [`http://127.0.0.1:${(failing.address() as AddressInfo).port}/jwks`, closedUrl]) {
        const res = await status(appWith(url), await token());
        expectProblem(res, 503, 'identity-provider-unavailable');
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
      }
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  test('a token naming a key the provider does not have is still a 401', async () => {
    const res = await status(providerApp(), await new SignJWT({ sub: 'karin', roles: ['officer'], iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 3600 })
      .setProtectedHeader({ alg: 'ES256', kid: 'another-key' }).sign(otherKey));
    expectProblem(res, 401, 'unauthenticated');
  });
});

describe('decider tiers', () => {
  const decider = (tier: string) => ({ sub: `d-${tier}`, name: 'Beslutsfattare', roles: [`decider:${tier}`] });

  test('a decider role naming a tier no rule set has is refused; the rule sets\' own tiers are accepted', async () => {
    expect((await h.get('/api/v1/cases', decider('stadsdirektor'))).status).toBe(200);
    const forged = await h.get('/api/v1/cases', decider('made-up'));
    expectProblem(forged, 401, 'unauthenticated');
    expect(forged.body.detail).toContain('decider:made-up');
  });

  test("a tier a new rule set adds is known from then on, in every API process", async () => {
    const tier = 'bitradande-stadsdirektor';
    // Another API process on the same database, its tiers already read before the rule set is added.
    const other = createApp(h.deps);
    const viaOther = async () => request(other).get('/api/v1/cases').set('Authorization', await h.auth(decider(tier)));
    expectProblem(await viaOther(), 401, 'unauthenticated');
    expectProblem(await h.get('/api/v1/cases', decider(tier)), 401, 'unauthenticated');
    const current = (await h.get('/api/v1/rule-sets/current', 'admin')).body as Record<string, unknown> & { delegation: unknown[] };
    const rules = Object.fromEntries(Object.entries(current).filter(([field]) => !['version', 'createdAt', 'createdBy'].includes(field)));
    const added = await h.post('/api/v1/rule-sets', 'admin', { ...rules, delegation: [{ tier, upTo: 3_000_000 }, ...current.delegation] });
    expect(added.status).toBe(201);
    // A tier missing from a process's list is looked up again at most every second.
    for (const ask of [async () => h.get('/api/v1/cases', decider(tier)), viaOther]) {
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        status = (await ask()).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    }
  });
});

describe('the configuration refuses', () => {
  test('a JWKS without issuer or audience', () => {
    expect(() => loadConfig({ JWT_JWKS_URL: 'https://login.stockholm.example/jwks', JWT_ISSUER: ISSUER })).toThrow(/JWT_ISSUER and JWT_AUDIENCE must be set/);
    expect(() => loadConfig({ JWT_JWKS_URL: 'https://login.stockholm.example/jwks', JWT_AUDIENCE: AUDIENCE })).toThrow(/JWT_ISSUER and JWT_AUDIENCE must be set/);
  });

  test('a JWKS URL that is not https (loopback excepted)', () => {
    const provider = { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };
    expect(() => loadConfig({ ...provider, JWT_JWKS_URL: 'http://login.stockholm.example/jwks' })).toThrow(/JWT_JWKS_URL: must be an https:\/\/ URL/);
    expect(() => loadConfig({ ...provider, JWT_JWKS_URL: 'ftp://login.stockholm.example/jwks' })).toThrow(/JWT_JWKS_URL/);
    expect(loadConfig({ ...provider, JWT_JWKS_URL: 'https://login.stockholm.example/jwks' }).jwt.jwksUrl).toBe('https://login.stockholm.example/jwks');
  });

  test('a maximum token age or clock tolerance that is not a span', () => {
    expect(() => loadConfig({ JWT_MAX_TOKEN_AGE: 'forever' })).toThrow(/JWT_MAX_TOKEN_AGE/);
    expect(() => loadConfig({ JWT_CLOCK_TOLERANCE: '-5s' })).toThrow(/JWT_CLOCK_TOLERANCE/);
  });

  test('a secret file too short to be a full-length key; a missing one is generated at full length', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-secret-'));
    try {
      const { jwt } = loadConfig({ DATA_DIR: dir });
      expect(signingSecret(jwt).length).toBeGreaterThanOrEqual(32);
      expect(fs.statSync(jwt.secretFile).mode & 0o777).toBe(0o600);
      fs.writeFileSync(jwt.secretFile, 'x');
      expect(() => signingSecret(jwt)).toThrow(/holds a secret of 1 characters; at least 32 are needed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
