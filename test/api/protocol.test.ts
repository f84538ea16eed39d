// What every client meets whatever it asks: problem+json for every error, authentication, body limits,
// security headers, liveness and readiness, and an OpenAPI 3.1 document that matches the routes.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Router } from 'express';
import { SignJWT } from 'jose';
import request from 'supertest';
import pino from 'pino';
import { createApp } from '../../api/app';
import { signToken } from '../../api/auth';
import { openDatabase } from '../../db/client';
import { apiHarness, callers, expectProblem, type ApiHarness, type CallerName } from './support';

let h: ApiHarness;
beforeAll(async () => { h = await apiHarness(); });
afterAll(() => h?.close());

type Doc = { paths: Record<string, Record<string, { security?: unknown[]; description?: string; requestBody?: unknown; parameters?: { name: string; in: string }[] }>> };
const document = async (): Promise<Doc> => (await request(h.app).get('/openapi.json')).body;

/** A concrete URL for a documented path, and a caller the operation admits. */
function concrete(p: string): string {
  return `/api/v1${p.replace('{id}', 'PK-2026-0001').replace('{year}', '2026')}`;
}
function callerFor(description: string | undefined): CallerName {
  const roles = /Roles: ([^.]+)\./.exec(description ?? '')?.[1].split(', ') ?? ['admin'];
  const byRole: Record<string, CallerName> = {
    applicant: 'applicant', officer: 'officer', valuer: 'valuer', preparer: 'preparer', council: 'council', budget: 'budget',
    'decider:<tier>': 'director', auditor: 'auditor', admin: 'admin',
  };
  return byRole[roles[0]];
}

describe('liveness and readiness', () => {
  test('healthz answers at the root and under the base path', async () => {
    for (const url of ['/healthz', '/api/v1/healthz']) {
      const res = await request(h.app).get(url);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    }
  });

  test('readyz: ready with the database and the engine up, mail reported beside them to an officer, also with the mail server away', async () => {
    const officer = await h.auth('officer');
    const up = await request(h.app).get('/api/v1/readyz').set('Authorization', officer);
    expect(up.status).toBe(200);
    expect(up.body.checks).toEqual([{ name: 'database', up: true }, { name: 'temporal', up: true }]);
    // Nothing sent in this file yet: an empty queue.
    expect(up.body.mail).toEqual({ queued: 0, oldestQueuedAt: null, oldestQueuedSeconds: null });

    await h.smtp.stop();
    try {
      const away = await request(createApp(h.deps)).get('/readyz').set('Authorization', officer);
      expect(away.status).toBe(200);
      expect(away.body).toEqual(up.body);
    } finally {
      await h.smtp.start();
    }
  });

  test('readyz: the mail queue is for officers; a load balancer, a stranger with a forged token or an applicant learns up or down', async () => {
    for (const authorization of [undefined, 'Bearer not-a-token', await h.auth('applicant'), await h.auth('auditor')]) {
      const req = request(h.app).get('/readyz');
      const res = await (authorization ? req.set('Authorization', authorization) : req);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ checks: [{ name: 'database', up: true }, { name: 'temporal', up: true }] });
    }
  });

  test('readyz: a process shutting down is not ready, so the load balancer stops sending to it', async () => {
    const down = await request(createApp({ ...h.deps, lifecycle: { draining: true } })).get('/readyz');
    expectProblem(down, 503, 'unavailable');
    expect(down.body).toMatchObject({ detail: 'Shutting down', checks: [{ name: 'database', up: true }, { name: 'temporal', up: true }] });
  });

  test('readyz: a database that refuses connections is a 503 problem naming it, without mail figures', async () => {
    const gone = openDatabase({ url: 'postgres://nobody@127.0.0.1:1/none' });
    try {
      const down = await request(createApp({ ...h.deps, db: gone.db })).get('/readyz').set('Authorization', await h.auth('officer'));
      expectProblem(down, 503, 'unavailable');
      expect(down.body).toMatchObject({ checks: [{ name: 'database', up: false }, { name: 'temporal', up: true }], mail: null });
    } finally {
      await gone.close();
    }
  });
});

