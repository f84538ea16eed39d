// Delegation (who decides): a rule table in the rule set, matched on the amount to decide. A decider acts with
// the role decider:<tier>.
import { breakRule } from './refusals';
import type { ActionName } from './vocabulary';
import type { Actor, CaseView, RuleSet } from './types';

/** The delegation tier that decides an amount: the first whose upTo is at least the amount (null = no limit). */
export function tierForAmount(amount: number, delegation: RuleSet['delegation']): string {
  const tier = delegation.find((t) => t.upTo === null || amount <= t.upTo);
  if (!tier) throw new Error(`no delegation tier decides ${amount} SEK`);
  return tier.tier;
}

/** The tiers an actor holds, from their decider:<tier> roles. */
export function deciderTiers(actor: Actor): string[] {
  return actor.roles.filter((r) => r.startsWith('decider:')).map((r) => r.slice('decider:'.length));
}

export const holdsTier = (actor: Actor, tier: string): boolean => deciderTiers(actor).includes(tier);

/** The tier that must take a decider action now, or null when none is pending. */
export function pendingTier(action: ActionName, view: CaseView): string | null {
  if (action === 'decide') return view.decisionTier;
  if (action === 'terminate') return view.grantTier;
  if (action === 'decide-change') return view.changeRequests.find((c) => c.status === 'open')?.tier ?? null;
  return null;
}

/** Refuses an actor who does not hold the tier that decides the amount. */
export function requireTier(actor: Actor, tier: string, amount: number): void {
  if (!holdsTier(actor, tier)) breakRule('delegation', `${amount} SEK is decided by the tier ${tier} (role decider:${tier})`, { tier });
}
