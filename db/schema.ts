// The read model, reference data, outbox and audit trail. The workflow is the only writer of case
// state; these tables are its projection, kept long after the engine has deleted a closed history.
import { sql, type SQLWrapper } from 'drizzle-orm';
import {
  bigint, bigserial, boolean, check, date, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { ApplicantStatus, CaseView, RuleSet } from '../workflows/types';

const amount = (name: string) => bigint(name, { mode: 'number' });
const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });

export const organisations = pgTable('organisations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** forvaltning (administration), namnd (committee) or bolag (company). */
  type: text('type').notNull(),
  email: text('email'),
});

export const portfolios = pgTable('portfolios', {
  id: text('id').primaryKey(),
  number: integer('number').notNull(),
  nameSv: text('name_sv').notNull(),
  nameEn: text('name_en').notNull(),
  /** The experimental portfolio waives exact benefit figures. */
  experimental: boolean('experimental').notNull().default(false),
});

/** Yearly frame (ekonomisk ram) per portfolio, set by the council. */
export const portfolioFrames = pgTable('portfolio_frames', {
  portfolioId: text('portfolio_id').notNull().references(() => portfolios.id),
  year: integer('year').notNull(),
  amount: amount('amount').notNull(),
}, (t) => [primaryKey({ columns: [t.portfolioId, t.year] })]);

/** Granted money reserved against a frame, per case and year. */
export const frameReservations = pgTable('frame_reservations', {
  caseId: text('case_id').notNull(),
  portfolioId: text('portfolio_id').notNull().references(() => portfolios.id),
  year: integer('year').notNull(),
  amount: amount('amount').notNull(),
}, (t) => [primaryKey({ columns: [t.caseId, t.year] }), index('frame_reservations_portfolio_year').on(t.portfolioId, t.year)]);

export const ruleSets = pgTable('rule_sets', {
  version: serial('version').primaryKey(),
  rules: jsonb('rules').$type<Omit<RuleSet, 'version'>>().notNull(),
  createdAt: instant('created_at').notNull().defaultNow(),
  createdBy: text('created_by').notNull(),
});

/** Case number allocation: PK-<year>-<nnnn>. */
export const caseNumbers = pgTable('case_numbers', {
  year: integer('year').primaryKey(),
  last: integer('last').notNull(),
});

/** The case number a keyed POST /cases was given: its retry after a lost answer reaches the same case. */
export const caseRequests = pgTable('case_requests', {
  requestId: text('request_id').primaryKey(),
  caseId: text('case_id').notNull(),
  createdAt: instant('created_at').notNull().defaultNow(),
});

/** The words the catalogue searches: case number, title, need, idea and expected benefits of the idea sketch. */
export const catalogueText = (id: SQLWrapper, title: SQLWrapper, view: SQLWrapper) => sql`${id} || ' ' || ${title}
  || ' ' || coalesce(${view}->'idea'->>'need', '') || ' ' || coalesce(${view}->'idea'->>'idea', '') || ' ' || coalesce(${view}->'idea'->>'expectedBenefits', '')`;

export const cases = pgTable('cases', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  organisation: text('organisation').notNull(),
  portfolio: text('portfolio'),
  kind: text('kind'),
  stage: text('stage').notNull(),
  applicantStatus: text('applicant_status').notNull(),
  ruleSetVersion: integer('rule_set_version').notNull(),
  grantedAmount: amount('granted_amount'),
  view: jsonb('view').$type<CaseView>().notNull(),
  seq: integer('seq').notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
  applicationAt: instant('application_at'),
  decisionAt: instant('decision_at'),
  projectStart: date('project_start', { mode: 'string' }),
  closedAt: instant('closed_at'),
}, (t) => [
  index('cases_stage_created').on(t.stage, t.createdAt),
  index('cases_portfolio_created').on(t.portfolio, t.createdAt),
  index('cases_organisation_created').on(t.organisation, t.createdAt),
  index('cases_created').on(t.createdAt, t.id),
  index('cases_text').using('gin', sql`to_tsvector('simple', ${t.id} || ' ' || ${t.title})`),
  // Lead times read only these columns of decided cases: an index-only scan, not a pass over every view.
  index('cases_decided').on(t.decisionAt, t.createdAt, t.applicationAt, t.projectStart).where(sql`decision_at IS NOT NULL`),
  // The catalogue's search over what a case is about (db/catalogue.ts), and the implementations that follow a feasibility study.
  index('cases_catalogue_text').using('gin', sql`to_tsvector('simple', ${catalogueText(t.id, t.title, t.view)})`),
  index('cases_feasibility_study').on(sql`(${t.view}->'application'->>'feasibilityStudy')`).where(sql`${t.view}->'application'->>'feasibilityStudy' IS NOT NULL`),
]);

