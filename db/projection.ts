// The read model: the projection of the case workflow's CaseView (the case row, its reports, change requests and
// savings claims, decisions, the applicants' timeline, the council's agenda), written by the step that changed
// it, inside the step's transaction. Every write is keyed by the step, so a retried step changes nothing again.
import { and, eq, getTableColumns, not, notInArray, type SQL, sql, type WithSubquery } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from './client';
import { councilMeetingExists } from './referenceData';
import { cases, caseTimeline, changeRequests, councilAgenda, councilPriorities, decisions, reports, savingsClaims } from './schema';
import { reportTexts } from '../workflows/reports';
import { claimStatus } from '../workflows/savings';
import type { CaseView, StepRecord } from '../workflows/types';

/** The step in the read model: the projection, and for schedule-council the agenda row. */
export async function projectStep(tx: Db, step: StepRecord): Promise<void> {
  await project(tx, step);
  await keepReportTexts(tx, step);
  await addToAgenda(tx, step);
  await followPriorityClaims(tx, step);
}

/** A filed report's free texts, from the step's body: the view leaves them out (workflows/reports.ts). */
async function keepReportTexts(tx: Db, step: StepRecord): Promise<void> {
  const body = step.input as ({ reportId: string } & Record<string, unknown>) | null;
  if ((step.action !== 'submit-report' && step.action !== 'submit-effect-report') || !body) return;
  const texts = reportTexts(body);
  if (texts) await tx.update(reports).set({ texts }).where(and(eq(reports.caseId, step.caseId), eq(reports.id, body.reportId)));
}

/** Steps that move a case on or off a meeting, or give it its rank there. */
const COUNCIL_STEPS: readonly string[] = ['schedule-council', 'council-opinion', 'decide'];

/**
 * A case's claim on a council rank follows its view: moved to another meeting, or returned to preparation, it
 * gives the rank up for the next case.
 */
async function followPriorityClaims(tx: Db, step: StepRecord): Promise<void> {
  if (!COUNCIL_STEPS.includes(step.action)) return;
  const council = step.view.council;
  await tx.delete(councilPriorities).where(and(
    eq(councilPriorities.caseId, step.caseId),
    council?.priority === undefined ? undefined : not(and(eq(councilPriorities.meetingId, council.meetingId), eq(councilPriorities.priority, council.priority))!),
  ));
}

/**
 * The step in the read model, in one statement (each round trip waits on a busy worker's event loop): the case
 * row inserted or advanced, its reports, change requests and savings claims, the decision and the applicants'
 * timeline. A step older than the stored view (an out-of-order retry) leaves the case row and its
 * child rows alone; its decision and timeline rows are keyed by the step and skip what is there.
 */
async function project(tx: Db, step: StepRecord): Promise<void> {
  const advanced = tx.$with('advanced').as(caseRow(tx, step));
  const ifAdvanced = sql`EXISTS (SELECT FROM ${advanced})`;
  const writes: WithSubquery[] = [advanced, ...childRows(tx, step.view, ifAdvanced)];
  const d = step.decision;
  if (d) {
    writes.push(tx.$with('decision').as(tx.insert(decisions).values({
      caseId: step.caseId, seq: step.seq, decidedBy: step.actor.id, at: step.at,
      kind: d.kind, outcome: d.outcome, amount: d.amount ?? null, tier: d.tier ?? null, motivation: step.motivation ?? null,
    }).onConflictDoNothing().returning({ seq: decisions.seq })));
  }
  await tx.with(...writes).insert(caseTimeline).values({
    caseId: step.caseId, seq: step.seq, at: step.at, applicantStatus: step.view.applicantStatus,
    applicantAction: step.actor.roles.includes('applicant') ? step.action : null,
  }).onConflictDoNothing();
}

/** Inserts or advances the case row, returning it only when written (not when the stored view is at or past this step). */
function caseRow(tx: Db, step: StepRecord) {
  const v = step.view;
  const changes = {
    title: v.title,
    organisation: v.organisation,
    portfolio: v.portfolio,
    kind: v.kind,
    stage: v.stage,
    applicantStatus: v.applicantStatus.code,
    ruleSetVersion: v.ruleSetVersion,
    grantedAmount: v.grantedAmount,
    view: v,
    seq: step.seq,
    updatedAt: v.updatedAt,
    applicationAt: v.application?.submittedAt ?? null,
    // A return to preparation is not a decision; lead times run to the approval or rejection.
    decisionAt: v.decision && v.decision.outcome !== 'return' ? v.decision.at : null,
    projectStart: v.decision?.outcome === 'approve' ? v.decision.projectStart ?? null : null,
    closedAt: v.closedAt,
  };
  // The changes are taken from the proposed row (excluded), so the ~20 kB view is sent and bound once.
  const columns = getTableColumns(cases);
  const set = Object.fromEntries(Object.keys(changes).map((name) => [name, proposed(columns[name as keyof typeof changes])]));
  return tx.insert(cases).values({ id: v.id, createdAt: v.createdAt, ...changes }).onConflictDoUpdate({
    target: cases.id,
    // Lead time counts from the first application, not from an answer to a completion request.
    set: { ...set, applicationAt: sql`coalesce(${cases.applicationAt}, excluded.application_at)` },
    setWhere: sql`${cases.seq} < excluded.seq`,
  }).returning({ id: cases.id });
}

