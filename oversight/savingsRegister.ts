// The savings register: per organisation and budget year, the savings claims of the cases, as pending,
// booked, realised and withdrawn, with the cases behind every figure. It is what the city's budget process
// takes savings home by, and shows what has been booked but not yet realised.
//
// - The budget year of a claim is the first calendar year after the project's planned end: the first whole
//   year the changed business runs.
// - pending: claims of an application not yet decided; booked: claims of a granted project; realised: what the
//   latest effect report says a booked claim gave; withdrawn: claims of a case that ended without a grant
//   (rejected, withdrawn, lapsed) or of a project that was terminated.
// - A claim removed in the double-count check is not in the register: the case that kept it books it.
import type { CaseView, Report } from '../workflows/types';

/** The fields of a case view the register reads (db/oversight.ts takes only these out of the view). */
export type SavingsCase = Pick<CaseView, 'id' | 'title' | 'organisation' | 'stage' | 'plannedEnd' | 'doubleCount'> & {
  claims: NonNullable<NonNullable<CaseView['application']>['savingsClaims']>;
  granted: boolean;
  terminated: boolean;
  /** Received effect reports. */
  effects: Report[];
};

export type ClaimStatus = 'pending' | 'booked' | 'withdrawn';

export interface RegisterClaim {
  caseId: string;
  title: string;
  stage: CaseView['stage'];
  key: string;
  description: string | null;
  status: ClaimStatus;
  amountPerYear: number;
  /** From the latest received effect report; null before the first. */
  realisedAmountPerYear: number | null;
  effectReport: string | null;
  /** Why a withdrawn claim no longer counts: the stage its case ended in. */
  withdrawnBecause: 'rejected' | 'withdrawn' | 'lapsed' | 'terminated' | null;
}

interface Figure { amount: number; claims: RegisterClaim[] }

export interface RegisterEntry {
  organisation: string;
  year: number;
  pending: Figure;
  booked: Figure;
  /** Of the booked claims, those an effect report has answered, at what they realised. */
  realised: Figure;
  /** Of the booked claims, those no effect report has answered yet: taken home but not yet shown to be real. */
  notYetRealised: Figure;
  withdrawn: Figure;
}

const ENDED_UNGRANTED = ['rejected', 'withdrawn', 'lapsed'] as const;
type EndedUngranted = (typeof ENDED_UNGRANTED)[number];

/** The budget year of a project's savings: the year after its planned end. */
export const budgetYear = (plannedEnd: string): number => Number(plannedEnd.slice(0, 4)) + 1;

export function registerClaims(c: SavingsCase): RegisterClaim[] {
  if (c.plannedEnd === null) return [];
  const removed = new Set(c.doubleCount.filter((d) => d.resolution === 'removed').map((d) => d.key));
  const latest = [...c.effects].sort((a, b) => (a.receivedAt ?? '').localeCompare(b.receivedAt ?? '')).pop();
  const realised = (latest?.content as { savings?: { key: string; realisedAmountPerYear: number }[] } | undefined)?.savings ?? [];
  const ended = (ENDED_UNGRANTED as readonly string[]).includes(c.stage) ? c.stage as EndedUngranted : null;
  const status: ClaimStatus = ended !== null || c.terminated ? 'withdrawn' : c.granted ? 'booked' : 'pending';
  return c.claims.filter((claim) => !removed.has(claim.key)).map((claim) => {
    const answer = status === 'booked' ? realised.find((s) => s.key === claim.key) : undefined;
    return {
      caseId: c.id, title: c.title, stage: c.stage, key: claim.key, description: claim.description ?? null, status,
      amountPerYear: claim.amountPerYear ?? 0,
      realisedAmountPerYear: answer?.realisedAmountPerYear ?? null,
      effectReport: answer ? latest!.id : null,
      withdrawnBecause: status === 'withdrawn' ? ended ?? 'terminated' : null,
    };
  });
}

/** Entries by organisation, then year. */
export function savingsRegister(cases: SavingsCase[]): RegisterEntry[] {
  const entries = new Map<string, RegisterEntry>();
  const figure = (claims: RegisterClaim[], amount: (c: RegisterClaim) => number): Figure =>
    ({ amount: claims.reduce((sum, c) => sum + amount(c), 0), claims });
  const byEntry = new Map<string, { organisation: string; year: number; claims: RegisterClaim[] }>();
  for (const c of cases) {
    if (c.plannedEnd === null) continue;
    const year = budgetYear(c.plannedEnd);
    const key = `${c.organisation}\u0000${year}`;
    const at = byEntry.get(key) ?? { organisation: c.organisation, year, claims: [] };
    at.claims.push(...registerClaims(c));
    byEntry.set(key, at);
  }
  for (const [key, { organisation, year, claims }] of byEntry) {
    if (claims.length === 0) continue;
    const booked = claims.filter((c) => c.status === 'booked');
    const amountPerYear = (c: RegisterClaim) => c.amountPerYear;
    entries.set(key, {
      organisation,
      year,
      pending: figure(claims.filter((c) => c.status === 'pending'), amountPerYear),
      booked: figure(booked, amountPerYear),
      realised: figure(booked.filter((c) => c.realisedAmountPerYear !== null), (c) => c.realisedAmountPerYear ?? 0),
      notYetRealised: figure(booked.filter((c) => c.realisedAmountPerYear === null), amountPerYear),
      withdrawn: figure(claims.filter((c) => c.status === 'withdrawn'), amountPerYear),
    });
  }
  return [...entries.values()].sort((a, b) => a.organisation.localeCompare(b.organisation) || a.year - b.year);
}
