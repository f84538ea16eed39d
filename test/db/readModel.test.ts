// What the API and dashboard read: case lists with filters and paging, history, overdue reports,
// counts and lead times, all from cases recorded the way the workflow records them.
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createPersistenceActivities } from '../../activities/persistence';
import type { Db } from '../../db/client';
import { countsByStage, leadTimes, overdueReports } from '../../db/dashboard';
import { caseById, caseHistory, listCases, searchAuditEvents, textQuery } from '../../db/readModel';
import { BadCursorError } from '../../db/paging';
import { councilMeetings } from '../../db/schema';
import type { CaseView, StepRecord } from '../../workflows/types';
import { freshDatabase, type TestDatabase } from '../support/db';
import { application, CaseStory, planOneEmailPerIntent } from '../support/steps';

let database: TestDatabase;
let db: Db;

const DAY = 86_400_000;

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  const { recordStep } = createPersistenceActivities({ db, planEmails: planOneEmailPerIntent });
  await db.insert(councilMeetings).values({ id: 'ur-2026-03', date: '2026-03-10' });
  const stories: StepRecord[][] = [];
  // Ten ideas a day apart: PK-2026-0001 is the oldest.
  const story = (n: number, over: Partial<CaseView> = {}) => new CaseStory(`PK-2026-${String(n).padStart(4, '0')}`, {
    createdAt: new Date(Date.parse('2026-01-05T08:00:00Z') + n * DAY).toISOString(), ...over,
  });
  for (const n of [1, 2, 3]) stories.push([story(n, { title: `Digital ansökan ${n}` }).started()]);
  const rejected = story(4, { title: 'Chattbot för bygglov', organisation: 'stadsbyggnad' });
  stories.push([rejected.started(), rejected.screen('reject', 'Ingår i förvaltningens egen budget.')]);
  const granted = story(5, { title: 'Skolplattformens elevregister', organisation: 'utbildning' });
  stories.push([...granted.toExecution({ app: application({ portfolio: 'p3' }) }), granted.reportOverdue('r1')]);
  const granted2 = story(6, { title: 'Fiberkarta', organisation: 'stokab' });
  stories.push(granted2.toExecution({ app: application({ portfolio: 'p4' }) }));
  for (const steps of stories) for (const step of steps) await recordStep(step);
});

afterAll(() => database.close());

const ids = (items: { id: string }[]) => items.map((c) => c.id);

test('cases list newest first and filter by stage, portfolio and organisation', async () => {
  expect(ids((await listCases(db, {})).items)).toEqual(['PK-2026-0006', 'PK-2026-0005', 'PK-2026-0004', 'PK-2026-0003', 'PK-2026-0002', 'PK-2026-0001']);
  expect(ids((await listCases(db, { stage: 'idea' })).items)).toEqual(['PK-2026-0003', 'PK-2026-0002', 'PK-2026-0001']);
  expect(ids((await listCases(db, { portfolio: 'p3' })).items)).toEqual(['PK-2026-0005']);
  expect(ids((await listCases(db, { organisation: 'stadsbyggnad' })).items)).toEqual(['PK-2026-0004']);
  expect(ids((await listCases(db, { stage: 'execution', organisation: 'stokab' })).items)).toEqual(['PK-2026-0006']);
});

