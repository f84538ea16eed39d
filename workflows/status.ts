// What applicants see: a plain-language status saying who holds the ball, derived from the case view.
// Separate from the internal stage: e.g. budget check and decision are one status to the applicant.
import { openReports } from './reports';
import type { ApplicantStatus, CaseView, Deadline } from './types';

const s = (code: string, sv: string, en: string): ApplicantStatus => ({ code, text: { sv, en } });

export function applicantStatus(view: CaseView): ApplicantStatus {
  const open = openReports(view.reports)[0];
  switch (view.stage) {
    case 'idea': return s('received', 'Mottagen – idéskissen granskas av projektkontoret', 'Received – the idea sketch is being screened by the project office');
    case 'application': {
      const by = view.deadlines.find((d) => d.from === 'applicant')?.by.slice(0, 10);
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
      return s('granted', 'Beviljad – projektet pågår', 'Granted – the project is running');
    case 'closure':
      if (view.finalReport !== null) return s('closure-review', 'Slutrapporten granskas av projektkontoret', 'The final report is being reviewed');
      return s('final-report-due', `Slutrapport ska lämnas senast ${view.reports.find((r) => r.type === 'final')?.dueDate}`,
        `Final report due by ${view.reports.find((r) => r.type === 'final')?.dueDate}`);
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

/** What is awaited, from whom, by when; a deadline is listed only where one is set. */
export function deadlines(view: CaseView, extra: Deadline[]): Deadline[] {
  const out = [...extra];
  for (const r of view.reports) {
    if (r.status !== 'received') out.push({ what: `report ${r.id}`, from: 'applicant', by: r.dueAt });
  }
  return out.sort((a, b) => a.by.localeCompare(b.by));
}
