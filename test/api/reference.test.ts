// Reference data over HTTP: portfolios and frames, organisations, council meetings, rule sets; and the
// Idempotency-Key contract on POSTs that need no workflow.
import { eq } from 'drizzle-orm';
import request from 'supertest';
import { createPersistenceActivities } from '../../activities/persistence';
import { councilMeetings, organisations } from '../../db/schema';
import { CaseStory, planOneEmailPerIntent } from '../support/steps';
import { apiHarness, expectProblem, type ApiHarness } from './support';

let h: ApiHarness;
beforeAll(async () => { h = await apiHarness(); });
afterAll(() => h?.close());

const year = new Date().getFullYear();

const put = async (url: string, who: Parameters<ApiHarness['auth']>[0], body: object) =>
  request(h.app).put(url).set('Authorization', await h.auth(who)).send(body);

describe('portfolios and frames', () => {
  test('everyone sees the portfolios with frame, reserved and remaining per year', async () => {
    // Granted money held against the frame, as the workflow's reserveFrame activity holds it.
    const activities = createPersistenceActivities({ db: h.database.db, planEmails: planOneEmailPerIntent });
    await activities.reserveFrame({ caseId: 'PK-2026-0100', portfolio: 'p2', amountsByYear: { [year]: 5_000_000 }, enforce: true });
    const res = await h.get('/api/v1/portfolios', 'applicant');
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { id: string }) => p.id)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    const p2 = res.body.items[1];
    expect(p2.name.sv).toContain('Förbättrad förmåga');
    expect(p2.frames).toContainEqual({ year, frame: 40_000_000, reserved: 5_000_000, remaining: 35_000_000 });
    expect(res.body.items[4].experimental).toBe(true);
    const page = await h.get('/api/v1/portfolios?limit=2', 'applicant');
    expect(page.body.items.map((p: { id: string }) => p.id)).toEqual(['p1', 'p2']);
    const next = await h.get(`/api/v1/portfolios?limit=2&cursor=${page.body.nextCursor}`, 'applicant');
    expect(next.body.items.map((p: { id: string }) => p.id)).toEqual(['p3', 'p4']);
  });

  test('an admin sets a frame; never below what is already reserved', async () => {
    const res = await put(`/api/v1/portfolios/p2/frames/${year + 5}`, 'admin', { amount: 12_000_000 });
    expect(res.status).toBe(200);
    expect(res.body.frames).toContainEqual({ year: year + 5, frame: 12_000_000, reserved: 0, remaining: 12_000_000 });

    const below = await put(`/api/v1/portfolios/p2/frames/${year}`, 'admin', { amount: 4_000_000 });
    expectProblem(below, 422, 'rule-violation');
    expect((await h.get('/api/v1/portfolios', 'admin')).body.items[1].frames).toContainEqual({ year, frame: 40_000_000, reserved: 5_000_000, remaining: 35_000_000 });

    expectProblem(await put(`/api/v1/portfolios/p9/frames/${year}`, 'admin', { amount: 1 }), 404, 'not-found');
    expectProblem(await put(`/api/v1/portfolios/p2/frames/${year}`, 'officer', { amount: 1 }), 403, 'forbidden');
    const invalid = await put('/api/v1/portfolios/p2/frames/1999', 'admin', { amount: -1 });
    expect(invalid.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['amount', 'path.year']);
  });
});

