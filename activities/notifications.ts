// The emails of a case. The planner turns a step's notification intents into outbox drafts (address,
// language, rendered template); the outbox relay (outboxRelay.ts) sends outbox rows, and so does the
// deliverEmails activity that cases recorded before the relay still schedule. What the dashboard shows of the
// outbox is counted in db/outbox.ts.
//
// Exactly once as the recipient sees it: every email is an outbox row first (one per case, step, template
// and recipient), and only the caller that claims a row sends it. The claim is an UPDATE from 'pending' to
// 'sending' (the row lock lets one of two concurrent callers win; the other finds nothing to claim), with
// the attempt number as the claim's token. A row's sent_at is when it was last handed to SMTP: the claim
// while 'sending', acceptance once 'sent', refusal once 'failed'.
// The one window left: a process that dies after SMTP accepted a message and before the row is marked sent
// leaves the row 'sending'. The relay sends such a row again after staleSendingAfterMs (minutes, far
// beyond the SMTP timeouts), so that message may arrive twice; the copy has the same deterministic
// Message-ID, by which receiving systems can recognise it.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { SQL } from 'drizzle-orm';
import type { Config } from '../config';
import type { Db } from '../db/client';
import {
  claimForSending, ofStep, outboxCounts, pendingAfter, queueOfficeAlert, refusedOfStep, settleSending, type OutboxDraft,
} from '../db/outbox';
import { caseTitle } from '../db/readModel';
import { organisationAndPortfolioNames } from '../db/referenceData';
import { effectEvaluation } from '../oversight/evaluation';
import { MailError, maskAddresses, type Mailer } from '../platform/mailer';
import type { Audience, CaseView, Language, NotificationIntent, StepRecord } from '../workflows/types';
import type { EmailTemplate } from '../workflows/vocabulary';
import type { CaseActivities, EmailPlanner } from './contract';
import { formatAmount, formatDate, formatDateTime, formatDuration } from './templates/format';
import { loadTemplates, type Table, type Templates, type Vars } from './templates/render';

type Mail = Config['mail'];
type OutboxRow = NonNullable<Awaited<ReturnType<typeof claimForSending>>>;

// ---- planning: intents → drafts --------------------------------------------------------------------

export function createEmailPlanner({ mail }: { mail: Mail }): EmailPlanner {
  const templates = loadTemplates();
  return async (db, step) => {
    if (step.notifications.length === 0) return [];
    const context = await caseContext(db, step.view);
    const drafts: OutboxDraft[] = [];
    for (const intent of step.notifications) {
      const recipient = address(intent.to, step.view, context.organisationEmail, mail);
      // An applicant with neither a contact email nor an organisation email gets no email; the case view
      // still shows the status.
      if (!recipient || drafts.some((d) => d.template === intent.template && sameAddress(d.recipient, recipient))) continue;
      const language: Language = intent.to === 'applicant' ? step.view.language : 'sv';
      drafts.push({
        template: intent.template,
        recipient,
        language,
        ...templates.render(intent.template, language, emailVars(step, intent, language, context, mail, templates)),
        messageId: messageId(step.caseId, step.seq, intent.template, recipient),
      });
    }
    return drafts;
  };
}

interface CaseContext { organisationName: string; organisationEmail?: string; portfolio?: Record<Language, string> }

/** The organisation's and the portfolio's names in one round trip (either may be missing). */
async function caseContext(db: Db, view: CaseView): Promise<CaseContext> {
  const row = await organisationAndPortfolioNames(db, view.organisation, view.portfolio);
  return {
    organisationName: row?.name ?? view.organisation,
    organisationEmail: row?.email ?? undefined,
    portfolio: row?.sv != null && row.en != null ? { sv: row.sv, en: row.en } : undefined,
  };
}

function address(to: Audience, view: CaseView, organisationEmail: string | undefined, mail: Mail): string | undefined {
  if (to === 'applicant') return view.idea.contact?.email || organisationEmail || undefined;
  if (to === 'officers') return mail.officeEmail;
  const own = mail.roleEmails[to];
  if (own) return own;
  return to.startsWith('decider:') ? mail.roleEmails['decider:*']?.replace('{tier}', to.slice('decider:'.length)) : undefined;
}

