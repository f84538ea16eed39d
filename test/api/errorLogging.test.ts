// A database error reaches the log by class and code, never with the values the statement was bound to
// (PostgreSQL and PGlite put those in the message and the detail).
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { apiHarness, expectProblem, type ApiHarness } from './support';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
  // A rule the API does not know, so that the insert fails in the database itself.
  await h.database.db.execute(sql`ALTER TABLE organisations ADD CONSTRAINT organisations_name_not_secret CHECK (name NOT LIKE 'Hemlig%')`);
});
afterAll(() => h?.close());

test('a failed statement is logged with its SQLSTATE code, constraint and table, and none of its values', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _, done) { lines.push(String(chunk)); done(); } });
  const app = createApp({ ...h.deps, logger: pino({ level: 'info' }, sink) });
  const res = await request(app).post('/api/v1/organisations').set('Authorization', await h.auth('admin'))
    .send({ id: 'hemlig-forvaltning', name: 'Hemliga förvaltningen för Anna Andersson', type: 'forvaltning', email: 'anna.andersson@hemlig.example' });
  expectProblem(res, 500, 'internal');
  const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; error?: Record<string, unknown> });
  const error = logged.find((l) => l.msg === 'unhandled error');
  expect(error?.error).toMatchObject({ database: true, code: '23514', constraint: 'organisations_name_not_secret', table: 'organisations' });
  const text = lines.join('\n');
  for (const bound of ['Hemliga', 'Anna Andersson', 'anna.andersson@hemlig.example', 'hemlig-forvaltning']) expect(text).not.toContain(bound);
});
