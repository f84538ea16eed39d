// A case as Temporal's own tools find it: search attributes the workflow keeps current, so an operator or an
// auditor filters cases in the Temporal UI or with `temporal workflow list --query "CaseStage = 'execution'"`.
// They name what is not personal: the case number, stage, organisation, portfolio and the applicant's status
// code. Every worker registers them before it takes a task (platform/searchAttributes.ts); where it may not,
// it says how to, once per namespace (README).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { CaseView } from './types';

export const SEARCH_ATTRIBUTES = {
  caseNumber: defineSearchAttributeKey('CaseNumber', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('CaseStage', SearchAttributeType.KEYWORD),
  organisation: defineSearchAttributeKey('Organisation', SearchAttributeType.KEYWORD),
  portfolio: defineSearchAttributeKey('Portfolio', SearchAttributeType.KEYWORD),
  applicantStatus: defineSearchAttributeKey('ApplicantStatus', SearchAttributeType.KEYWORD),
} as const;

/** Cases recorded before the attributes existed take them at their next step on this code. */
const SEARCH_ATTRIBUTES_PATCH = 'search-attributes';

type Indexed = Record<keyof typeof SEARCH_ATTRIBUTES, string | null>;

const indexedOf = (view: CaseView): Indexed => ({
  caseNumber: view.id, stage: view.stage, organisation: view.organisation, portfolio: view.portfolio, applicantStatus: view.applicantStatus.code,
});

/** Upserts what changed since the last call (all of it at a run's first), so a quiet step costs no command. */
export function searchIndex(): (view: CaseView) => void {
  let last: Partial<Indexed> = {};
  return (view) => {
    if (!patched(SEARCH_ATTRIBUTES_PATCH)) return;
    const now = indexedOf(view);
    const changed = (Object.keys(now) as (keyof Indexed)[]).filter((k) => now[k] !== last[k] && now[k] !== null);
    if (changed.length === 0) return;
    upsertSearchAttributes(changed.map((k) => ({ key: SEARCH_ATTRIBUTES[k], value: now[k] as string })));
    last = now;
  };
}
