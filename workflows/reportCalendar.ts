// The report calendar: six-week status reports from the project start, tertial and year-end reports on the
// city's calendar, and the deviations a report's forecast can raise.
import { addDuration, addToDate, endOfStockholmDay, isExact, startOfStockholmDay, stockholmDate } from './calendar';
import type { Report, RuleSet } from './types';

/** The due instant of a report whose period ends at `periodEnd`, with the interval's precision. */
export function dueAtFor(periodEnd: number, subDay: boolean): number {
  return subDay ? periodEnd : endOfStockholmDay(stockholmDate(periodEnd - 1));
}

export function makeReport(id: string, type: Report['type'], periodStart: number, periodEnd: number, dueAt: number, subDay: boolean): Report {
  const date = (t: number) => (subDay ? new Date(t).toISOString() : stockholmDate(t));
  return {
    id, type,
    periodStart: date(periodStart),
    periodEnd: date(periodEnd - (subDay ? 0 : 1)),
    dueDate: stockholmDate(dueAt - 1),
    dueAt: new Date(dueAt).toISOString(),
    status: 'scheduled',
  };
}

/** Where a six-week series counts from: its first report's number and the instant its period starts. */
export interface SixWeekSeries { first: number; startAt: number }

/**
 * The six-week report number k of a series, or null when its period would run past the planned end (the
 * final report covers that last stretch). On the Stockholm calendar, report k's period starts k - first
 * intervals after the series' first day and ends the day before the next one starts; it is due by the end of
 * its last day. An exact interval (PT20S) counts in instants.
 */
export function sixWeekReport(k: number, series: SixWeekSeries, plannedEnd: number, rules: RuleSet): Report | null {
  if (!isExact(rules.reportInterval)) {
    const first = stockholmDate(series.startAt);
    const periodStart = startOfStockholmDay(addToDate(first, rules.reportInterval, k - series.first));
    const periodEnd = startOfStockholmDay(addToDate(first, rules.reportInterval, k - series.first + 1));
    if (periodEnd > plannedEnd) return null;
    return makeReport(`S${k}`, 'sixWeek', periodStart, periodEnd, periodEnd, false);
  }
  const interval = addDuration(0, rules.reportInterval);
  const periodStart = series.startAt + (k - series.first) * interval;
  const periodEnd = periodStart + interval;
  if (periodEnd > plannedEnd) return null;
  return makeReport(`S${k}`, 'sixWeek', periodStart, periodEnd, periodEnd, true);
}

/**
 * Tertial (T1 Jan-Apr, T2 May-Aug) and year-end reports on the city's calendar for the years a project
 * spans; only periods that overlap the project [start, end).
 */
export function calendarReports(start: number, end: number, rules: RuleSet): Report[] {
  const out: Report[] = [];
  const first = Number(stockholmDate(start).slice(0, 4));
  const last = Number(stockholmDate(end - 1).slice(0, 4));
  for (let y = first; y <= last; y++) {
    const tertials: [Report['type'], string, string][] = [['tertial1', `${y}-01-01`, `${y}-05-01`], ['tertial2', `${y}-05-01`, `${y}-09-01`]];
    tertials.forEach(([type, from, to], i) => {
      const due = rules.tertialDueDates[i];
      if (!due) return;
      const pStart = Math.max(startOfStockholmDay(from), start);
      const pEnd = Math.min(startOfStockholmDay(to), end);
      if (pStart < pEnd) out.push(makeReport(`${type === 'tertial1' ? 'T1' : 'T2'}-${y}`, type, pStart, pEnd, endOfStockholmDay(`${y}-${due}`), false));
    });
    const pStart = Math.max(startOfStockholmDay(`${y}-01-01`), start);
    const pEnd = Math.min(startOfStockholmDay(`${y + 1}-01-01`), end);
    if (pStart < pEnd) out.push(makeReport(`Y-${y}`, 'yearEnd', pStart, pEnd, endOfStockholmDay(`${y + 1}-${rules.yearEndDueDate}`), false));
  }
  return out;
}

/** Reasons a report's forecast is a deviation: cost beyond tolerance or end date slipping too far. */
export function deviationReasons(
  forecast: { forecastTotalCost: number; forecastEndDate: string },
  grant: number, plannedEnd: string, rules: RuleSet,
): string[] {
  const reasons: string[] = [];
  if (forecast.forecastTotalCost > grant * (1 + rules.deviation.costTolerance)) {
    reasons.push(`cost: forecast ${forecast.forecastTotalCost} SEK exceeds the grant ${grant} SEK by more than ${Math.round(rules.deviation.costTolerance * 100)} %`);
  }
  if (Date.parse(forecast.forecastEndDate) > addDuration(Date.parse(plannedEnd), rules.deviation.endDateSlip)) {
    reasons.push(`time: forecast end ${forecast.forecastEndDate} slips more than ${rules.deviation.endDateSlip} past ${plannedEnd}`);
  }
  return reasons;
}