export const reports = pgTable('reports', {
  caseId: text('case_id').notNull().references(() => cases.id),
  id: text('id').notNull(),
  type: text('type').notNull(),
  periodStart: text('period_start').notNull(),
  periodEnd: text('period_end').notNull(),
  dueDate: date('due_date', { mode: 'string' }).notNull(),
  dueAt: instant('due_at').notNull(),
  status: text('status').notNull(),
  receivedAt: instant('received_at'),
  /** The filed report's free texts (milestones, risks, …): kept here, not in the workflow's view. */
  texts: jsonb('texts').$type<Record<string, string>>(),
}, (t) => [primaryKey({ columns: [t.caseId, t.id] }), index('reports_status_due').on(t.status, t.dueAt)]);

/** Every decision with its grounds, in structured form. */
export const decisions = pgTable('decisions', {
  caseId: text('case_id').notNull().references(() => cases.id),
  seq: integer('seq').notNull(),
  /** grant, change, termination, closure, screening, council, budget, preparation. */
  kind: text('kind').notNull(),
  outcome: text('outcome').notNull(),
  amount: amount('amount'),
  tier: text('tier'),
  decidedBy: text('decided_by').notNull(),
  motivation: text('motivation'),
  at: instant('at').notNull(),
}, (t) => [primaryKey({ columns: [t.caseId, t.seq] })]);

export const changeRequests = pgTable('change_requests', {
  caseId: text('case_id').notNull().references(() => cases.id),
  id: text('id').notNull(),
  reason: text('reason').notNull(),
  newTotalCost: amount('new_total_cost'),
  newEndDate: date('new_end_date', { mode: 'string' }),
  scopeChange: text('scope_change'),
  tier: text('tier').notNull(),
  status: text('status').notNull(),
  requestedAt: instant('requested_at').notNull(),
  decidedAt: instant('decided_at'),
}, (t) => [primaryKey({ columns: [t.caseId, t.id] })]);

export const councilMeetings = pgTable('council_meetings', {
  id: text('id').primaryKey(),
  date: date('date', { mode: 'string' }).notNull(),
  title: text('title'),
  createdAt: instant('created_at').notNull().defaultNow(),
});

export const councilAgenda = pgTable('council_agenda', {
  meetingId: text('meeting_id').notNull().references(() => councilMeetings.id),
  caseId: text('case_id').notNull().references(() => cases.id),
}, (t) => [primaryKey({ columns: [t.meetingId, t.caseId] })]);

/** The council's priorities on a meeting, one case per rank within a portfolio: claimed atomically by the step. */
export const councilPriorities = pgTable('council_priorities', {
  meetingId: text('meeting_id').notNull().references(() => councilMeetings.id),
  portfolio: text('portfolio').notNull(),
  priority: integer('priority').notNull(),
  caseId: text('case_id').notNull().references(() => cases.id),
}, (t) => [primaryKey({ columns: [t.meetingId, t.portfolio, t.priority] })]);

/** Savings claims by stable key, for the double-count check. */
export const savingsClaims = pgTable('savings_claims', {
  caseId: text('case_id').notNull().references(() => cases.id),
  key: text('key').notNull(),
  description: text('description'),
  amountPerYear: amount('amount_per_year'),
  /** live while the case is live or approved; removed when resolved away; closed when the case ended unapproved. */
  status: text('status').notNull(),
}, (t) => [primaryKey({ columns: [t.caseId, t.key] }), index('savings_claims_key').on(t.key)]);

