// Money over the calendar years: how a grant is reserved against a portfolio's yearly frames.
import type { CaseView } from './types';

const DAY = 86_400_000;

/** Splits an amount over the calendar years it spans: by the applicant's split when given, else by days. */
export function splitByYear(amount: number, start: string, end: string, costPerYear?: Record<string, number>): Record<string, number> {
  const weights: Record<string, number> = {};
  const planned = costPerYear ? Object.entries(costPerYear).filter(([, v]) => v > 0) : [];
  if (planned.length > 0) {
    for (const [year, v] of planned) weights[year] = v;
  } else {
    for (let y = Number(start.slice(0, 4)); y <= Number(end.slice(0, 4)); y++) {
      const from = Math.max(Date.parse(`${y}-01-01`), Date.parse(start));
      const to = Math.min(Date.parse(`${y}-12-31`), Date.parse(end));
      weights[String(y)] = Math.max(1, (to - from) / DAY + 1);
    }
  }
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const years = Object.keys(weights).sort();
  const out: Record<string, number> = {};
  let left = amount;
  years.forEach((y, i) => {
    const share = i === years.length - 1 ? left : Math.round((amount * weights[y]) / total);
    out[y] = share;
    left -= share;
  });
  return out;
}


/** A case's reservation of `amount` against its portfolio's frames, from the project start to `end`. */
export function reservationFor(view: CaseView, amount: number, end: string) {
  const app = view.application!;
  const start = view.decision?.projectStart ?? app.plannedStart;
  // The applicant's yearly split, scaled to the amount, when it covers the years; else by days.
  const perYear = app.costPerYear && app.totalCost > 0
    ? Object.fromEntries(Object.entries(app.costPerYear).map(([y, v]) => [y, (v * amount) / app.totalCost]))
    : undefined;
  return { caseId: view.id, portfolio: app.portfolio, amountsByYear: splitByYear(amount, start, end, perYear) };
}
