// Abuse: POSTs per user and minute and new cases (receipts) per user and hour are limited, counted in the
// database and so shared by every API process; over a limit the answer is a 429 problem with Retry-After,
// never kept as the Idempotency-Key's answer. Receipts go to the signed-in applicant's own address or the
// organisation's notice address, never to an address typed into the idea sketch.
import { eq } from 'drizzle-orm';
import request from 'supertest';
import { createApp } from '../../api/app';
import { outbox } from '../../db/schema';
import { apiHarness, callers, expectProblem, type ApiHarness } from './support';

let h: ApiHarness;

beforeAll(async () => {
  h = await apiHarness({ worker: true, env: { RATE_LIMIT_POSTS_PER_MINUTE: '3', RATE_LIMIT_RECEIPTS_PER_HOUR: '2' } });
}, 120_000);
afterAll(() => h?.close());

const idea = (over: Record<string, unknown> = {}) => ({ title: 'Digital skolskjuts', need: 'Papper', idea: 'En app', language: 'sv', ...over });
/** An applicant of utbildning without an email claim: their receipts go to the organisation's notice address. */
const applicantWithoutEmail = (sub: string) => ({ sub, name: `Sökande ${sub}`, roles: ['applicant'], org: 'utbildning' });

test('a user over the POST limit gets 429 with Retry-After, from every API process; other users go on', async () => {
  const meeting = (n: number) => ({ date: `2031-0${n}-10` });
  for (let n = 1; n <= 3; n++) expect((await h.post('/api/v1/council/meetings', 'officer', meeting(n))).status).toBe(201);
  const over = await h.post('/api/v1/council/meetings', 'officer', meeting(4));
  expectProblem(over, 429, 'too-many-requests');
  expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
  // Another API process on the same database counts the same requests.
  const other = createApp(h.deps);
  const elsewhere = await request(other).post('/api/v1/council/meetings').set('Authorization', await h.auth('officer')).send(meeting(5));
  expectProblem(elsewhere, 429, 'too-many-requests');
  expect((await h.post('/api/v1/council/meetings', 'council', meeting(6))).status).toBe(201);
  // Reads are not limited.
  expect((await h.get('/api/v1/council/meetings', 'officer')).status).toBe(200);
});

test("without a contact, the applicant's own address receives the case's emails; without one in the token, the organisation's", async () => {
  const own = await h.post('/api/v1/cases', 'applicant', idea());
  expect(own.status).toBe(201);
  expect(own.body.idea.contact).toEqual({ name: callers.applicant.name, email: callers.applicant.email });
  const recipients = async (id: string) => (await h.database.db.select({ recipient: outbox.recipient }).from(outbox).where(eq(outbox.caseId, id))).map((r) => r.recipient);
  expect(await recipients(own.body.id)).toContain(callers.applicant.email);
  const noEmail = await h.post('/api/v1/cases', applicantWithoutEmail('rut'), idea());
  expect(noEmail.body.idea.contact).toBeUndefined();
  expect(await recipients(noEmail.body.id)).toContain('utbildning@stockholm.example');
});

test("a contact address that is neither the applicant's own nor the organisation's is replaced by the applicant's own", async () => {
  const res = await h.post('/api/v1/cases', 'applicant', idea({ contact: { name: 'Offret', email: 'offer@elsewhere.example' } }));
  expect(res.status).toBe(201);
  expect(res.body.idea.contact).toEqual({ name: 'Offret', email: callers.applicant.email });
  const arrived = () => h.smtp.to(callers.applicant.email).some((m) => m.subject.includes(res.body.id));
  for (let i = 0; i < 100 && !arrived(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(h.smtp.to('offer@elsewhere.example')).toEqual([]);
  expect(h.smtp.to(callers.applicant.email).map((m) => m.subject).join()).toContain(res.body.id);
  const recipients = (await h.database.db.select({ recipient: outbox.recipient }).from(outbox).where(eq(outbox.caseId, res.body.id))).map((r) => r.recipient);
  expect(recipients).not.toContain('offer@elsewhere.example');
  // The organisation's notice address is accepted as typed; without an address of their own, a stranger's is dropped.
  const notice = await h.post('/api/v1/cases', applicantWithoutEmail('lisa'), idea({ contact: { email: 'UTBILDNING@stockholm.example' } }));
  expect(notice.body.idea.contact).toEqual({ email: 'UTBILDNING@stockholm.example' });
});

test("one applicant over the hourly receipts limit gets 429 and no case; colleagues sending to the same notice address go on", async () => {
  for (let n = 0; n < 2; n++) expect((await h.post('/api/v1/cases', applicantWithoutEmail('nils'), idea())).status).toBe(201);
  const before = await h.get('/api/v1/cases?organisation=utbildning', 'officer');
  const over = await h.post('/api/v1/cases', applicantWithoutEmail('nils'), idea(), { 'Idempotency-Key': 'nils-third' });
  expectProblem(over, 429, 'too-many-requests');
  expect(over.headers['retry-after']).toMatch(/^\d+$/);
  expect((await h.get('/api/v1/cases?organisation=utbildning', 'officer')).body.items).toHaveLength(before.body.items.length);
  // Their receipts went to the organisation's notice address too: counted per user, it is not blocked for them.
  expect((await h.post('/api/v1/cases', applicantWithoutEmail('olga'), idea())).status).toBe(201);

  // The 429 was not kept as the key's answer: once the limit allows (here: an API process without limits),
  // the retry with the same key starts the case.
  const unlimited = createApp({ ...h.deps, config: { ...h.config, rateLimits: { ...h.config.rateLimits, postsPerMinute: 0, receiptsPerHour: 0 } } });
  const retry = await request(unlimited).post('/api/v1/cases').set('Authorization', await h.auth(applicantWithoutEmail('nils')))
    .set('Idempotency-Key', 'nils-third').send(idea());
  expect(retry.status).toBe(201);
});