describe('authentication', () => {
  test('no token, a malformed one, a forged one, an expired one, one without roles: 401 problems', async () => {
    expectProblem(await request(h.app).get('/api/v1/cases'), 401, 'unauthenticated');
    expectProblem(await request(h.app).get('/api/v1/cases').set('Authorization', 'Bearer not.a.jwt'), 401, 'unauthenticated');
    expectProblem(await request(h.app).get('/api/v1/cases').set('Authorization', 'Basic YWRtaW46YWRtaW4='), 401, 'unauthenticated');
    const forged = await signToken({ ...h.config.jwt, secret: 'another-secret-that-is-long-enough-too' }, callers.officer);
    expectProblem(await request(h.app).get('/api/v1/cases').set('Authorization', `Bearer ${forged}`), 401, 'unauthenticated');
    const key = new TextEncoder().encode(h.config.jwt.secret);
    const expired = await new SignJWT({ ...callers.officer }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(key);
    expectProblem(await request(h.app).get('/api/v1/cases').set('Authorization', `Bearer ${expired}`), 401, 'unauthenticated');
    const roleless = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    const res = await request(h.app).get('/api/v1/cases').set('Authorization', `Bearer ${roleless}`);
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers['www-authenticate']).toContain('invalid_token');
  });

  test('a valid token passes; a role the endpoint does not admit is a 403 problem', async () => {
    expect((await h.get('/api/v1/cases', 'officer')).status).toBe(200);
    expectProblem(await h.get('/api/v1/audit/verify', 'officer'), 403, 'forbidden');
  });
});

describe('malformed requests', () => {
  test('unknown routes are 404 problems, a known path with another method a 405 with Allow', async () => {
    const unknown = await h.get('/api/v1/nothing-here', 'officer');
    expectProblem(unknown, 404, 'not-found');
    expectProblem(await request(h.app).get('/nowhere'), 404, 'not-found');
    const wrongMethod = await request(h.app).delete('/api/v1/cases');
    expectProblem(wrongMethod, 405, 'method-not-allowed');
    expect(wrongMethod.headers.allow).toBe('POST, GET');
  });

  test('broken JSON is a 400, a body over 256 kB a 413, a body that is not JSON a 415', async () => {
    const auth = await h.auth('admin');
    const broken = await request(h.app).post('/api/v1/organisations').set('Authorization', auth).set('Content-Type', 'application/json').send('{"id": "x",');
    expectProblem(broken, 400, 'malformed-request');
    const huge = await request(h.app).post('/api/v1/organisations').set('Authorization', auth).send({ id: 'x', name: 'x'.repeat(300_000), type: 'bolag' });
    expectProblem(huge, 413, 'payload-too-large');
    const text = await request(h.app).post('/api/v1/organisations').set('Authorization', auth).set('Content-Type', 'text/plain').send('id=x');
    expectProblem(text, 415, 'unsupported-media-type');
  });

  test('Accept-Language: en gives English titles; Swedish is the default', async () => {
    expect((await request(h.app).get('/api/v1/cases')).body.title).toBe('Inloggning krävs');
    expect((await request(h.app).get('/api/v1/cases').set('Accept-Language', 'en-GB,en;q=0.9')).body.title).toBe('Authentication required');
  });
});

