// Money over the calendar years: how a grant is reserved against a portfolio's yearly frames. At approval the
// grant is reserved over the years of the decided start and end; after a termination or a closure the
// reservation becomes what was actually spent, in the years it was spent, and the rest of the frame is free.
import { addDays } from './calendar';
import { isPeriodic } from './reports';
import type { CaseView, Report } from './types';

const DAY = 86_400_000;

/**
 * Splits a whole amount over calendar years by weights (largest remainders, so the shares are whole,
 * never negative, and sum to the amount); without weights, by the days of [start, end] in each year.
 */
export function splitByYear(amount: number, start: string, end: string, weightsByYear?: Record<string, number>): Record<string, number> {
  const given = weightsByYear ? Object.entries(weightsByYear).filter(([, v]) => v > 0) : [];
  const weights = new Map(given.length > 0 ? given : daysByYear(start, end));
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  const years = [...weights.keys()].sort();
  const exact = years.map((y) => (amount * (weights.get(y) as number)) / total);
  const out = Object.fromEntries(years.map((y, i) => [y, Math.floor(exact[i])]));
  let left = amount - Object.values(out).reduce((a, b) => a + b, 0);
  const byRemainder = years.map((y, i) => ({ y, r: exact[i] - Math.floor(exact[i]) })).sort((a, b) => b.r - a.r || a.y.localeCompare(b.y));
  for (const { y } of byRemainder) {
    if (left <= 0) break;
    out[y] += 1;
    left -= 1;
  }
  return out;
}

/** The days of [start, end] (dates, inclusive) in each calendar year; at least one day in a year it touches. */
function daysByYear(start: string, end: string): [string, number][] {
  const out: [string, number][] = [];
  for (let y = Number(start.slice(0, 4)); y <= Number(end.slice(0, 4)); y++) {
    const from = Math.max(Date.parse(`${y}-01-01`), Date.parse(start));
    const to = Math.min(Date.parse(`${y}-12-31`), Date.parse(end));
    out.push([String(y), Math.max(1, (to - from) / DAY + 1)]);
  }
  return out;
}

export interface Reservation { caseId: string; portfolio: string; amountsByYear: Record<string, number> }

/**
 * The grant over the years of the decided start and end: by the applicant's yearly split when all its years
 * lie within them (scaled to the grant), else by days.
 */
export function grantReservation(view: CaseView, amount: number, start: string, end: string): Reservation {
  const app = view.application!;
  const split = Object.entries(app.costPerYear ?? {}).filter(([, v]) => v > 0);
  const fits = split.length > 0 && split.every(([y]) => y >= start.slice(0, 4) && y <= end.slice(0, 4));
  return { caseId: view.id, portfolio: app.portfolio, amountsByYear: splitByYear(amount, start, end, fits ? Object.fromEntries(split) : undefined) };
}

/**
 * `total` in the years it was spent, from `start` to `end` (dates): each received report's rise in spend to
 * date falls in the stretch since the report before it, and what the total adds beyond the last report in
 * the stretch after it.
 */
export function spentReservation(view: CaseView, total: number, start: string, end: string): Reservation {
  const points = view.reports
    .filter((r): r is Report & { content: { spentToDate: number } } => isPeriodic(r) && r.status === 'received' && typeof r.content?.spentToDate === 'number')
    .map((r) => ({ end: r.periodEnd.slice(0, 10), spent: r.content.spentToDate }))
    .sort((a, b) => a.end.localeCompare(b.end));
  const weights: Record<string, number> = {};
  const add = (amount: number, from: string, to: string) => {
    if (amount <= 0) return;
    const span = from <= to ? splitByYear(amount, from, to) : { [to.slice(0, 4)]: amount };
    for (const [y, v] of Object.entries(span)) weights[y] = (weights[y] ?? 0) + v;
  };
  let from = start;
  let spent = 0;
  for (const p of points) {
    add(p.spent - spent, from, p.end);
    spent = Math.max(spent, p.spent);
    if (p.end >= from) from = addDays(p.end, 1);
  }
  add(total - spent, from <= end ? from : end, end);
  return { caseId: view.id, portfolio: view.application!.portfolio, amountsByYear: splitByYear(total, start, end, weights) };
}
