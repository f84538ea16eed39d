// What the API reads from the read model and the audit trail: lists with filters and cursors, the case view,
// history, the audit export and verification, the dashboard, and who may see what. Cases are written here the
// way the workflow's recordStep activity writes them.
import request from 'supertest';
import { caseSummarySchema, caseViewSchema } from '../../api/schemas/cases';
import { asc, desc, eq } from 'drizzle-orm';
import { canonicalHash, type AuditContent } from '../../db/audit';
import { auditEvents, outbox } from '../../db/schema';
import { CaseStory } from '../support/steps';
import { apiHarness, expectProblem, type ApiHarness } from './support';

let h: ApiHarness;

/** PK-2026-0001..0003: utbildning (execution, one report overdue; idea; followUp with an effect report received); 0004: stadsbyggnad (idea). */
beforeAll(async () => {
  h = await apiHarness();
  const running = new CaseStory('PK-2026-0001', { title: 'Digital ansökan till förskola' });
  for (const step of running.toExecution()) await h.record(step);
  await h.record(running.reportOverdue('r1'));

  const idea = new CaseStory('PK-2026-0002', { title: 'Skolskjuts i appen', createdAt: '2026-02-03T09:00:00.000Z' });
  await h.record(idea.started());

  const followed = new CaseStory('PK-2026-0003', { title: 'Elevhälsans journal', createdAt: '2026-02-04T09:00:00.000Z' });
  for (const step of followed.toExecution()) await h.record(step);
  await h.record(followed.step('approve-closure', { view: { stage: 'followUp' } }));
  const effect = { id: 'E1', type: 'effect' as const, periodStart: '2027-06-01', periodEnd: '2028-06-01', dueDate: '2028-06-01', dueAt: '2028-06-01T21:59:59.999Z', status: 'received' as const, receivedAt: '2028-05-20T10:00:00.000Z', content: { realised: { citizenBenefit: 3_000_000, businessBenefit: 1_000_000, operationCost: 350_000 }, savings: [{ key: 'utbildning:forskola-pappersblanketter', realisedAmountPerYear: 300_000 }] } };
  await h.record(followed.step('submit-effect-report', {
    actor: { id: 'anna', name: 'Anna Berg', roles: ['applicant'], org: 'utbildning' },
    input: { reportId: 'E1', ...effect.content },
    motivation: 'Nyttan kom, "nästan" helt, men senare',
    view: { reports: [...followed.view.reports, effect] },
  }));

  const other = new CaseStory('PK-2026-0004', { organisation: 'stadsbyggnad', title: 'Bygglov i kartan', createdAt: '2026-02-05T09:00:00.000Z' });
  await h.record(other.started());
});
afterAll(() => h?.close());

const ids = (res: request.Response) => res.body.items.map((c: { id: string }) => c.id);

describe('the case list', () => {
  test('newest first, each item a documented summary', async () => {
    const res = await h.get('/api/v1/cases', 'officer');
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(['PK-2026-0004', 'PK-2026-0003', 'PK-2026-0002', 'PK-2026-0001']);
    expect(res.body.nextCursor).toBeNull();
    for (const item of res.body.items) expect(caseSummarySchema.strict().safeParse(item).error).toBeUndefined();
    expect(res.body.items.find((c: { id: string }) => c.id === 'PK-2026-0001')).toMatchObject({ stage: 'execution', overdueReports: 1, grantedAmount: 2_800_000 });
  });

  test('filters: stage, portfolio, organisation, overdue, text in the title or number', async () => {
    expect(ids(await h.get('/api/v1/cases?stage=idea', 'officer'))).toEqual(['PK-2026-0004', 'PK-2026-0002']);
    expect(ids(await h.get('/api/v1/cases?portfolio=p1', 'officer'))).toEqual(['PK-2026-0003', 'PK-2026-0001']);
    expect(ids(await h.get('/api/v1/cases?organisation=stadsbyggnad', 'officer'))).toEqual(['PK-2026-0004']);
    expect(ids(await h.get('/api/v1/cases?overdue=true', 'officer'))).toEqual(['PK-2026-0001']);
    expect(ids(await h.get('/api/v1/cases?q=skol', 'officer'))).toEqual(['PK-2026-0002']);
    expect(ids(await h.get(`/api/v1/cases?q=${encodeURIComponent('PK-2026-0003')}`, 'officer'))).toEqual(['PK-2026-0003']);
    expect(ids(await h.get('/api/v1/cases?stage=idea&organisation=utbildning', 'officer'))).toEqual(['PK-2026-0002']);
  });

  test('pages follow the cursor without gaps or repeats', async () => {
    const seen: string[] = [];
    let url = '/api/v1/cases?limit=1';
    for (let pages = 0; pages < 10; pages++) {
      const res = await h.get(url, 'auditor');
      expect(res.body.items).toHaveLength(1);
      seen.push(...ids(res));
      if (res.body.nextCursor === null) break;
      url = `/api/v1/cases?limit=1&cursor=${res.body.nextCursor}`;
    }
    expect(seen).toEqual(['PK-2026-0004', 'PK-2026-0003', 'PK-2026-0002', 'PK-2026-0001']);
  });
});

