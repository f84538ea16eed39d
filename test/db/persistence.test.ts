// recordStep and the savings bookings: what one recorded step leaves in the read model, that a re-delivered
// step changes nothing, and the double-count check between cases.
import { asc, eq, sql } from 'drizzle-orm';
import type { EmailPlanner } from '../../activities/contract';
import { createPersistenceActivities } from '../../activities/persistence';
import { verifyAuditChain } from '../../db/audit';
import type { Db } from '../../db/client';
import {
  auditEvents, cases, changeRequests, councilAgenda, councilMeetings, decisions, outbox, reports, savingsClaims,
} from '../../db/schema';
import type { StepRecord } from '../../workflows/types';
import { freshDatabase, type TestDatabase } from '../support/db';
import { actors, application, CaseStory, planOneEmailPerIntent } from '../support/steps';

let database: TestDatabase;
let db: Db;
let activities: ReturnType<typeof createPersistenceActivities>;

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  activities = createPersistenceActivities({ db, planEmails: planOneEmailPerIntent });
  await db.insert(councilMeetings).values({ id: 'ur-2026-03', date: '2026-03-10', title: 'Utvecklingsrådet mars' });
});

afterAll(() => database.close());

/** Every table a step writes, as plain rows in a stable order. */
async function snapshot(caseId: string) {
  return {
    audit: await db.select().from(auditEvents).where(eq(auditEvents.caseId, caseId)).orderBy(asc(auditEvents.seq)),
    cases: await db.select().from(cases).where(eq(cases.id, caseId)),
    reports: await db.select().from(reports).where(eq(reports.caseId, caseId)).orderBy(asc(reports.id)),
    decisions: await db.select().from(decisions).where(eq(decisions.caseId, caseId)).orderBy(asc(decisions.seq)),
    changeRequests: await db.select().from(changeRequests).where(eq(changeRequests.caseId, caseId)).orderBy(asc(changeRequests.id)),
    agenda: await db.select().from(councilAgenda).where(eq(councilAgenda.caseId, caseId)),
    claims: await db.select().from(savingsClaims).where(eq(savingsClaims.caseId, caseId)).orderBy(asc(savingsClaims.key)),
    outbox: await db.select().from(outbox).where(eq(outbox.caseId, caseId)).orderBy(asc(outbox.id)),
  };
}

async function recordAll(steps: StepRecord[]) {
  for (const step of steps) await activities.recordStep(step);
}