/** Emails: written with the step that causes them, sent afterwards; one row per (case, step, template, recipient). */
export const outbox = pgTable('outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  caseId: text('case_id').notNull(),
  seq: integer('seq').notNull(),
  template: text('template').notNull(),
  recipient: text('recipient').notNull(),
  language: text('language').notNull(),
  subject: text('subject').notNull(),
  text: text('text').notNull(),
  html: text('html').notNull(),
  /** pending, sent or failed. */
  status: text('status').notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  messageId: text('message_id').notNull(),
  createdAt: instant('created_at').notNull().defaultNow(),
  sentAt: instant('sent_at'),
}, (t) => [
  uniqueIndex('outbox_once').on(t.caseId, t.seq, t.template, t.recipient),
  index('outbox_status').on(t.status, t.createdAt),
  // The relay's pass: pending rows, fewest attempts first (activities/notifications.ts, deliverPending).
  index('outbox_pending').on(t.attempts, t.id).where(sql`status = 'pending'`),
]);

/**
 * The audit trail: append-only (a trigger refuses UPDATE and DELETE), one row per step, each row
 * holding the previous row's hash and the hash of its own content. A row is about a case (case_id and
 * case_seq: a step of the case) or about a subject (a change of reference data, a retention purge),
 * never both.
 */
export const auditEvents = pgTable('audit_events', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  caseId: text('case_id'),
  caseSeq: integer('case_seq'),
  /** What a row without a case is about, e.g. portfolio:p1, organisation:stokab, rule-set:2, retention. */
  subject: text('subject'),
  at: instant('at').notNull(),
  actorId: text('actor_id').notNull(),
  actorName: text('actor_name').notNull(),
  actorRoles: jsonb('actor_roles').$type<string[]>().notNull(),
  actorOrg: text('actor_org'),
  action: text('action').notNull(),
  stageBefore: text('stage_before'),
  stageAfter: text('stage_after'),
  input: jsonb('input'),
  outcome: jsonb('outcome'),
  motivation: text('motivation'),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
}, (t) => [
  uniqueIndex('audit_events_case_step').on(t.caseId, t.caseSeq),
  index('audit_events_at').on(t.at),
  index('audit_events_actor').on(t.actorId, t.at),
  index('audit_events_action').on(t.action, t.at),
  check('audit_events_case_or_subject', sql`(case_id IS NOT NULL AND case_seq IS NOT NULL AND stage_after IS NOT NULL AND subject IS NULL)
    OR (case_id IS NULL AND case_seq IS NULL AND subject IS NOT NULL)`),
]);

/**
 * Signed heads of the audit chain: the last row's seq and hash at a time, signed with an Ed25519 key kept
 * outside the database. Append-only like the chain. A later rewrite of any row up to seq, or the removal
 * of rows from the end, no longer matches a checkpoint, and no one without the key can sign a new one.
 */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
  at: instant('at').notNull(),
  /** Names the public key that verifies the signature (GET /audit/public-key). */
  keyId: text('key_id').notNull(),
  /** Ed25519 over the canonical JSON of { at, hash, keyId, seq }, base64. */
  signature: text('signature').notNull(),
}, (t) => [index('audit_checkpoints_seq').on(t.seq)]);

/**
 * What the applicant saw after each step of a case: the plain-language status, and the step when an
 * applicant took it. Their timeline is read from here, never from the audit trail with its officials.
 */
export const caseTimeline = pgTable('case_timeline', {
  caseId: text('case_id').notNull(),
  seq: integer('seq').notNull(),
  at: instant('at').notNull(),
  /** Null only for steps recorded before the timeline was kept. */
  applicantStatus: jsonb('applicant_status').$type<ApplicantStatus>(),
  /** The action, when the applicant's organisation took the step itself. */
  applicantAction: text('applicant_action'),
}, (t) => [primaryKey({ columns: [t.caseId, t.seq] })]);

/** Rate-limit counters, one fixed window per user and kind, shared by every API process (db/requestCounts.ts). */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: timestamp('expire', { withTimezone: true, mode: 'date' }),
});

/** Answers to POSTs by Idempotency-Key, per caller. */
export const idempotencyKeys = pgTable('idempotency_keys', {
  principal: text('principal').notNull(),
  key: text('key').notNull(),
  requestHash: text('request_hash').notNull(),
  status: integer('status').notNull(),
  body: jsonb('body').notNull(),
  createdAt: instant('created_at').notNull().defaultNow(),
  /** While the request runs, the process serving it renews this; once it lapses (the process died) a retry takes over. */
  leaseUntil: instant('lease_until'),
  /** Who holds the claim: a random id per claim, so a process whose lease was taken over cannot renew, answer or release it. */
  holder: text('holder'),
}, (t) => [primaryKey({ columns: [t.principal, t.key] })]);