describe('validation errors: 400 problems listing each field', () => {
  test('every body rejects an unknown member and names it', async () => {
    const doc = await document();
    const withBody = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).filter(([, op]) => op.requestBody).map(([method, op]) => ({ p, method, op })));
    expect(withBody.length).toBeGreaterThan(20);
    for (const { p, method, op } of withBody) {
      const res = await request(h.app)[method as 'post' | 'put'](concrete(p)).set('Authorization', await h.auth(callerFor(op.description))).send({ surplus: 1 });
      expectProblem(res, 400, 'validation-failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([{ path: '', message: expect.stringContaining('surplus') }]));
      for (const e of res.body.errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
    }
  });

  test('fields, nested fields, cross-field rules, query and path parameters are named by path', async () => {
    const missing = await h.post('/api/v1/cases', 'applicant', { need: 'x', idea: 'y' });
    expect(missing.body.errors).toEqual([{ path: 'title', message: expect.any(String) }]);

    const nested = await h.post('/api/v1/cases/PK-2026-0001/actions/submit-application', 'applicant', {
      portfolio: 'p1', kind: 'implementation', totalCost: 100, plannedStart: '2027-01-01', plannedEnd: '2027-12-31', projectLeader: 'L',
      benefits: { citizenBenefit: -1 }, costPerYear: { 2027: 90 },
    });
    expect(nested.body.errors).toEqual(expect.arrayContaining([
      { path: 'benefits.citizenBenefit', message: expect.any(String) },
    ]));

    const crossField = await h.post('/api/v1/cases/PK-2026-0001/actions/screen-idea', 'officer', { outcome: 'reject' });
    expect(crossField.body.errors).toEqual([{ path: 'reason', message: 'reason is required unless the outcome is approve' }]);

    const query = await h.get('/api/v1/cases?limit=500&stage=nowhere', 'officer');
    expectProblem(query, 400, 'validation-failed');
    expect(query.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['query.limit', 'query.stage']);

    const param = await h.get('/api/v1/cases/not-a-case-number', 'officer');
    expect(param.body.errors).toEqual([{ path: 'path.id', message: expect.stringContaining('case number') }]);

    const cursor = await h.get('/api/v1/cases?cursor=garbage', 'officer');
    expectProblem(cursor, 400, 'validation-failed');
    expect(cursor.body.errors).toEqual([{ path: 'query.cursor', message: expect.any(String) }]);
  });

  test('a date in the wrong form and a negative amount each get one message, the date\'s naming the form', async () => {
    const res = await h.post('/api/v1/cases/PK-2026-0001/actions/submit-application', 'applicant', {
      portfolio: 'p1', kind: 'implementation', totalCost: -5, plannedStart: '31/12/2027', plannedEnd: '2027-02-30', projectLeader: 'L', benefits: {},
    });
    expectProblem(res, 400, 'validation-failed');
    expect(res.body.errors).toEqual([
      { path: 'totalCost', message: 'must not be negative' },
      { path: 'plannedStart', message: 'a date as YYYY-MM-DD that the calendar has, e.g. 2027-03-31' },
      { path: 'plannedEnd', message: 'a date as YYYY-MM-DD that the calendar has, e.g. 2027-03-31' },
    ]);
  });

  test('docs/api.md names the lists that take limit, and each does; a case\'s history does not', async () => {
    const line = fs.readFileSync(path.join(__dirname, '../../docs/api.md'), 'utf8').split('\n').find((l) => l.startsWith('- These lists page:'))!;
    const paged = [...line.matchAll(/`GET ([^`]+)`/g)].map((m) => m[1]);
    expect(paged).toEqual(expect.arrayContaining(['/cases', '/catalogue', '/council/meetings']));
    for (const p of paged) expect({ p, status: (await h.get(`/api/v1${p}?limit=1`, 'officer')).status }).toEqual({ p, status: 200 });
    const history = await h.get('/api/v1/cases/PK-2026-0001/history?limit=1', 'officer');
    expectProblem(history, 400, 'validation-failed');
    expect(history.body.errors).toEqual([{ path: 'query', message: expect.stringContaining('limit') }]);
  });
});

describe('headers and logs', () => {
  test('request logs are JSON lines with method, path, status and duration, and no personal data', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(line); } });
    const app = createApp({ ...h.deps, logger });
    const auth = await h.auth('applicant');
    await request(app).post('/api/v1/cases').set('Authorization', auth)
      .send({ title: 'Digital skolval', need: 'x', idea: 'y', contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' }, unknown: 1 });
    await request(app).get('/api/v1/cases?q=Andersson').set('Authorization', auth);
    const logged = lines.map((l) => JSON.parse(l));
    expect(logged.map((l) => [l.req.method, l.req.path, l.res.statusCode])).toEqual([['POST', '/api/v1/cases', 400], ['GET', '/api/v1/cases', 200]]);
    for (const l of logged) expect(l.responseTime).toEqual(expect.any(Number));
    const all = lines.join('\n');
    for (const secret of [auth.slice(7), 'anna@utbildning.example', 'Andersson', 'authorization', 'anna']) expect(all).not.toContain(secret);
  });

  test('security headers are set and the framework is not announced', async () => {
    const res = await request(h.app).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('the OpenAPI document', () => {
  test('is valid OpenAPI 3.1', async () => {
    const file = path.join(os.tmpdir(), `openapi-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify(await document()));
    const cli = path.join(path.dirname(require.resolve('@seriousme/openapi-schema-validator/package.json')), 'bin/validate-api-cli.js');
    let output: string;
    try {
      output = execFileSync(process.execPath, [cli, file], { encoding: 'utf8' });
    } catch (err) {
      output = (err as { stdout: string }).stdout;
    }
    expect(JSON.parse(output)).toEqual({ valid: true });
    expect((await document() as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  test("passes Redocly's recommended rules without an error or a warning", async () => {
    const file = path.join(os.tmpdir(), `openapi-lint-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify(await document()));
    const cli = path.join(path.dirname(require.resolve('@redocly/cli/package.json')), 'bin/cli.js');
    const lint = spawnSync(process.execPath, [cli, 'lint', file, '--extends', 'recommended', '--format', 'json'], {
      encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    const report = JSON.parse(lint.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect({ totals: report.totals, status: lint.status }).toEqual({ totals: { errors: 0, warnings: 0, ignored: 0 }, status: 0 });
  });

  test('documents exactly the routes the app serves (the browsable reference at /docs is a page, not an operation)', async () => {
    const doc = await document();
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();

    // The routes mounted under /api/v1, read from Express's own router.
    type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle: Router & { stack?: Layer[] }; matchers?: unknown[]; name: string };
    const app = h.app as unknown as { router: { stack: Layer[] } };
    const mounted = new Set<string>();
    const walk = (stack: Layer[]) => stack.forEach((l) => {
      if (l.route) Object.keys(l.route.methods).forEach((m) => mounted.add(`${m.toUpperCase()} ${l.route!.path.replace(/:(\w+)/g, '{$1}')}`));
      else if (l.name === 'router' && l.handle.stack) walk(l.handle.stack);
    });
    walk(app.router.stack);
    expect([...mounted].sort()).toEqual(documented);

    // And every documented operation is answered by its route (never the unknown-route fallback).
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const res = await request(h.app)[method as 'get'](concrete(p)).set('Authorization', await h.auth(callerFor(op.description))).send(method === 'get' ? undefined : {});
        expect({ route: `${method} ${p}`, status: res.status }).not.toEqual({ route: `${method} ${p}`, status: 405 });
        expect(res.body?.detail ?? '').not.toMatch(/^No endpoint/);
      }
    }
  });

  test('every operation documents its errors as problem+json, and every secured one its 401', async () => {
    const doc = await document() as unknown as { paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }>> };
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) >= 400) expect(Object.keys(response.content ?? {})).toEqual(['application/problem+json']);
        }
        if (op.security === undefined) expect(op.responses['401']).toBeDefined();
      }
    }
  });

  test('the browsable reference is served at /docs and under the base path', async () => {
    for (const url of ['/docs/', '/api/v1/docs/']) {
      const res = await request(h.app).get(url);
      expect(res.status).toBe(200);
      expect(res.text).toContain('swagger-ui');
    }
  });
});
