// A case as its caller gets it: read from the read model, refused to a caller who may not see it, read as
// that caller may read it (applicants: applicantView.ts), and given the actions that caller may take now.
import { caseLinks, caseWithLinks, type CaseLinks } from '../db/catalogue';
import type { Db } from '../db/client';
import { caseById } from '../db/readModel';
import { allowedActionsFor } from '../workflows/steps';
import type { Actor, CaseView } from '../workflows/types';
import { applicantView, type ApplicantCaseView } from './applicantView';
import { maySeeCase, seesAllCases } from './auth';
import { HttpProblem } from './problems';

/** 404 when there is no case, 403 when the caller may not see it. */
function visible<T>(found: T | null, id: string, actor: Actor, organisation: (found: T) => string): T {
  if (!found) throw new HttpProblem('not-found', `No case ${id}`);
  if (!maySeeCase(actor, organisation(found))) throw new HttpProblem('forbidden', "Applicants see only their own organisation's cases");
  return found;
}

/** The case as the read model holds it, whole; 404 when unknown, 403 when the caller may not see it. */
export async function loadCase(db: Db, id: string, actor: Actor): Promise<CaseView> {
  return visible(await caseById(db, id), id, actor, (view) => view.organisation);
}

/** The case as its caller reads it, view and links in one statement; 404 when unknown, 403 when not theirs. */
export async function caseForCaller(db: Db, id: string, actor: Actor) {
  const { view, links } = visible(await caseWithLinks(db, id), id, actor, (found) => found.view.organisation);
  return withCallerParts(view, links, actor);
}

/** A view an update answered with, for its caller (the links from the read model). */
export async function forCaller(db: Db, view: CaseView, actor: Actor) {
  return withCallerParts(view, await caseLinks(db, view.id), actor);
}

/** The view as this caller may read it: whole for the city's roles, without internal assessments for applicants. */
export const readableBy = (actor: Actor, view: CaseView): CaseView | ApplicantCaseView => (seesAllCases(actor) ? view : applicantView(view));

/**
 * The view as the caller reads it, with the actions this caller may take in it now, and its links: the feasibility study it follows
 * and the implementations that follow it (those the caller may see).
 */
function withCallerParts(view: CaseView, { follows, followedBy }: CaseLinks, actor: Actor) {
  const seen = (link: { organisation: string }) => maySeeCase(actor, link.organisation);
  return {
    ...readableBy(actor, view),
    allowedActions: allowedActionsFor(view, actor, Date.now()),
    links: { feasibilityStudy: follows !== null && seen(follows) ? follows : null, implementations: followedBy.filter(seen) },
  };
}