describe('the case view', () => {
  test('is the documented view with the actions open to the caller', async () => {
    const res = await h.get('/api/v1/cases/PK-2026-0002', 'officer');
    expect(res.status).toBe(200);
    expect(caseViewSchema.safeParse(res.body).error).toBeUndefined();
    expect(res.body).toMatchObject({ id: 'PK-2026-0002', stage: 'idea', allowedActions: ['screen-idea', 'assign'] });
    expect((await h.get('/api/v1/cases/PK-2026-0002', 'applicant')).body.allowedActions).toEqual(['withdraw']);
    expect((await h.get('/api/v1/cases/PK-2026-0002', 'auditor')).body.allowedActions).toEqual([]);
    expect(caseViewSchema.safeParse((await h.get('/api/v1/cases/PK-2026-0003', 'council')).body).error).toBeUndefined();
  });

  test('an unknown case is a 404 problem', async () => {
    expectProblem(await h.get('/api/v1/cases/PK-2026-0999', 'officer'), 404, 'not-found');
  });
});

describe("applicants see only their own organisation's cases", () => {
  test('by id, in lists, in history, and not in the export', async () => {
    expectProblem(await h.get('/api/v1/cases/PK-2026-0001', 'otherApplicant'), 403, 'forbidden');
    expect((await h.get('/api/v1/cases/PK-2026-0004', 'otherApplicant')).status).toBe(200);

    expect(ids(await h.get('/api/v1/cases', 'otherApplicant'))).toEqual(['PK-2026-0004']);
    expect(ids(await h.get('/api/v1/cases', 'applicant'))).toEqual(['PK-2026-0003', 'PK-2026-0002', 'PK-2026-0001']);
    expect(ids(await h.get('/api/v1/cases?q=Bygglov', 'applicant'))).toEqual([]);
    expectProblem(await h.get('/api/v1/cases?organisation=utbildning', 'otherApplicant'), 403, 'forbidden');

    expectProblem(await h.get('/api/v1/cases/PK-2026-0001/history', 'otherApplicant'), 403, 'forbidden');
    expect((await h.get('/api/v1/cases/PK-2026-0001/history', 'applicant')).status).toBe(200);

    expectProblem(await h.get('/api/v1/audit/events?caseId=PK-2026-0001', 'otherApplicant'), 403, 'forbidden');
    expectProblem(await h.get('/api/v1/audit/events', 'applicant'), 403, 'forbidden');
  });

  test('an applicant cannot act on another organisation\'s case', async () => {
    expectProblem(await h.post('/api/v1/cases/PK-2026-0002/actions/withdraw', 'otherApplicant', {}), 403, 'forbidden');
  });
});

