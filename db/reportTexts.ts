// A filed report's free texts live in the reports table, not in the view the workflow holds
// (workflows/reports.ts): a case read from the read model gets them back here.
import { sql } from 'drizzle-orm';
import type { CaseView } from '../workflows/types';
import { reports } from './schema';

/** A column of the case's reports' texts by report id (null when none has any), for a select of one case. */
export const reportTextsOf = (caseId: string) =>
  sql<Record<string, Record<string, string>> | null>`(SELECT jsonb_object_agg(r.id, r.texts) FROM ${reports} r WHERE r.case_id = ${caseId} AND r.texts IS NOT NULL)`;

/** The view with each filed report's texts put back into its content. */
export function withReportTexts(view: CaseView, texts: Record<string, Record<string, string>> | null): CaseView {
  if (texts) view.reports = view.reports.map((r) => (texts[r.id] ? { ...r, content: { ...r.content, ...texts[r.id] } } : r));
  return view;
}