test('pages follow one another without gaps or repeats', async () => {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listCases(db, {}, { limit: 4, cursor });
    seen.push(...ids(page.items));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  expect(seen).toEqual(['PK-2026-0006', 'PK-2026-0005', 'PK-2026-0004', 'PK-2026-0003', 'PK-2026-0002', 'PK-2026-0001']);
  await expect(listCases(db, {}, { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(BadCursorError);
});

test('text search finds words of the title by their beginning, and the case number', async () => {
  expect(ids((await listCases(db, { q: 'skolplatt' })).items)).toEqual(['PK-2026-0005']);
  expect(ids((await listCases(db, { q: 'DIGITAL ansökan' })).items)).toEqual(['PK-2026-0003', 'PK-2026-0002', 'PK-2026-0001']);
  expect(ids((await listCases(db, { q: 'PK-2026-0004' })).items)).toEqual(['PK-2026-0004']);
  // tsquery operators in what the user typed are text, not syntax.
  expect(ids((await listCases(db, { q: "chatt bygglov')|!" })).items)).toEqual(['PK-2026-0004']);
  expect((await listCases(db, { q: 'ingenting' })).items).toEqual([]);
  expect(textQuery(' :* & ')).toBeNull();
});

test('overdue: the cases and reports past their due date', async () => {
  expect(ids((await listCases(db, { overdue: true })).items)).toEqual(['PK-2026-0005']);
  expect(await overdueReports(db)).toEqual([{
    caseId: 'PK-2026-0005', title: 'Skolplattformens elevregister', organisation: 'utbildning', reportId: 'r1', type: 'sixWeek', dueDate: '2026-07-13', status: 'overdue',
  }]);
});

test('case, history and audit search', async () => {
  expect((await caseById(db, 'PK-2026-0004'))?.stage).toBe('rejected');
  expect(await caseById(db, 'PK-2099-0001')).toBeNull();
  expect((await caseHistory(db, 'PK-2026-0004')).map((h) => [h.caseSeq, h.action, h.actorId])).toEqual([[1, 'case-started', 'anna'], [2, 'screen-idea', 'olof']]);
  const decisions = await searchAuditEvents(db, { action: 'decide' });
  expect(decisions.items.map((e) => e.caseId)).toEqual(['PK-2026-0005', 'PK-2026-0006']);
  const byOlof = await searchAuditEvents(db, { actor: 'olof' });
  expect(byOlof.items.map((e) => [e.at.slice(0, 10), e.caseId, e.action])).toEqual([
    ['2026-01-10', 'PK-2026-0004', 'screen-idea'],
    ['2026-01-11', 'PK-2026-0005', 'screen-idea'],
    ['2026-01-12', 'PK-2026-0006', 'screen-idea'],
    ['2026-01-14', 'PK-2026-0005', 'schedule-council'],
    ['2026-01-15', 'PK-2026-0006', 'schedule-council'],
  ]);
  expect(byOlof.nextCursor).toBeNull();
  // Paging through every event, three at a time, crosses steps of different cases at the same instant.
  const all = await searchAuditEvents(db, {}, { limit: 1000 });
  const paged = [];
  let cursor: string | undefined;
  do {
    const page = await searchAuditEvents(db, {}, { limit: 3, cursor });
    paged.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  expect(paged).toEqual(all.items);
  expect(new Set(all.items.map((e) => e.at)).size).toBeLessThan(all.items.length);
});

test('counts per stage and median lead times', async () => {
  expect(await countsByStage(db)).toEqual({ idea: 3, rejected: 1, execution: 2 });
  // Both grants: idea day 1, application day 3, decision day 8 of their story; project start 2026-06-01.
  const times = await leadTimes(db);
  expect(times.ideaToDecision).toEqual({ medianDays: 7, cases: 2 });
  expect(times.applicationToDecision).toEqual({ medianDays: 5, cases: 2 });
  expect(times.decisionToStart.cases).toBe(2);
  // 2026-06-01 00:00 in Stockholm (22:00 UTC the day before) from decisions at 08:00 UTC on 2026-01-17 and -18.
  expect(times.decisionToStart.medianDays).toBeCloseTo(134.5 - 10 / 24, 6);
  expect(await leadTimes(db, { from: '2026-01-18T00:00:00Z' })).toMatchObject({ ideaToDecision: { medianDays: 7, cases: 1 } });
});

test('reports an earlier version left overdue after execution ended are closed as not received by the migration', async () => {
  const { recordStep } = createPersistenceActivities({ db, planEmails: planOneEmailPerIntent });
  // As edition 1 recorded it: terminated with a report still overdue, which no filter should count any more.
  const stale = new CaseStory('PK-2026-0007', { createdAt: '2026-01-20T08:00:00.000Z', title: 'Avbrutet projekt', organisation: 'stokab' });
  for (const step of [...stale.toExecution({ app: application({ portfolio: 'p4' }) }), stale.reportOverdue('r1'), stale.terminate()]) await recordStep(step);
  expect(ids((await listCases(db, { overdue: true })).items)).toEqual(['PK-2026-0007', 'PK-2026-0005']);

  const migration = fs.readFileSync(path.join(__dirname, '../../db/migrations/0004_unfiled_reports_not_received.sql'), 'utf8');
  for (const statement of migration.split('--> statement-breakpoint')) await db.execute(sql.raw(statement));

  // The running project's overdue report is still late; the ended one's is not, anywhere.
  expect(ids((await listCases(db, { overdue: true })).items)).toEqual(['PK-2026-0005']);
  expect((await overdueReports(db)).map((r) => r.caseId)).toEqual(['PK-2026-0005']);
  expect((await caseById(db, 'PK-2026-0007'))?.reports.find((r) => r.id === 'r1')?.status).toBe('notReceived');
  expect((await caseById(db, 'PK-2026-0005'))?.reports.find((r) => r.id === 'r1')?.status).toBe('overdue');
});
