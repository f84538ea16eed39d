// How large a case may grow. The engine refuses a payload over 2 MB, and the view a case's workflow holds is
// the answer to every update and what every continue-as-new carries: a case past it could take no further
// step. So the view keeps only what decisions need (reports' free texts are kept in the database), the
// project's length is bounded by the rule set, texts by their size in bytes, and each step is checked
// against what the workflow would then hold. Pure, deterministic code only.
import { addDuration } from './calendar';
import { utf8Bytes } from './utf8';
import { breakRule } from './refusals';
import type { CaseView, RuleSet } from './types';

/** Half the engine's payload limit: room for the update's envelope and for what continue-as-new adds. */
export const MAX_HELD_BYTES = 1_000_000;

/** The bound of a rule set that names none (one posted before the bound, or without it). */
export const DEFAULT_MAX_PROJECT_LENGTH = 'P5Y';

/** The last planned end a project starting on `start` may have under the rule set (YYYY-MM-DD). */
export function latestPlannedEnd(rules: Pick<RuleSet, 'maxProjectLength'>, start: string): string {
  const length = rules.maxProjectLength ?? DEFAULT_MAX_PROJECT_LENGTH;
  return new Date(addDuration(Date.parse(`${start}T00:00:00Z`), length)).toISOString().slice(0, 10);
}

/** Refuses a project running from `start` to `end` longer than the rule set allows. */
export function checkProjectLength(rules: Pick<RuleSet, 'maxProjectLength'>, start: string, end: string, field: string): void {
  const latest = latestPlannedEnd(rules, start);
  if (end > latest) {
    breakRule('project-too-long', `a project may run at most ${rules.maxProjectLength ?? DEFAULT_MAX_PROJECT_LENGTH}: from ${start}, ${field} may be ${latest} at the latest, not ${end}`, { latest });
  }
}

/** Refuses a step whose body, added to the view the workflow holds, would come near the engine's limit. */
export function checkHeldSize(view: CaseView, body: unknown): void {
  const held = utf8Bytes(JSON.stringify(view)) + utf8Bytes(JSON.stringify(body ?? null));
  if (held > MAX_HELD_BYTES) {
    breakRule('case-too-large', `the case would hold ${held} bytes, over the ${MAX_HELD_BYTES} a case may hold; ask the project office to close it and open a new one`, { bytes: held, limit: MAX_HELD_BYTES });
  }
}
