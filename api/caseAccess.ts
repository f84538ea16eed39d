// A case as its caller gets it: read from the read model, refused to a caller who may not see it, and
// given the actions that caller may take now.
import { caseLinks } from '../db/catalogue';
import type { Db } from '../db/client';
import { caseById } from '../db/readModel';
import { allowedActionsFor } from '../workflows/steps';
import type { Actor, CaseView } from '../workflows/types';
import { maySeeCase } from './auth';
import { HttpProblem } from './problems';

/** The case as the read model holds it; 404 when unknown, 403 when the caller may not see it. */
export async function loadCase(db: Db, id: string, actor: Actor): Promise<CaseView> {
  const view = await caseById(db, id);
  if (!view) throw new HttpProblem('not-found', `No case ${id}`);
  if (!maySeeCase(actor, view.organisation)) throw new HttpProblem('forbidden', "Applicants see only their own organisation's cases");
  return view;
}

/**
 * The view with the actions this caller may take in it now, and its links from the read model: the feasibility
 * study it follows and the implementations that follow it (those the caller may see).
 */
export async function forCaller(db: Db, view: CaseView, actor: Actor) {
  const { follows, followedBy } = await caseLinks(db, view.id, view.application?.feasibilityStudy);
  const visible = (link: { organisation: string }) => maySeeCase(actor, link.organisation);
  return {
    ...view,
    allowedActions: allowedActionsFor(view, actor, Date.now()),
    links: { feasibilityStudy: follows !== null && visible(follows) ? follows : null, implementations: followedBy.filter(visible) },
  };
}