describe('a case played from idea to a change request', () => {
  const story = new CaseStory('PK-2026-0101');
  const steps = [
    ...story.toExecution({ grantedAmount: 2_800_000 }),
    story.reportOverdue('r1'),
    story.requestChange(3_400_000),
    story.decideChange('approve'),
  ];

  beforeAll(() => recordAll(steps));

  test('the case row holds the latest view and the lead-time instants', async () => {
    const [row] = await db.select().from(cases).where(eq(cases.id, story.id));
    expect(row).toMatchObject({
      stage: 'execution', portfolio: 'p1', organisation: 'utbildning', kind: 'implementation', applicantStatus: 'granted',
      grantedAmount: 3_400_000, seq: steps.length, projectStart: '2026-06-01',
    });
    expect(row.view).toEqual(story.view);
    expect(new Date(row.applicationAt!).toISOString()).toBe(steps[2].at);
    expect(new Date(row.decisionAt!).toISOString()).toBe(steps[7].at);
    expect(row.closedAt).toBeNull();
  });

  test('every step is one audit row, in order', async () => {
    const { audit } = await snapshot(story.id);
    expect(audit.map((a) => a.caseSeq)).toEqual(steps.map((s) => s.seq));
    expect(audit.map((a) => a.action)).toEqual([
      'case-started', 'screen-idea', 'submit-application', 'recommend', 'schedule-council', 'council-opinion', 'budget-check', 'decide',
      'report-overdue', 'request-change', 'decide-change',
    ]);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  test('decisions are recorded with their grounds', async () => {
    const { decisions: rows } = await snapshot(story.id);
    expect(rows.map((d) => [d.kind, d.outcome, d.amount, d.tier, d.decidedBy])).toEqual([
      ['screening', 'approve', null, null, 'olof'],
      ['preparation', 'support', null, null, 'per'],
      ['council', 'recommend', null, null, 'cecilia'],
      ['budget', 'ok', null, null, 'bengt'],
      ['grant', 'approve', 2_800_000, 'stadsdirektor', 'dora'],
      ['change', 'approved', 3_400_000, 'stadsdirektor', 'dora'],
    ]);
    expect(rows[4].motivation).toBe('Ryms i portföljens ram; tydlig nytta för medborgarna.');
  });

  test('reports, change requests, the agenda and savings claims follow the view', async () => {
    const s = await snapshot(story.id);
    expect(s.reports.map((r) => [r.id, r.type, r.dueDate, r.status])).toEqual([
      ['r1', 'sixWeek', '2026-07-13', 'overdue'],
      ['r2', 'tertial2', '2026-09-15', 'scheduled'],
      ['r3', 'yearEnd', '2027-01-31', 'scheduled'],
    ]);
    expect(s.changeRequests).toMatchObject([{ id: 'cr1', newTotalCost: 3_400_000, status: 'approved', tier: 'stadsdirektor' }]);
    expect(s.agenda).toEqual([{ meetingId: 'ur-2026-03', caseId: story.id }]);
    expect(s.claims).toMatchObject([{ key: 'utbildning:forskola-pappersblanketter', status: 'live', amountPerYear: 400_000 }]);
  });

  test('each notification intent becomes one pending outbox row', async () => {
    const { outbox: rows } = await snapshot(story.id);
    const intents = steps.flatMap((s) => s.notifications.map((n) => [s.seq, n.template]));
    expect(rows.map((r) => [r.seq, r.template])).toEqual(intents);
    expect(rows.every((r) => r.status === 'pending')).toBe(true);
  });

  test('delivering every step again changes nothing', async () => {
    const before = await snapshot(story.id);
    await recordAll(steps);
    await recordAll([...steps].reverse());
    expect(await snapshot(story.id)).toEqual(before);
  });
});

test('a report gone from the view leaves the read model, a changed one is updated, the others stay as they were', async () => {
  const story = new CaseStory('PK-2026-0106');
  await recordAll(story.toExecution({ grantedAmount: 1_000_000 }));
  const stored = () => db.select({ id: reports.id, status: reports.status, row: sql<string>`${reports}.xmin::text` })
    .from(reports).where(eq(reports.caseId, story.id)).orderBy(asc(reports.id));
  const before = await stored();
  expect(before.map((r) => r.id)).toEqual(['r1', 'r2', 'r3']);

  // A shortened project: its year-end report goes, its first report is received.
  await activities.recordStep(story.step('decide-change', {
    actor: actors.decider,
    view: { reports: story.view.reports.filter((r) => r.id !== 'r3').map((r) => (r.id === 'r1' ? { ...r, status: 'received' as const, receivedAt: story.nextAt } : r)) },
  }));
  const after = await stored();
  expect(after.map((r) => [r.id, r.status])).toEqual([['r1', 'received'], ['r2', 'scheduled']]);
  // The unchanged report's row is the same row version: not rewritten by the step.
  expect(after[1].row).toBe(before[1].row);
  expect(after[0].row).not.toBe(before[0].row);
});

test('a step that arrives after a later one is audited but does not roll the view back', async () => {
  const story = new CaseStory('PK-2026-0102');
  const [started, screened, applied] = [story.started(), story.screen('approve'), story.submitApplication()];
  await recordAll([started, applied]);
  await activities.recordStep(screened);
  const s = await snapshot(story.id);
  expect(s.cases[0]).toMatchObject({ seq: 3, stage: 'preparation' });
  expect(s.audit.map((a) => a.caseSeq)).toEqual([1, 3, 2]);
  expect(s.decisions.map((d) => d.kind)).toEqual(['screening']);
});

test('two deliveries of the same step at once write it once', async () => {
  const story = new CaseStory('PK-2026-0103');
  await activities.recordStep(story.started());
  const screened = story.screen('approve');
  await Promise.all([activities.recordStep(screened), activities.recordStep(screened), activities.recordStep(screened)]);
  const s = await snapshot(story.id);
  expect(s.audit).toHaveLength(2);
  expect(s.outbox.filter((o) => o.seq === 2)).toHaveLength(1);
  expect(s.decisions).toHaveLength(1);
  expect((await verifyAuditChain(db)).ok).toBe(true);
});

test('steps of many cases recorded at once form one unbroken chain', async () => {
  const stories = Array.from({ length: 12 }, (_, i) => new CaseStory(`PK-2026-02${String(i).padStart(2, '0')}`));
  const before = (await db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(auditEvents))[0].n;
  await Promise.all(stories.map((s) => recordAll([s.started(), s.screen('approve'), s.submitApplication()])));
  const after = (await db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(auditEvents))[0].n;
  expect(after - before).toBe(36);
  expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: after, firstBrokenSeq: null, reason: null, checkpoints: 0, from: 1, signedHead: null });
});

test('a step whose emails cannot be planned leaves no trace, and records fully when retried', async () => {
  const story = new CaseStory('PK-2026-0104');
  const started = story.started();
  let fail = true;
  const flaky: EmailPlanner = async (tx, step) => {
    if (fail) throw new Error('template missing');
    return planOneEmailPerIntent(tx, step);
  };
  const { recordStep } = createPersistenceActivities({ db, planEmails: flaky });
  await expect(recordStep(started)).rejects.toThrow('template missing');
  expect(await snapshot(story.id)).toEqual({ audit: [], cases: [], reports: [], decisions: [], changeRequests: [], agenda: [], claims: [], outbox: [] });
  fail = false;
  await recordStep(started);
  const s = await snapshot(story.id);
  expect([s.audit.length, s.cases.length, s.outbox.length]).toEqual([1, 1, 2]);
});

