// Writes of the case workflow to PostgreSQL: the audit trail, the read model (the projection of the
// workflow's CaseView), the outbox, savings claims and frame reservations. Every write is idempotent on
// (case, step sequence), so a retried activity changes nothing the second time.
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, getTableColumns, inArray, ne, notInArray, type SQL, sql, type WithSubquery } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { appendAuditEvent, auditContent } from '../db/audit';
import type { Db } from '../db/client';
import { lockPortfolioFrames, lockSavingsClaims } from '../db/locks';
import { councilMeetingExists } from '../db/referenceData';
import {
  cases, caseTimeline, changeRequests, councilAgenda, decisions, frameReservations, outbox, portfolioFrames, portfolios, reports, savingsClaims,
} from '../db/schema';
import { claimStatus } from '../workflows/savings';
import type { CaseView, FrameReservation, SavingsConflict, StepRecord } from '../workflows/types';
import type { CaseActivities, EmailPlanner } from './contract';

export type PersistenceActivities = Pick<CaseActivities, 'recordStep' | 'findSavingsConflicts' | 'bookSavingsClaims' | 'reserveFrame'>;


export function createPersistenceActivities({ db, planEmails }: { db: Db; planEmails: EmailPlanner }): PersistenceActivities {
  return {
    async recordStep(step) {
      // A retry of a step already recorded writes nothing again: every write below is keyed by the step (case
      // and seq) and skips what is there, and the projection moves only forward. No lookup first: it would cost
      // every step a round trip to spare the rare retry one.
      await db.transaction(async (tx) => {
        await project(tx, step);
        await addToAgenda(tx, step);
        const drafts = await planEmails(tx, step);
        if (drafts.length > 0) {
          await tx.insert(outbox)
            .values(drafts.map((d) => ({ caseId: step.caseId, seq: step.seq, ...d })))
            .onConflictDoNothing({ target: [outbox.caseId, outbox.seq, outbox.template, outbox.recipient] });
        }
        // Last, so the chain's lock is held only for the append and the commit.
        await appendAuditEvent(tx, auditContent(step));
      });
    },

    findSavingsConflicts: (caseId, keys) => savingsConflicts(db, caseId, keys),

    async bookSavingsClaims(caseId, claims) {
      const keys = [...new Set(claims.map((c) => c.key))].sort();
      return db.transaction(async (tx) => {
        // One booker per key at a time: the check below sees every claim committed before, and a booking
        // committed after sees this one.
        await lockSavingsClaims(tx, keys);
        const conflicts = await savingsConflicts(tx, caseId, keys);
        await tx.delete(savingsClaims).where(and(eq(savingsClaims.caseId, caseId), keys.length > 0 ? notInArray(savingsClaims.key, keys) : undefined));
        for (const c of claims) {
          const row = { description: c.description ?? null, amountPerYear: c.amountPerYear ?? null };
          // A claim resolved away in an earlier round keeps that status; the step's projection settles it.
          await tx.insert(savingsClaims).values({ caseId, key: c.key, ...row, status: 'live' })
            .onConflictDoUpdate({ target: [savingsClaims.caseId, savingsClaims.key], set: row });
        }
        return conflicts;
      });
    },

    reserveFrame: (args) => reserveFrame(db, args),
  };
}

/** Savings-claim keys of this case already booked by another live or approved case. */
async function savingsConflicts(db: Db, caseId: string, keys: string[]): Promise<SavingsConflict[]> {
  if (keys.length === 0) return [];
  const rows = await db.select({
    key: savingsClaims.key,
    caseIds: sql<string[]>`array_agg(${savingsClaims.caseId} ORDER BY ${savingsClaims.caseId})`,
  }).from(savingsClaims)
    .where(and(inArray(savingsClaims.key, keys), eq(savingsClaims.status, 'live'), ne(savingsClaims.caseId, caseId)))
    .groupBy(savingsClaims.key)
    .orderBy(savingsClaims.key);
  return rows satisfies SavingsConflict[];
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
  const changing = all.filter(([, c]) => !target.includes(c));
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
 * The agenda row for schedule-council; a case moved to another meeting leaves the one it was on. The API
 * checks that the meeting exists before the workflow accepts the step; a missing meeting must not wedge the
 * case in retries, so the row is then left out.
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

const YEAR = /^\d{4}$/;

async function reserveFrame(
  db: Db,
  { caseId, portfolio, amountsByYear, enforce }: Parameters<CaseActivities['reserveFrame']>[0],
): Promise<FrameReservation> {
  const wanted = Object.entries(amountsByYear).map(([year, amount]) => {
    if (!YEAR.test(year) || !Number.isSafeInteger(amount) || amount < 0) {
      throw ApplicationFailure.nonRetryable(`frame reservation for ${caseId}: ${year}: ${amount} is not a year and a whole SEK amount`, 'InvalidInput');
    }
    return { year: Number(year), amount };
  }).filter((w) => w.amount > 0).sort((a, b) => a.year - b.year);

  return db.transaction(async (tx) => {
    // One reserver per portfolio at a time: the check below then sees every committed reservation.
    await lockPortfolioFrames(tx, portfolio);
    const [known] = await tx.select({ id: portfolios.id }).from(portfolios).where(eq(portfolios.id, portfolio));
    if (!known) throw ApplicationFailure.nonRetryable(`frame reservation for ${caseId}: there is no portfolio ${portfolio}`, 'InvalidInput');
    if (enforce && wanted.length > 0) {
      const years = wanted.map((w) => w.year);
      const frames = await tx.select({ year: portfolioFrames.year, amount: portfolioFrames.amount }).from(portfolioFrames)
        .where(and(eq(portfolioFrames.portfolioId, portfolio), inArray(portfolioFrames.year, years)));
      const held = await tx.select({
        year: frameReservations.year,
        others: sql<number>`coalesce(sum(${frameReservations.amount}) FILTER (WHERE ${frameReservations.caseId} <> ${caseId}), 0)`.mapWith(Number),
        own: sql<number>`coalesce(sum(${frameReservations.amount}) FILTER (WHERE ${frameReservations.caseId} = ${caseId}), 0)`.mapWith(Number),
      }).from(frameReservations)
        .where(and(eq(frameReservations.portfolioId, portfolio), inArray(frameReservations.year, years)))
        .groupBy(frameReservations.year);
      for (const { year, amount: requested } of wanted) {
        const h = held.find((r) => r.year === year);
        // Keeping or lowering what the case already holds never needs room, even where a frame was cut since.
        if (requested <= (h?.own ?? 0)) continue;
        const frame = frames.find((f) => f.year === year)?.amount ?? 0;
        const reserved = h?.others ?? 0;
        if (frame - reserved < requested) return { ok: false, year, frame, reserved, requested };
      }
    }
    await tx.delete(frameReservations).where(eq(frameReservations.caseId, caseId));
    if (wanted.length > 0) {
      await tx.insert(frameReservations).values(wanted.map((w) => ({ caseId, portfolioId: portfolio, year: w.year, amount: w.amount })));
    }
    return { ok: true };
  });
}