describe('organisations', () => {
  test('listed by id a page at a time; an admin adds one; a second with the same id is refused', async () => {
    const first = await h.get('/api/v1/organisations?limit=3', 'valuer');
    expect(first.body.items.map((o: { id: string }) => o.id)).toEqual(['serviceforvaltningen', 'socialforvaltningen', 'stadsbyggnad']);
    const rest = await h.get(`/api/v1/organisations?cursor=${first.body.nextCursor}`, 'valuer');
    expect(rest.body.items.map((o: { id: string }) => o.id)).toEqual(['stadsledningskontoret', 'stockholm-vatten', 'stokab', 'utbildning']);
    expect(rest.body.nextCursor).toBeNull();

    const created = await h.post('/api/v1/organisations', 'admin', { id: 'kulturforvaltningen', name: 'Kulturförvaltningen', type: 'forvaltning', email: 'kultur@stockholm.example' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'kulturforvaltningen', name: 'Kulturförvaltningen', type: 'forvaltning', email: 'kultur@stockholm.example' });
    expectProblem(await h.post('/api/v1/organisations', 'admin', { id: 'kulturforvaltningen', name: 'Igen', type: 'forvaltning' }), 422, 'rule-violation');
    expectProblem(await h.post('/api/v1/organisations', 'officer', { id: 'x', name: 'X', type: 'bolag' }), 403, 'forbidden');
  });
});

describe('council meetings', () => {
  test('officers add meetings; the list shows each with its agenda, latest first', async () => {
    const first = await h.post('/api/v1/council/meetings', 'officer', { date: '2026-03-12', title: 'Utvecklingsrådet mars' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: 'UR-2026-03-12', date: '2026-03-12', title: 'Utvecklingsrådet mars', agenda: [] });
    const sameDay = await h.post('/api/v1/council/meetings', 'council', { date: '2026-03-12' });
    expect(sameDay.body).toEqual({ id: 'UR-2026-03-12-2', date: '2026-03-12', title: null, agenda: [] });
    await h.post('/api/v1/council/meetings', 'officer', { date: '2026-05-20' });

    // A case put on the March agenda, as the workflow's step records it.
    const story = new CaseStory('PK-2026-0001');
    for (const step of story.toExecution({ meetingId: 'UR-2026-03-12' })) await h.record(step);

    const list = await h.get('/api/v1/council/meetings', 'council');
    expect(list.body.items.map((m: { id: string }) => m.id)).toEqual(['UR-2026-05-20', 'UR-2026-03-12-2', 'UR-2026-03-12']);
    expect(list.body.items[2].agenda).toEqual(['PK-2026-0001']);
    const spring = await h.get('/api/v1/council/meetings?from=2026-04-01&to=2026-06-30', 'officer');
    expect(spring.body.items.map((m: { id: string }) => m.id)).toEqual(['UR-2026-05-20']);

    expectProblem(await h.get('/api/v1/council/meetings', 'applicant'), 403, 'forbidden');
    expectProblem(await h.post('/api/v1/council/meetings', 'auditor', { date: '2026-06-01' }), 403, 'forbidden');
  });
});

describe('rule sets', () => {
  const rules = {
    delegation: [{ tier: 'stadsdirektor-ersattare', upTo: 3_000_000 }, { tier: 'stadsdirektor', upTo: 10_000_000 }, { tier: 'ks-ekonomiutskott', upTo: null }],
    ideaScreeningDeadline: 'PT1H', applicationDeadline: 'P30D', applicationReminderAfter: 'P20D', completionDeadline: 'P7D',
    reportInterval: 'PT20S', reminderBefore: 'PT5S', escalationAfter: 'PT10S', tertialDueDates: [], yearEndDueDate: '01-31',
    lightReportingBelow: 0, deviation: { costTolerance: 0.05, endDateSlip: 'P4W' }, followUpOffsets: ['P6M', 'P12M'],
  };

  test('the default is in force until an admin adds a version; the new one is current', async () => {
    const before = await h.get('/api/v1/rule-sets/current', 'applicant');
    expect(before.body).toMatchObject({ version: 1, createdBy: 'system', delegation: [{ tier: 'stadsdirektor', upTo: 15_000_000 }, { tier: 'ks-ekonomiutskott', upTo: null }] });

    const created = await h.post('/api/v1/rule-sets', 'admin', rules);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ version: 2 });
    const after = await h.get('/api/v1/rule-sets/current', 'officer');
    expect(after.body).toEqual({ version: 2, ...rules, createdAt: expect.any(String), createdBy: 'adam' });
  });

  test('a rule set that breaks its own rules is refused, naming the field; only admins add them', async () => {
    const unordered = await h.post('/api/v1/rule-sets', 'admin', { ...rules, delegation: [{ tier: 'a', upTo: 5 }, { tier: 'b', upTo: 3 }, { tier: 'c', upTo: null }], reportInterval: 'six weeks' });
    expectProblem(unordered, 400, 'validation-failed');
    expect(unordered.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['delegation.1', 'reportInterval']);
    expectProblem(await h.post('/api/v1/rule-sets', 'officer', rules), 403, 'forbidden');
  });

  test('due dates are days every year has, two tertial dates at most, and durations either day-sized or exact', async () => {
    const refused = await h.post('/api/v1/rule-sets', 'admin', {
      ...rules, tertialDueDates: ['02-30', '04-31'], yearEndDueDate: '02-29', reminderBefore: 'P1DT12H',
    });
    expectProblem(refused, 400, 'validation-failed');
    expect(refused.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['reminderBefore', 'tertialDueDates.0', 'tertialDueDates.1', 'yearEndDueDate']);
    const three = await h.post('/api/v1/rule-sets', 'admin', { ...rules, tertialDueDates: ['05-15', '09-15', '01-15'] });
    expectProblem(three, 400, 'validation-failed');
    expect(three.body.errors.map((e: { path: string }) => e.path)).toEqual(['tertialDueDates']);
    const current = await h.get('/api/v1/rule-sets/current', 'admin');
    expect(current.body.version).toBe(2);
  });
});