/** Every value a template may use; each template uses those it needs. */
function emailVars(step: StepRecord, intent: NotificationIntent, language: Language, context: CaseContext, mail: Mail, templates: Templates): Vars {
  const { view } = step;
  const data = intent.data ?? {};
  const label = (group: string, code: string | undefined) => (code === undefined ? undefined : templates.label(language, group, code) ?? code);
  const report = view.reports.find((r) => r.id === data.reportId);
  const change = view.changeRequests.find((c) => c.id === data.changeRequestId);
  const openCompletion = view.stage === 'completion' ? view.completionRequests[view.completionRequests.length - 1] : undefined;
  const what = text(data.what);
  const dueDate = text(data.dueDate) ?? report?.dueDate ?? openCompletion?.dueDate;
  const handlingTime = text(data.screeningDeadline);
  const grant = step.action === 'decide' && view.decision?.outcome === 'approve' ? view.decision : undefined;
  return {
    caseNumber: view.id,
    title: view.title,
    link: caseLink(mail, view.id),
    status: view.applicantStatus.text[language],
    organisation: context.organisationName,
    portfolio: context.portfolio?.[language],
    what: report ? label('reportType', report.type) : label('what', what),
    next: what === undefined ? undefined : templates.label(language, 'next', what),
    handlingTime: handlingTime === undefined ? undefined : formatDuration(handlingTime, language),
    period: report && `${formatDate(report.periodStart, language)} – ${formatDate(report.periodEnd, language)}`,
    receivedAt: formatDateTime(step.at, language),
    createdAt: formatDateTime(view.createdAt, language),
    dueDate: dueDate === undefined ? undefined : formatDate(dueDate, language),
    missing: texts(data.missing) ?? openCompletion?.missing,
    reasons: texts(data.reasons),
    reason: text(data.reason) ?? (change ? change.motivation : closingReason(view)),
    step: label('step', text(data.step)),
    returned: data.returned === true ? view.decision?.motivation : undefined,
    keys: texts(data.keys),
    meeting: text(data.meetingId),
    requested: view.application ? formatAmount(view.application.totalCost, language) : undefined,
    newTotal: change?.newTotalCost === undefined ? undefined : formatAmount(change.newTotalCost, language),
    newEnd: change?.newEndDate === undefined ? undefined : formatDate(change.newEndDate, language),
    changeOutcome: change && label('changeOutcome', change.status),
    // What the decision says: the amount granted, its conditions and the project's start.
    ...(grant ? {
      granted: formatAmount(grant.grantedAmount as number, language),
      projectStart: formatDate(grant.projectStart as string, language),
      conditions: grant.conditions,
    } : {}),
    ...(intent.template === 'effect-report-received' ? evaluationVars(view, language, templates, mail) : {}),
  };
}

