// What a case still lacks for a grant, shown from the application on, so that it can be mended before the
// council and the decision rather than found at the decision and sent back round. The decision's own gate
// reads the same predicates (steps/decision.ts), so what the applicant is told is what the decider is held to.
import { unresolvedFlag } from './savings';
import type { CaseView, OpenCondition } from './types';

/** The stages from the application to the decision: where a condition can still be met. */
const BEFORE_DECISION: readonly CaseView['stage'][] = ['preparation', 'completion', 'council', 'decision'];

/** An implementation's owner and management object named, and the operation cost accepted. */
export const ownerAccepted = (app: NonNullable<CaseView['application']>): boolean =>
  app.kind !== 'implementation' || (!!app.owner?.name && !!app.owner.managementObject && app.owner.operationCostAccepted === true);

export function openConditions(view: CaseView): OpenCondition[] {
  const app = view.application;
  if (app === null || !BEFORE_DECISION.includes(view.stage)) return [];
  const open: OpenCondition[] = [];
  if (!ownerAccepted(app)) {
    open.push({
      code: 'owner-operation-cost-accepted', from: 'applicant',
      text: {
        sv: 'Ansökan saknar utpekad ägare och förvaltningsobjekt, eller accepterad driftkostnad: utan dem kan pengar inte beviljas.',
        en: 'The application lacks a designated owner and management object, or the accepted operation cost: without them no money can be granted.',
      },
    });
  }
  if (unresolvedFlag(view)) {
    open.push({
      code: 'double-count-unresolved', from: 'officer',
      text: {
        sv: 'En besparing i ansökan är redan bokad av ett annat ärende; projektkontoret reder ut det före beslut.',
        en: 'A saving in the application is already booked by another case; the project office resolves it before the decision.',
      },
    });
  }
  return open;
}