describe('Idempotency-Key', () => {
  test('a repeat with the same key and body returns the first answer and does nothing twice', async () => {
    const body = { date: '2026-09-10', title: 'Utvecklingsrådet september' };
    const first = await h.post('/api/v1/council/meetings', 'officer', body, { 'Idempotency-Key': 'meeting-sept' });
    const again = await h.post('/api/v1/council/meetings', 'officer', body, { 'Idempotency-Key': 'meeting-sept' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await h.database.db.select().from(councilMeetings).where(eq(councilMeetings.date, '2026-09-10'))).toHaveLength(1);
  });

  test('the same key with another body is a 422 problem and changes nothing', async () => {
    await h.post('/api/v1/organisations', 'admin', { id: 'idem-a', name: 'A', type: 'bolag' }, { 'Idempotency-Key': 'k1' });
    const other = await h.post('/api/v1/organisations', 'admin', { id: 'idem-b', name: 'B', type: 'bolag' }, { 'Idempotency-Key': 'k1' });
    expectProblem(other, 422, 'idempotency-key-reused');
    expect(await h.database.db.select().from(organisations).where(eq(organisations.id, 'idem-b'))).toHaveLength(0);
  });

  test('keys belong to the caller: another caller with the same key is a new request', async () => {
    const mine = await h.post('/api/v1/council/meetings', 'officer', { date: '2026-10-01' }, { 'Idempotency-Key': 'shared' });
    const theirs = await h.post('/api/v1/council/meetings', 'council', { date: '2026-10-01' }, { 'Idempotency-Key': 'shared' });
    expect([mine.body.id, theirs.body.id]).toEqual(['UR-2026-10-01', 'UR-2026-10-01-2']);
  });

  test('a refusal is the first answer too, and is replayed as the same problem', async () => {
    const body = { id: 'utbildning', name: 'Dubblett', type: 'forvaltning' };
    const first = await h.post('/api/v1/organisations', 'admin', body, { 'Idempotency-Key': 'dup' });
    const again = await h.post('/api/v1/organisations', 'admin', body, { 'Idempotency-Key': 'dup' });
    expectProblem(first, 422, 'rule-violation');
    expectProblem(again, 422, 'rule-violation');
    expect(again.body).toEqual(first.body);
  });

  test('a malformed key is a 400 problem', async () => {
    const res = await h.post('/api/v1/council/meetings', 'officer', { date: '2026-11-01' }, { 'Idempotency-Key': 'x'.repeat(201) });
    expectProblem(res, 400, 'validation-failed');
  });
});
