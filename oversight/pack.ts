// A council meeting's pack: every case on the agenda side by side, per portfolio in priority order, with what
// is left of the portfolio's frame after the cases ahead of it. The council weighs all proposals of a meeting
// together; a case that does not fit what is left is plain to see.
import type { PackSources } from '../db/councilPack';
import { grantReservation } from '../workflows/money';
import type { CaseView } from '../workflows/types';

export interface FrameLeft {
  year: number;
  /** What the case asks of the year: its grant when granted, else its application's cost in that year. */
  requested: number;
  /** The frame, less what cases not on this agenda reserve and what the cases ahead of this one ask. */
  leftBefore: number;
  leftAfter: number;
}

export interface PackCase {
  caseId: string;
  title: string;
  stage: CaseView['stage'];
  organisation: { id: string; name: string };
  kind: CaseView['kind'];
  amountApplied: number | null;
  grantedAmount: number | null;
  valuation: { citizenBenefit: number; businessBenefit: number; developmentCost: number; operationCost: number; comment: string | null } | null;
  recommendation: { recommendation: 'support' | 'notSupport'; motivation: string } | null;
  doubleCount: { key: string; conflictingCases: string[]; resolution: 'keep' | 'removed' | null }[];
  opinion: { opinion: 'recommend' | 'notRecommend'; comment: string | null } | null;
  priority: number | null;
  movedFrom: string | null;
  frameLeft: FrameLeft[];
  /** Every year of the case still within what is left of the frame after it. */
  fits: boolean;
}

export interface PackPortfolio {
  id: string;
  number: number | null;
  name: string;
  /** The frame per year of this agenda's cases, and what cases not on the agenda reserve. */
  frames: { year: number; frame: number; reservedByOthers: number; requestedHere: number; leftAfterAll: number }[];
  cases: PackCase[];
}

export interface MeetingPack {
  meeting: { id: string; date: string; title: string | null };
  portfolios: PackPortfolio[];
}

/** What a case asks of each year: a grant is reserved as decided; an application by its yearly split or its dates. */
function askedByYear(view: CaseView): Record<string, number> {
  const app = view.application;
  if (!app) return {};
  if (view.decision?.outcome === 'approve' && view.grantedAmount !== null) {
    return grantReservation(view, view.grantedAmount, view.decision.projectStart ?? app.plannedStart, view.plannedEnd ?? app.plannedEnd).amountsByYear;
  }
  return grantReservation(view, app.totalCost, app.plannedStart, app.plannedEnd).amountsByYear;
}

/**
 * Priority order within a portfolio: the council's rank; cases not yet ranked after those that are, the ones
 * the preparation group supports first, then by case number.
 */
function byPriority(a: CaseView, b: CaseView): number {
  const rank = (v: CaseView) => v.council?.priority ?? Number.MAX_SAFE_INTEGER;
  const support = (v: CaseView) => (v.preparation?.recommendation === 'support' ? 0 : 1);
  return rank(a) - rank(b) || support(a) - support(b) || a.id.localeCompare(b.id);
}

export function meetingPack(s: PackSources): MeetingPack {
  const known = new Map(s.portfolios.map((p) => [p.id, p]));
  const groups = new Map<string, CaseView[]>();
  for (const v of s.views) {
    const key = v.portfolio ?? '';
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  const portfolios = [...groups.entries()].map(([id, views]): PackPortfolio => {
    const frameOf = (year: number) => s.frames.find((f) => f.portfolioId === id && f.year === year) ?? { frame: 0, reservedByOthers: 0 };
    const asked = new Map<number, number>();
    const items = [...views].sort(byPriority).map((v): PackCase => {
      const frameLeft = Object.entries(askedByYear(v)).map(([y, requested]) => {
        const year = Number(y);
        const { frame, reservedByOthers } = frameOf(year);
        const leftBefore = frame - reservedByOthers - (asked.get(year) ?? 0);
        asked.set(year, (asked.get(year) ?? 0) + requested);
        return { year, requested, leftBefore, leftAfter: leftBefore - requested };
      }).sort((a, b) => a.year - b.year);
      return {
        caseId: v.id,
        title: v.title,
        stage: v.stage,
        organisation: { id: v.organisation, name: s.organisations.get(v.organisation) ?? v.organisation },
        kind: v.kind,
        amountApplied: v.application?.totalCost ?? null,
        grantedAmount: v.grantedAmount,
        valuation: v.valuation ? {
          citizenBenefit: v.valuation.citizenBenefit, businessBenefit: v.valuation.businessBenefit,
          developmentCost: v.valuation.developmentCost, operationCost: v.valuation.operationCost, comment: v.valuation.comment ?? null,
        } : null,
        recommendation: v.preparation ? { recommendation: v.preparation.recommendation, motivation: v.preparation.motivation } : null,
        doubleCount: v.doubleCount.map((d) => ({ key: d.key, conflictingCases: d.conflictingCases, resolution: d.resolution ?? null })),
        opinion: v.council?.opinion ? { opinion: v.council.opinion, comment: v.council.comment ?? null } : null,
        priority: v.council?.priority ?? null,
        movedFrom: s.movedFrom.get(v.id) ?? null,
        frameLeft,
        fits: frameLeft.every((f) => f.leftAfter >= 0),
      };
    });
    const frames = [...asked.entries()].sort(([a], [b]) => a - b).map(([year, requestedHere]) => {
      const { frame, reservedByOthers } = frameOf(year);
      return { year, frame, reservedByOthers, requestedHere, leftAfterAll: frame - reservedByOthers - requestedHere };
    });
    const p = known.get(id);
    return { id, number: p?.number ?? null, name: p?.name ?? id, frames, cases: items };
  });
  portfolios.sort((a, b) => (a.number ?? Infinity) - (b.number ?? Infinity) || a.id.localeCompare(b.id));
  return { meeting: s.meeting, portfolios };
}
