// Refusing a step: a non-retryable failure of the kind's type (vocabulary.ts REFUSALS), which the update's
// caller receives and the API turns into its HTTP problem. Nothing is recorded.
import { ApplicationFailure } from '@temporalio/common';
import { REFUSALS, RULES, type RefusalKind, type RuleId } from './vocabulary';

export function refuse(kind: RefusalKind, message: string, details?: unknown): never {
  throw ApplicationFailure.create({ type: REFUSALS[kind].type, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

/** A broken rule, named in the message and in the details. */
export function breakRule(rule: RuleId, message: string, extra: Record<string, unknown> = {}): never {
  refuse(RULES[rule], `${rule}: ${message}`, { rule, ...extra });
}
