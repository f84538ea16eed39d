// Lead times split by who holds the ball: the time a case waits on the applicant (writing the application,
// answering a completion request, filing the final report, and reports filed after their due date) kept
// apart from the time it is with the city (screening, preparation, council, decision, reviewing the final
// report). Read from the audit trail's stage changes; only finished stretches count, so a figure does not
// move with the clock. Execution and effect follow-up are the project's own time and count for neither.
import type { Stage } from '../workflows/types';

export type Holder = 'applicant' | 'city';

/** An audit event that changes who holds the ball: a stage change, or a final report filed or returned. */
export interface BallEvent { at: string; action: string; stageAfter: Stage }

export interface LeadTimeCase {
  id: string;
  organisation: string;
  portfolio: string | null;
  events: BallEvent[];
  /** Received periodic and effect reports: when due and when filed. */
  reports: { dueAt: string; receivedAt: string }[];
}

const HOLDER: Partial<Record<Stage, Holder>> = {
  idea: 'city', application: 'applicant', preparation: 'city', completion: 'applicant', council: 'city', decision: 'city',
};

const DAY = 86_400_000;
const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY;

/** The segment name a stretch counts under: its stage, closure split by whether the final report is awaited. */
export type Segment = Stage | 'closure:applicant' | 'closure:city' | 'reportsLate';

export const SEGMENT_HOLDER: Partial<Record<Segment, Holder>> = {
  ...HOLDER, 'closure:applicant': 'applicant', 'closure:city': 'city', reportsLate: 'applicant',
};

/** Days per segment of one case, finished stretches only. */
export function caseSegments(c: LeadTimeCase): Partial<Record<Segment, number>> {
  const out: Partial<Record<Segment, number>> = {};
  const add = (segment: Segment, n: number) => { if (n > 0) out[segment] = (out[segment] ?? 0) + n; };
  let finalAwaited = true;
  c.events.forEach((e, i) => {
    if (e.action === 'submit-final-report') finalAwaited = false;
    else if (e.action === 'return-final-report') finalAwaited = true;
    else if (e.stageAfter === 'closure' && c.events[i - 1]?.stageAfter !== 'closure') finalAwaited = true;
    const next = c.events[i + 1];
    if (!next) return;
    const segment: Segment | undefined = e.stageAfter === 'closure' ? (finalAwaited ? 'closure:applicant' : 'closure:city') : HOLDER[e.stageAfter] ? e.stageAfter : undefined;
    if (segment) add(segment, days(e.at, next.at));
  });
  for (const r of c.reports) add('reportsLate', days(r.dueAt, r.receivedAt));
  return out;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const m = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return Math.round(m * 10) / 10;
}

export interface HolderTimes { cases: number; withCityMedianDays: number | null; withApplicantMedianDays: number | null }
export interface SegmentTime { segment: Segment; holder: Holder; cases: number; medianDays: number | null }

export interface LeadTimeBreakdown {
  byPortfolio: ({ portfolio: string | null } & HolderTimes)[];
  byOrganisation: ({ organisation: string } & HolderTimes)[];
  /** Median days per stage over the cases that spent time in it. */
  byStage: SegmentTime[];
}

const ORDER: Segment[] = ['idea', 'application', 'preparation', 'completion', 'council', 'decision', 'closure:applicant', 'closure:city', 'reportsLate'];

export function leadTimeBreakdown(cases: LeadTimeCase[]): LeadTimeBreakdown {
  const perCase = cases.map((c) => {
    const segments = caseSegments(c);
    const total = (holder: Holder) => Object.entries(segments).reduce((n, [s, d]) => n + (SEGMENT_HOLDER[s as Segment] === holder ? d as number : 0), 0);
    return { c, segments, city: total('city'), applicant: total('applicant') };
  });
  const times = (group: typeof perCase): HolderTimes => ({
    cases: group.length,
    withCityMedianDays: median(group.map((g) => g.city)),
    withApplicantMedianDays: median(group.map((g) => g.applicant)),
  });
  const groupBy = <K extends string | null>(key: (c: LeadTimeCase) => K) => {
    const groups = new Map<K, typeof perCase>();
    for (const g of perCase) groups.set(key(g.c), [...(groups.get(key(g.c)) ?? []), g]);
    return [...groups.entries()].sort(([a], [b]) => String(a).localeCompare(String(b)));
  };
  return {
    byPortfolio: groupBy((c) => c.portfolio).map(([portfolio, group]) => ({ portfolio, ...times(group) })),
    byOrganisation: groupBy((c) => c.organisation).map(([organisation, group]) => ({ organisation, ...times(group) })),
    byStage: ORDER.flatMap((segment) => {
      const spent = perCase.map((g) => g.segments[segment]).filter((d): d is number => d !== undefined);
      return spent.length === 0 ? [] : [{ segment, holder: SEGMENT_HOLDER[segment] as Holder, cases: spent.length, medianDays: median(spent) }];
    }),
  };
}