/**
 * The view's reports, change requests and savings claims as rows, written when `when` holds: each row only when
 * it is new or differs from the stored one (a running project's three dozen reports are not rewritten by every
 * step), rows gone from the view deleted. A change request once made stays, whatever the view says later.
 */
function childRows(tx: Db, v: CaseView, when: SQL): WithSubquery[] {
  const claims = v.application?.savingsClaims ?? [];
  const writes: WithSubquery[] = [
    tx.$with('reports_gone').as(tx.delete(reports)
      .where(and(eq(reports.caseId, v.id), notInKeys(reports.id, v.reports.map((r) => r.id)), when)).returning({ id: reports.id })),
    tx.$with('claims_gone').as(tx.delete(savingsClaims)
      .where(and(eq(savingsClaims.caseId, v.id), notInKeys(savingsClaims.key, claims.map((c) => c.key)), when)).returning({ key: savingsClaims.key })),
  ];
  if (v.reports.length > 0) {
    writes.push(upsertChanged(tx, 'reports_in', reports, reports.id, v.reports.map((r) => ({
      caseId: v.id, id: r.id, type: r.type, periodStart: r.periodStart, periodEnd: r.periodEnd,
      dueDate: r.dueDate, dueAt: r.dueAt, status: r.status, receivedAt: r.receivedAt ?? null,
    })), when));
  }
  if (v.changeRequests.length > 0) {
    writes.push(upsertChanged(tx, 'change_requests_in', changeRequests, changeRequests.id, v.changeRequests.map((c) => ({
      caseId: v.id, id: c.id, reason: c.reason, newTotalCost: c.newTotalCost ?? null, newEndDate: c.newEndDate ?? null,
      scopeChange: c.scopeChange ?? null, tier: c.tier, status: c.status, requestedAt: c.requestedAt, decidedAt: c.decidedAt ?? null,
    })), when));
  }
  if (claims.length > 0) {
    writes.push(upsertChanged(tx, 'claims_in', savingsClaims, savingsClaims.key, claims.map((c) => ({
      caseId: v.id, key: c.key, description: c.description ?? null, amountPerYear: c.amountPerYear ?? null, status: claimStatus(v, c.key),
    })), when));
  }
  return writes;
}

type ChildTable = typeof reports | typeof changeRequests | typeof savingsClaims;

/** Rows whose key is not among these (every row when there are none). */
const notInKeys = (column: PgColumn, keys: string[]) => (keys.length > 0 ? notInArray(column, keys) : undefined);

/** A column of the row an INSERT … ON CONFLICT DO UPDATE proposed. */
const proposed = (c: PgColumn) => sql`excluded.${sql.identifier(c.name)}`;

/**
 * A case's child rows inserted when `when` holds, each written only where it is new or a column differs (an equal
 * row keeps its row version: no index entries, no WAL for its data). The rows go as one jsonb parameter that
 * PostgreSQL expands: drizzle builds a parameter per value, and a running project's reports (~330 values) cost
 * ~2 ms of worker CPU per step that way.
 */
function upsertChanged<T extends ChildTable>(tx: Db, alias: string, table: T, key: PgColumn, rows: T['$inferInsert'][], when: SQL): WithSubquery {
  const all = Object.entries(getTableColumns(table));
  const json = rows.map((row) => Object.fromEntries(all.map(([name, c]) => [c.name, (row as Record<string, unknown>)[name] ?? null])));
  const target = [table.caseId, key];
  // Only the columns the view gives change; the others (a report's texts) are the row's own and stay as they are.
  const changing = all.filter(([name, c]) => !target.includes(c) && name in rows[0]);
  return tx.$with(alias).as(tx.insert(table as ChildTable)
    .select(sql`SELECT ${sql.join(all.map(([, c]) => sql.identifier(c.name)), sql`, `)} FROM jsonb_populate_recordset(NULL::${table}, ${JSON.stringify(json)}::jsonb) WHERE ${when}`)
    .onConflictDoUpdate({
      target,
      set: Object.fromEntries(changing.map(([name, c]) => [name, proposed(c)])),
      setWhere: sql`(${sql.join(changing.map(([, c]) => c), sql`, `)}) IS DISTINCT FROM (${sql.join(changing.map(([, c]) => proposed(c)), sql`, `)})`,
    })
    .returning({ key }));
}

/**
 * The agenda row for schedule-council; a case moved to another meeting leaves the one it was on. The step
 * checks that the meeting exists (older cases: the API did); a missing meeting must not wedge the case in
 * retries, so the row is then left out.
 */
async function addToAgenda(tx: Db, step: StepRecord): Promise<void> {
  const meetingId = step.view.council?.meetingId;
  if (step.action !== 'schedule-council' || !meetingId) return;
  const movedFrom = (step.outcome as { movedFrom?: string } | null)?.movedFrom;
  if (movedFrom !== undefined) {
    await tx.delete(councilAgenda).where(and(eq(councilAgenda.meetingId, movedFrom), eq(councilAgenda.caseId, step.caseId)));
  }
  if (await councilMeetingExists(tx, meetingId)) await tx.insert(councilAgenda).values({ meetingId, caseId: step.caseId }).onConflictDoNothing();
}