/** The council's effect evaluation as the email shows it: the same figures as GET /cases/{id}/evaluation. */
function evaluationVars(view: CaseView, language: Language, templates: Templates, mail: Mail): Vars {
  const e = effectEvaluation(view);
  const word = (code: string) => templates.label(language, 'evaluation', code) ?? code;
  const amount = (n: number | null) => (n === null ? '–' : formatAmount(n, language));
  const evaluation: Table = {
    columns: [word('part'), word('applied'), word('valued'), word('realised'), word('share')],
    numeric: [false, true, true, true, true],
    rows: e.parts.map((p) => [
      templates.label(language, 'benefitPart', p.part) ?? p.part, amount(p.applied), amount(p.valued), amount(p.realised),
      p.realisedOfValuedPercent === null ? '–' : `${p.realisedOfValuedPercent} %`,
    ]),
  };
  const kept = e.savings.filter((s) => s.kept);
  const savingsEvaluation: Table = {
    columns: [word('saving'), word('booked'), word('realisedPerYear')],
    numeric: [false, true, true],
    rows: [
      ...e.savings.map((s) => [
        `${s.description ?? s.key}${s.description ? ` (${s.key})` : ''}${s.kept ? '' : ` – ${word('removed')}`}`, amount(s.booked), s.kept ? amount(s.realised) : '–',
      ]),
      ...(kept.length > 1 ? [[word('total'), amount(e.savingsTotal.booked), amount(e.savingsTotal.realised)]] : []),
    ],
  };
  const count = (n: number) => new Intl.NumberFormat(language === 'sv' ? 'sv-SE' : 'en-GB').format(n);
  const comment = e.effectReports.find((r) => r.id === e.basedOn)?.comment;
  const expectations = [
    e.expectations.expectedUsers === null ? undefined : `${word('expectedUsers')}: ${count(e.expectations.expectedUsers)}`,
    e.expectations.timeFreedHoursPerYear === null ? undefined : `${word('timeFreed')}: ${count(e.expectations.timeFreedHoursPerYear)} ${word('hoursPerYear')}`,
    e.expectations.outcome === null ? undefined : `${word('outcome')}: ${e.expectations.outcome}`,
    comment ? `${word('comment')}: ${comment}` : undefined,
  ].filter((line): line is string => line !== undefined);
  return { evaluation, savingsEvaluation, expectations, evaluationLink: `${caseLink(mail, view.id)}/evaluation` };
}