describe('history', () => {
  test('the audit trail of a case, oldest first, with who, when, what and why', async () => {
    const res = await h.get('/api/v1/cases/PK-2026-0001/history', 'auditor');
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('audit');
    expect(res.body.items.map((e: { action: string }) => e.action)).toEqual([
      'case-started', 'screen-idea', 'submit-application', 'recommend', 'schedule-council', 'council-opinion', 'budget-check', 'decide', 'report-overdue',
    ]);
    expect(res.body.items[7]).toMatchObject({
      caseSeq: 8, actor: { id: 'dora', roles: ['decider:stadsdirektor'] }, stageBefore: 'decision', stageAfter: 'execution',
      motivation: 'Ryms i portföljens ram; tydlig nytta för medborgarna.', input: expect.objectContaining({ outcome: 'approve', grantedAmount: 2_800_000 }), hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  test("source=engine is a 404 problem once the engine no longer holds the case's history", async () => {
    // These cases were never run by this engine, exactly as after the namespace's retention period.
    const res = await h.get('/api/v1/cases/PK-2026-0001/history?source=engine', 'auditor');
    expectProblem(res, 404, 'not-found');
    expect(res.body.detail).toContain('source=audit');
  });

  test('is for officers, auditors, the council and the case\'s applicants; not for budget or valuers', async () => {
    expectProblem(await h.get('/api/v1/cases/PK-2026-0001/history', 'budget'), 403, 'forbidden');
    expectProblem(await h.get('/api/v1/cases/PK-2026-0001/history', 'valuer'), 403, 'forbidden');
    expect((await h.get('/api/v1/cases/PK-2026-0001/history', 'council')).status).toBe(200);
  });
});

describe('audit export and verification', () => {
  // The steps of the four cases, and the seeding of the reference data.
  const total = 9 + 1 + 10 + 1 + 1;

  test('JSON: every event in time order; filters by case, action, actor and time', async () => {
    const all = await h.get('/api/v1/audit/events', 'auditor');
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toContain('application/json');
    expect(all.body.items).toHaveLength(total);
    const order = all.body.items.map((e: { at: string; seq: number }) => [e.at, e.seq]);
    expect(order).toEqual([...order].sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]));
    expect(new Set(all.body.items.map((e: { seq: number }) => e.seq)).size).toBe(total);
    expect(all.body.export).toMatchObject({ head: Math.max(...all.body.items.map((e: { seq: number }) => e.seq)), events: total, complete: true, filter: {} });

    const byCase = await h.get('/api/v1/audit/events?caseId=PK-2026-0002', 'auditor');
    expect(byCase.body.items.map((e: { action: string }) => e.action)).toEqual(['case-started']);
    const decisions = await h.get('/api/v1/audit/events?action=decide&actor=dora', 'auditor');
    expect(decisions.body.items.map((e: { caseId: string }) => e.caseId)).toEqual(['PK-2026-0001', 'PK-2026-0003']);
    // Each story step is a day at 09:00 UTC; from is inclusive, to exclusive.
    const window = await h.get('/api/v1/audit/events?from=2026-02-09T09:00:00Z&to=2026-02-10', 'auditor');
    expect(window.body.items.map((e: { caseId: string; action: string }) => `${e.caseId} ${e.action}`)).toEqual(['PK-2026-0001 decide', 'PK-2026-0003 council-opinion']);
  });

  test('NDJSON: one event per line; CSV: a header and one quoted row per event', async () => {
    const ndjson = await request(h.app).get('/api/v1/audit/events?format=ndjson&caseId=PK-2026-0003')
      .set('Authorization', await h.auth('auditor')).buffer(true).parse((res, cb) => { let t = ''; res.on('data', (c: Buffer) => { t += c; }); res.on('end', () => cb(null, t)); });
    expect(ndjson.headers['content-type']).toContain('application/x-ndjson');
    const lines = (ndjson.body as string).trim().split('\n').map((l) => JSON.parse(l));
    // Ten events, no checkpoint signed yet, and the closing summary.
    expect(lines).toHaveLength(11);
    expect(lines[9]).toMatchObject({ action: 'submit-effect-report', caseSeq: 10 });
    expect(lines[10].export).toMatchObject({ events: 10, complete: false, filter: { caseId: 'PK-2026-0003' } });

    const csv = await request(h.app).get('/api/v1/audit/events?format=csv&action=submit-effect-report').set('Authorization', await h.auth('auditor'));
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain('audit-events.csv');
    const [header, row, summary, end] = csv.text.split('\r\n');
    expect(header).toBe('record,seq,caseId,caseSeq,subject,at,actorId,actorName,actorRoles,actorOrg,action,stageBefore,stageAfter,motivation,input,outcome,prevHash,hash,keyId,signature');
    expect(row).toMatch(/^event,\d+,PK-2026-0003,10,,/);
    expect(row).toContain('"Nyttan kom, ""nästan"" helt, men senare"');
    expect(summary).toMatch(/^export,/);
    expect(end).toBe('');
  });

  test('verify recomputes the whole chain', async () => {
    const res = await h.get('/api/v1/audit/verify', 'auditor');
    expect(res.body).toEqual({ ok: true, checked: total, firstBrokenSeq: null, reason: null, checkpoints: 0, from: 1, signedHead: null });
  });

  test('only auditors export and verify', async () => {
    for (const who of ['officer', 'admin', 'council'] as const) {
      expectProblem(await h.get('/api/v1/audit/events', who), 403, 'forbidden');
      expectProblem(await h.get('/api/v1/audit/verify', who), 403, 'forbidden');
    }
  });
});

describe('the dashboard', () => {
  test('stages, late reports, lead times, frames, benefits and email delivery', async () => {
    const res = await h.get('/api/v1/dashboard', 'council');
    expect(res.status).toBe(200);
    const d = res.body;
    expect(d.stages).toMatchObject({ idea: 2, execution: 1, followUp: 1, completed: 0 });
    expect(d.reports).toEqual({
      overdue: 1, escalated: 0,
      items: [{ caseId: 'PK-2026-0001', title: 'Digital ansökan till förskola', organisation: 'utbildning', reportId: 'r1', type: 'sixWeek', dueDate: '2026-07-13', status: 'overdue' }],
    });
    // Each story step is a day: idea day 0, application day 2, decision day 7, project start 2026-06-01.
    expect(d.leadTimes.ideaToDecision).toEqual({ medianDays: 7, cases: 2 });
    expect(d.leadTimes.applicationToDecision).toEqual({ medianDays: 5, cases: 2 });
    expect(d.leadTimes.decisionToStart.cases).toBe(2);
    expect(d.frames).toEqual(expect.arrayContaining([{ portfolioId: 'p1', year: 2026, frame: 40_000_000, reserved: 0, remaining: 40_000_000 }]));
    expect(d.benefits).toEqual({
      cases: 1,
      planned: { citizenBenefit: 4_000_000, businessBenefit: 1_500_000, operationCost: 300_000, savingsPerYear: 400_000 },
      realised: { citizenBenefit: 3_000_000, businessBenefit: 1_000_000, operationCost: 350_000, savingsPerYear: 300_000 },
    });
    expect(d.emails).toMatchObject({ sending: 0, sent: 0, failed: 0, latestFailures: [] });
    expect(d.emails.pending).toBeGreaterThan(0);
  });

  test('emails: those being sent count apart, the oldest one waiting says since when, refusals are listed without addresses', async () => {
    const rows = await h.database.db.select().from(outbox).orderBy(asc(outbox.id));
    const before = (await h.get('/api/v1/dashboard', 'officer')).body.emails;
    await h.database.db.update(outbox).set({ status: 'sending', createdAt: '2001-03-01T08:00:00Z' }).where(eq(outbox.id, rows[0].id));
    await h.database.db.update(outbox).set({ status: 'failed', lastError: '550 mailbox unknown', sentAt: '2026-03-02T09:30:00Z' }).where(eq(outbox.id, rows[1].id));
    try {
      const { emails } = (await h.get('/api/v1/dashboard', 'officer')).body;
      expect(emails).toEqual({
        pending: before.pending - 2, sending: 1, sent: 0, failed: 1,
        oldestPendingAt: '2001-03-01T08:00:00.000Z',
        latestFailures: [{ caseId: rows[1].caseId, seq: rows[1].seq, template: rows[1].template, lastError: '550 mailbox unknown', at: '2026-03-02T09:30:00.000Z' }],
      });
      expect(JSON.stringify(emails)).not.toContain('@');
    } finally {
      for (const row of rows.slice(0, 2)) {
        await h.database.db.update(outbox).set({ status: row.status, createdAt: row.createdAt, lastError: row.lastError, sentAt: row.sentAt }).where(eq(outbox.id, row.id));
      }
    }
  });

  test('is not for applicants', async () => {
    expectProblem(await h.get('/api/v1/dashboard', 'applicant'), 403, 'forbidden');
  });
});

describe('a large export', () => {
  test('streams past one database batch (1000 rows) complete and in order', async () => {
    // Appended in one statement, hash-chained as appendAuditEvent would chain them one by one.
    const [last] = await h.database.db.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    let prevHash = last.hash;
    const rows = Array.from({ length: 1_205 }, (_, n) => {
      const content: AuditContent = {
        caseId: 'PK-2025-0001', caseSeq: n + 1, at: new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString(),
        actor: { id: 'system', name: 'Systemet', roles: ['system'], org: null }, action: 'reminder',
        stageBefore: 'execution', stageAfter: 'execution', input: null, outcome: { n }, motivation: null,
      };
      const hash = canonicalHash(content, prevHash);
      const row = {
        caseId: content.caseId, caseSeq: content.caseSeq, at: content.at, actorId: 'system', actorName: 'Systemet', actorRoles: ['system'],
        actorOrg: null, action: content.action, stageBefore: content.stageBefore, stageAfter: content.stageAfter, input: null,
        outcome: content.outcome, motivation: null, prevHash, hash,
      };
      prevHash = hash;
      return row;
    });
    await h.database.db.insert(auditEvents).values(rows);
    const res = await request(h.app).get('/api/v1/audit/events?format=ndjson&caseId=PK-2025-0001').set('Authorization', await h.auth('auditor'))
      .buffer(true).parse((r, cb) => { let t = ''; r.on('data', (c: Buffer) => { t += c; }); r.on('end', () => cb(null, t)); });
    const lines = (res.body as string).trim().split('\n').slice(0, -1).map((l) => JSON.parse(l) as { caseSeq: number });
    expect(lines.map((e) => e.caseSeq)).toEqual(Array.from({ length: 1_205 }, (_, i) => i + 1));
    expect((await h.get('/api/v1/audit/verify', 'auditor')).body).toMatchObject({ ok: true, checked: 22 + 1_205 });
  });
});
