// What applicants see: a plain-language status saying who holds the ball, derived from the case view.
// Separate from the internal stage: e.g. budget check and decision are one status to the applicant.
// The dates it states are the last days the deadlines allow, as every email and list states them.
import { dueDateOf } from './calendar';
import type { Edition } from './editions';
import { isAwaited, openReports } from './reports';
import { TERMINAL_STAGES, type ApplicantStatus, type CaseView, type Deadline, type ReportType } from './types';

const s = (code: string, sv: string, en: string): ApplicantStatus => ({ code, text: { sv, en } });

/** The reports each stage asks of the applicant (where the edition's status follows the stage). */
const ASKED: Partial<Record<CaseView['stage'], ReportType[]>> = {
  execution: ['sixWeek', 'tertial1', 'tertial2', 'yearEnd'],
  closure: ['final'],
  followUp: ['effect'],
};

/** The change request decided last, when that is the latest news of a running project. */
function latestChange(view: CaseView) {
  const decided = view.changeRequests.filter((c) => c.decidedAt !== undefined && c.status !== 'closed');
  const last = decided[decided.length - 1];
  const lastReport = view.reports.filter((r) => r.receivedAt !== undefined).map((r) => r.receivedAt as string).sort().pop();
  return last && (lastReport === undefined || (last.decidedAt as string) > lastReport) ? last : undefined;
}

export function applicantStatus(view: CaseView, edition: Edition): ApplicantStatus {
  const asked = ASKED[view.stage];
  const open = openReports(view.reports).filter((r) => !edition.statusFollowsStage || asked === undefined || asked.includes(r.type))[0];
  switch (view.stage) {
    case 'idea': return s('received', 'Mottagen – idéskissen granskas av projektkontoret', 'Received – the idea sketch is being screened by the project office');
    case 'application': {
      const by = view.deadlines.find((d) => d.from === 'applicant')?.dueDate;
      return s('application-invited', `Idén är godkänd – ansökan ska lämnas senast ${by}`, `Idea approved – submit the application by ${by}`);
    }
    case 'preparation':
    case 'council':
    case 'decision':
      if (view.stage === 'council' && view.council !== null) return s('at-council', 'Hos utvecklingsrådet', 'With the development council');
      if (view.stage === 'decision') return s('awaiting-decision', 'Väntar på beslut', 'Awaiting decision');
      return s('in-preparation', 'Under handläggning', 'In preparation');
    case 'completion': {
      const req = view.completionRequests[view.completionRequests.length - 1];
      return s('completion-requested', `Väntar på komplettering från er senast ${req?.dueDate}`, `Awaiting your completion by ${req?.dueDate}`);
    }
    case 'execution':
      if (view.deviations.some((d) => d.resolvedBy === undefined) && !view.changeRequests.some((c) => c.status === 'open')) {
        return s('change-request-required', 'Avvikelse – lämna en ändringsbegäran', 'Deviation – submit a change request');
      }
      if (view.changeRequests.some((c) => c.status === 'open')) return s('change-requested', 'Ändringsbegäran väntar på beslut', 'Change request awaiting decision');
      if (open) return s('report-due', `Rapport ska lämnas senast ${open.dueDate}`, `Report due by ${open.dueDate}`);
      if (edition.statusFollowsStage) {
        const change = latestChange(view);
        if (change?.status === 'approved') return s('change-approved', 'Ändringsbegäran beviljad – projektet pågår', 'Change request approved – the project is running');
        if (change?.status === 'rejected') return s('change-rejected', 'Ändringsbegäran avslagen – projektet pågår enligt tidigare beslut', 'Change request rejected – the project runs as decided before');
      }
      return s('granted', 'Beviljad – projektet pågår', 'Granted – the project is running');
    case 'closure': {
      if (view.finalReport !== null) return s('closure-review', 'Slutrapporten granskas av projektkontoret', 'The final report is being reviewed');
      const due = view.reports.find((r) => r.type === 'final')?.dueDate;
      if (view.finalReportReturns?.length) {
        return s('final-report-returned', `Slutrapporten behöver kompletteras – lämna den senast ${due}`, `The final report needs completing – file it by ${due}`);
      }
      return s('final-report-due', `Slutrapport ska lämnas senast ${due}`, `Final report due by ${due}`);
    }
    case 'followUp':
      if (open) return s('effect-report-due', `Effektrapport ska lämnas senast ${open.dueDate}`, `Effect report due by ${open.dueDate}`);
      return s('follow-up', 'Avslutat projekt – effekthemtagning pågår', 'Project closed – benefit follow-up under way');
    case 'completed': return s('completed', 'Avslutat', 'Completed');
    case 'rejected': return s('rejected', 'Avslagen', 'Rejected');
    case 'redirected': return s('redirected', 'Hänvisad till annan finansiering', 'Redirected to other funding');
    case 'lapsed': return s('lapsed', 'Avskrivet – inget svar inom tidsfristen', 'Lapsed – no answer by the deadline');
    case 'withdrawn': return s('withdrawn', 'Återkallad', 'Withdrawn');
    case 'terminated': return s('terminated', 'Avbrutet', 'Terminated');
  }
}

/**
 * What is awaited, from whom, by when; a deadline is listed only where one is set. A closed case awaits
 * nothing, and a report closed as not received is no longer awaited.
 */
export function deadlines(view: CaseView, waiting: Deadline[], edition: Edition): Deadline[] {
  const out = waiting.map((w) => ({ ...w, dueDate: dueDateOf(Date.parse(w.by)) }));
  const closed = edition.awaitsOnlyOpenReports && TERMINAL_STAGES.includes(view.stage);
  for (const r of view.reports) {
    if (closed || (edition.awaitsOnlyOpenReports ? !isAwaited(r) : r.status === 'received')) continue;
    out.push({ what: `report ${r.id}`, from: 'applicant', by: r.dueAt, dueDate: r.dueDate });
  }
  return out.sort((a, b) => a.by.localeCompare(b.by));
}