/** Why a case ended without money, for the applicant's status email. */
function closingReason(view: CaseView): string | undefined {
  if (view.stage === 'rejected' || view.stage === 'redirected') {
    return view.decision?.outcome === 'reject' ? view.decision.motivation : view.idea.screening?.reason;
  }
  return view.stage === 'terminated' ? view.terminated?.motivation : undefined;
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const texts = (v: unknown) => (Array.isArray(v) && v.length > 0 ? v.map(String) : undefined);
const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
const caseLink = (mail: Mail, caseId: string) => `${mail.caseLinkBase}${encodeURIComponent(caseId)}`;

/** Deterministic, so every resend of a row carries the same Message-ID; the address only as a hash. */
export function messageId(caseId: string, seq: number, template: EmailTemplate, recipient: string): string {
  const who = createHash('sha256').update(recipient.trim().toLowerCase()).digest('hex').slice(0, 16);
  return `<${caseId}.${seq}.${template}.${who}@projektkontoret>`;
}

// ---- delivery: outbox → SMTP -----------------------------------------------------------------------

export interface DeliveryDeps { db: Db; mailer: Mailer; mail: Mail }
type Outcome = 'sent' | 'failed' | 'pending';
export type DeliveryCounts = Record<Outcome, number>;

export function createNotificationActivities(deps: DeliveryDeps): Pick<CaseActivities, 'deliverEmails'> {
  return {
    /**
     * Sends the step's pending rows and returns the step's counts (rows being sent count as pending).
     * A row the server deferred or could not take stays pending, and the activity fails retryably after
     * trying the others, so Temporal retries with backoff; once it gives up, the sweeper takes over.
     */
    async deliverEmails(caseId, seq) {
      const step = ofStep(caseId, seq);
      const run = await deliverPending(deps, step, { stopAtTransient: false });
      if (run.pending > 0) {
        throw ApplicationFailure.retryable(`${run.pending} email(s) of ${caseId} step ${seq} not sent yet: the mail server could not take them`, 'MailDeferred');
      }
      return stepCounts(deps.db, step);
    },
  };
}

/**
 * Rows a pass sends at a time, as many as the pooled SMTP transport's connections (nodemailer's default five):
 * several in flight hide the mail server's and the database's latency; few enough
 * that a process dying mid-batch leaves few rows 'sending' for the stale release.
 */
const SEND_BATCH = 5;

/**
 * Sends pending rows in scope (all when undefined), fewest attempts first, each at most once in the pass, until
 * none is left that this pass has not tried. A cursor over (attempts, id) as read walks the pending rows once
 * (the partial index outbox_pending): a backlog of thousands costs each batch one index range, not a scan.
 */
export async function deliverPending(deps: DeliveryDeps, scope: SQL | undefined, { stopAtTransient }: { stopAtTransient: boolean }): Promise<DeliveryCounts> {
  const done: DeliveryCounts = { sent: 0, failed: 0, pending: 0 };
  // A row retried in this pass comes back with one attempt more, past the cursor: the set keeps it to one try.
  const tried = new Set<number>();
  let after: { attempts: number; id: number } | undefined;
  for (;;) {
    const batch = await pendingAfter(deps.db, scope, after, SEND_BATCH);
    if (batch.length === 0) return done;
    after = batch[batch.length - 1];
    const fresh = batch.filter((r) => !tried.has(r.id));
    for (const r of fresh) tried.add(r.id);
    let deferred = false;
    for (const result of await Promise.all(fresh.map((r) => sendRow(deps, r.id)))) {
      if (!result) continue;
      done[result.outcome] += 1;
      if (result.outcome === 'failed') await alertOffice(deps, result.row);
      if (result.outcome === 'pending') deferred = true;
    }
    if (deferred && stopAtTransient) return done;
  }
}

/** Claims one row, sends it, records the outcome. Undefined when another caller has claimed or finished it. */
async function sendRow({ db, mailer, mail }: DeliveryDeps, id: number): Promise<{ row: OutboxRow; outcome: Outcome } | undefined> {
  const row = await claimForSending(db, id);
  if (!row) return undefined;
  try {
    await mailer.send({
      from: mail.from, to: row.recipient, subject: row.subject, text: row.text, html: row.html,
      messageId: row.messageId, language: row.language === 'en' ? 'en' : 'sv',
    });
  } catch (err) {
    const permanent = err instanceof MailError && err.permanent;
    const lastError = maskAddresses(err instanceof Error ? err.message : String(err));
    await writeOutcome(() => settleSending(db, row, { status: permanent ? 'failed' : 'pending', lastError }));
    return { row: { ...row, lastError }, outcome: permanent ? 'failed' : 'pending' };
  }
  await writeOutcome(() => settleSending(db, row, { status: 'sent' }));
  return { row, outcome: 'sent' };
}

const OUTCOME_WRITE_ATTEMPTS = 5;

/**
 * Writes a send's outcome, trying again while the database connection is briefly lost: left unwritten, the
 * row stays 'sending' until the stale release, and a message the server has taken goes out a second time.
 */
async function writeOutcome(write: () => PromiseLike<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return;
    } catch (err) {
      if (attempt >= OUTCOME_WRITE_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

/**
 * Tells the office that a step's email was refused: one delivery-failed row per step (the outbox key),
 * listing every refused row of the step; while it is still pending a later refusal is added to it.
 */
async function alertOffice({ db, mail }: DeliveryDeps, failed: OutboxRow): Promise<void> {
  // Not about an alert, nor about the office's own address: neither alert could arrive.
  if (failed.template === 'delivery-failed' || sameAddress(failed.recipient, mail.officeEmail)) return;
  const refused = await refusedOfStep(db, failed.caseId, failed.seq);
  const title = await caseTitle(db, failed.caseId);
  const templates = loadTemplates();
  const language: Language = 'sv';
  const email = templates.render('delivery-failed', language, {
    caseNumber: failed.caseId,
    title: title ?? failed.caseId,
    link: caseLink(mail, failed.caseId),
    failures: refused.map((r) => `${templates.label(language, 'template', r.template) ?? r.template} (${r.recipient}): ${r.lastError ?? ''}`),
  });
  await queueOfficeAlert(db, {
    caseId: failed.caseId, seq: failed.seq, template: 'delivery-failed', recipient: mail.officeEmail, language, ...email,
    messageId: messageId(failed.caseId, failed.seq, 'delivery-failed', mail.officeEmail),
  });
}

async function stepCounts(db: Db, step: SQL): Promise<DeliveryCounts> {
  const counts = await outboxCounts(db, step);
  return { sent: counts.sent, failed: counts.failed, pending: counts.pending + counts.sending };
}
