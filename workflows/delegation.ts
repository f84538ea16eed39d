// Delegation (who decides): a rule table in the rule set, matched on the amount to decide (the grant, or the
// new total of a change request; for a rejection or a return, the amount applied for). A tier may decide any
// amount up to its limit, so a higher tier may always decide what it has delegated downwards. The tier the
// amount applied for needs is the one told that a decision waits. A decider acts with the role decider:<tier>.
import { breakRule } from './refusals';
import type { ActionName } from './vocabulary';
import type { Actor, CaseView, RuleSet } from './types';

type Ladder = RuleSet['delegation'];

/** The lowest tier that may decide an amount: the first whose upTo is at least the amount (null = no limit). */
export function tierForAmount(amount: number, delegation: Ladder): string {
  const tier = delegation.find((t) => t.upTo === null || amount <= t.upTo);
  if (!tier) throw new Error(`no delegation tier decides ${amount} SEK`);
  return tier.tier;
}

/** The tiers an actor holds, from their decider:<tier> roles. */
export function deciderTiers(actor: Actor): string[] {
  return actor.roles.filter((r) => r.startsWith('decider:')).map((r) => r.slice('decider:'.length));
}

/** Whether the actor holds a tier whose limit covers the amount. */
export function mayDecide(actor: Actor, amount: number, delegation: Ladder): boolean {
  const held = new Set(deciderTiers(actor));
  return delegation.some((t) => held.has(t.tier) && (t.upTo === null || amount <= t.upTo));
}

/** Refuses an actor whose tiers do not reach the amount, naming the lowest tier that does. */
export function requireDecider(actor: Actor, amount: number, delegation: Ladder): void {
  if (mayDecide(actor, amount, delegation)) return;
  const tier = tierForAmount(amount, delegation);
  breakRule('delegation', `${amount} SEK is decided by the tier ${tier} (role decider:${tier}) or a higher one`, { tier });
}

/**
 * The amount a decider action must be allowed for as the case stands, for offering it: the new total of the
 * open change request, or the grant for a termination. A decision itself may grant less than was applied
 * for, so any tier is offered it (and refused above its limit).
 */
function amountToDecide(action: ActionName, view: CaseView): number | null {
  if (action === 'decide') return 0;
  if (action === 'terminate') return view.grantedAmount;
  if (action === 'decide-change') {
    const open = view.changeRequests.find((c) => c.status === 'open');
    return open ? open.newTotalCost ?? view.grantedAmount : null;
  }
  return null;
}

/** Whether a decider action is offered to the actor now. */
export function offeredToDecider(action: ActionName, actor: Actor, view: CaseView): boolean {
  const amount = amountToDecide(action, view);
  if (amount === null) return false;
  // A case started before the ladder was kept on the view: the tier that was named, and only that one.
  if (!view.delegation) {
    const named = action === 'decide' ? view.decisionTier : action === 'terminate' ? view.grantTier : view.changeRequests.find((c) => c.status === 'open')?.tier;
    return named != null && deciderTiers(actor).includes(named);
  }
  return mayDecide(actor, amount, view.delegation);
}