test('scheduling a case for a meeting that does not exist records the step without an agenda row', async () => {
  const story = new CaseStory('PK-2026-0105');
  await recordAll([story.started(), story.screen('approve'), story.submitApplication(), story.recommend(), story.scheduleCouncil('no-such-meeting')]);
  const s = await snapshot(story.id);
  expect(s.agenda).toEqual([]);
  expect(s.audit.at(-1)).toMatchObject({ action: 'schedule-council', input: { meetingId: 'no-such-meeting' } });
});

describe('double-count check', () => {
  const key = 'socialtjanst:digital-ekonomiskt-bistand';
  const claim = { key, description: 'Handläggning av pappersansökningar', amountPerYear: 1_200_000 };
  const other = { key: 'socialtjanst:sms-paminnelser', amountPerYear: 50_000 };

  async function applied(id: string) {
    const story = new CaseStory(id, { organisation: 'socialforvaltningen' });
    await recordAll([story.started(), story.screen('approve'), story.submitApplication(application({ portfolio: 'p2', savingsClaims: [claim, other] }))]);
    return story;
  }

  test('a key booked by another live case is a conflict naming that case; the case\'s own claims are not', async () => {
    const first = await applied('PK-2026-0301');
    expect(await activities.findSavingsConflicts('PK-2026-0302', [key, 'socialtjanst:ny-nyckel'])).toEqual([{ key, caseIds: [first.id] }]);
    expect(await activities.findSavingsConflicts(first.id, [key, other.key])).toEqual([]);
    expect(await activities.findSavingsConflicts('PK-2026-0302', [])).toEqual([]);
  });

  test('every case holding the key is named; removed and ended claims free it', async () => {
    const a = await applied('PK-2026-0311');
    const b = await applied('PK-2026-0312');
    const k = 'socialtjanst:digital-ekonomiskt-bistand';
    const holders = async () => (await activities.findSavingsConflicts('PK-2026-0399', [k]))[0]?.caseIds ?? [];
    expect(await holders()).toEqual(expect.arrayContaining([a.id, b.id]));

    await activities.recordStep(b.resolveDoubleCount(k, 'removed'));
    expect(await db.select({ key: savingsClaims.key, status: savingsClaims.status }).from(savingsClaims).where(eq(savingsClaims.caseId, b.id)).orderBy(asc(savingsClaims.key)))
      .toEqual([{ key: k, status: 'removed' }, { key: other.key, status: 'live' }]);
    expect(await holders()).not.toContain(b.id);

    await activities.recordStep(a.withdraw());
    expect(await holders()).not.toContain(a.id);
    expect((await db.select({ status: savingsClaims.status }).from(savingsClaims).where(eq(savingsClaims.caseId, a.id))).map((r) => r.status)).toEqual(['closed', 'closed']);
  });

  test('an approved case keeps its claims booked after it is terminated', async () => {
    const story = new CaseStory('PK-2026-0321', { organisation: 'stadsbyggnad' });
    const k = 'stadsbygg:bygglov-arkiv';
    await recordAll([...story.toExecution({ app: application({ savingsClaims: [{ key: k, amountPerYear: 300_000 }] }) }), story.terminate()]);
    expect(await activities.findSavingsConflicts('PK-2026-0322', [k])).toEqual([{ key: k, caseIds: [story.id] }]);
  });

  test('two bookings of the same key at the same moment: the second sees the first, whichever it is', async () => {
    const k = 'socialtjanst:samtidig-bokning';
    const [a, b] = [new CaseStory('PK-2026-0341', { organisation: 'socialforvaltningen' }), new CaseStory('PK-2026-0342', { organisation: 'socialforvaltningen' })];
    await recordAll([a.started(), a.screen('approve'), b.started(), b.screen('approve')]);
    // On PostgreSQL each booking is its own transaction on its own connection.
    const [forA, forB] = await Promise.all([a, b].map((c) => activities.bookSavingsClaims(c.id, [{ key: k, amountPerYear: 10_000 }])));
    expect([forA, forB].map((conflicts) => conflicts.length).sort()).toEqual([0, 1]);
    expect([...forA, ...forB]).toEqual([{ key: k, caseIds: [forA.length ? b.id : a.id] }]);
    expect((await db.select({ caseId: savingsClaims.caseId, status: savingsClaims.status }).from(savingsClaims).where(eq(savingsClaims.key, k)).orderBy(asc(savingsClaims.caseId))))
      .toEqual([{ caseId: a.id, status: 'live' }, { caseId: b.id, status: 'live' }]);
    // Booked again (a retried activity), the same answer and nothing more.
    expect(await activities.bookSavingsClaims(a.id, [{ key: k, amountPerYear: 10_000 }])).toEqual([{ key: k, caseIds: [b.id] }]);
  });

  test('a key dropped from a resubmitted application is no longer booked', async () => {
    const story = await applied('PK-2026-0331');
    await activities.recordStep(story.submitApplication(application({ portfolio: 'p2', savingsClaims: [other] })));
    expect(await db.select({ key: savingsClaims.key }).from(savingsClaims).where(eq(savingsClaims.caseId, story.id))).toEqual([{ key: other.key }]);
  });
});
