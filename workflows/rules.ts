// Pure rules: durations, the Stockholm calendar, delegation tiers, the report calendar, frame years.
// Deterministic and free of I/O: used inside the workflow and by the API alike.
import type { Report, RuleSet } from './types';

const DAY = 86_400_000;

interface DurationParts { years: number; months: number; weeks: number; days: number; hours: number; minutes: number; seconds: number }

export function parseDuration(iso: string): DurationParts {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m || iso === 'P' || iso.endsWith('T')) throw new Error(`not an ISO 8601 duration: ${iso}`);
  const n = (i: number) => Number(m[i] ?? 0);
  return { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
}

/** Adds a duration to an instant: years and months on the calendar, the rest as elapsed time. */
export function addDuration(at: number, iso: string, sign: 1 | -1 = 1): number {
  const d = parseDuration(iso);
  let t = at;
  if (d.years || d.months) {
    const date = new Date(t);
    const day = date.getUTCDate();
    date.setUTCDate(1);
    date.setUTCMonth(date.getUTCMonth() + sign * (d.years * 12 + d.months));
    // Clamp to the month's last day (31 January + 1 month = 28/29 February).
    const last = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
    date.setUTCDate(Math.min(day, last));
    t = date.getTime();
  }
  return t + sign * ((((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) * 1000;
}

/** True when the duration is shorter than a day: then deadlines are exact instants, not calendar days. */
export function isSubDay(iso: string): boolean {
  const d = parseDuration(iso);
  return !d.years && !d.months && !d.weeks && !d.days && d.hours < 24;
}

const stockholm = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

function stockholmParts(at: number) {
  const p = Object.fromEntries(stockholm.formatToParts(new Date(at)).map((x) => [x.type, x.value]));
  return { y: Number(p.year), mo: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute), s: Number(p.second) };
}

/** The Stockholm calendar date (YYYY-MM-DD) of an instant. */
export function stockholmDate(at: number): string {
  const { y, mo, d } = stockholmParts(at);
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The Stockholm calendar year of an instant: case numbers and budget years follow it. */
export function stockholmYear(at: number): number {
  return stockholmParts(at).y;
}

/** The instant a Stockholm calendar day starts. */
export function startOfStockholmDay(date: string): number {
  const guess = Date.parse(`${date}T00:00:00Z`);
  const p = stockholmParts(guess);
  const offset = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - guess;
  return guess - offset;
}

/** Something due "by" a date is due until that Stockholm day ends. */
export function endOfStockholmDay(date: string): number {
  return startOfStockholmDay(addDays(date, 1));
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** The delegation tier that decides an amount: the first whose upTo is at least the amount (null = no limit). */
export function tierForAmount(amount: number, delegation: RuleSet['delegation']): string {
  const tier = delegation.find((t) => t.upTo === null || amount <= t.upTo);
  if (!tier) throw new Error(`no delegation tier decides ${amount} SEK`);
  return tier.tier;
}

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

/** The due instant of a report whose period ends at `periodEnd`, with the interval's precision. */
function dueAtFor(periodEnd: number, subDay: boolean): number {
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

/**
 * The six-week report number k (1-based) of a project started at `start`, or null when its period would
 * run past the planned end (the final report covers that last stretch).
 */
export function sixWeekReport(k: number, start: number, plannedEnd: number, rules: RuleSet): Report | null {
  const subDay = isSubDay(rules.reportInterval);
  let periodStart = start;
  for (let i = 1; i < k; i++) periodStart = addDuration(periodStart, rules.reportInterval);
  const periodEnd = addDuration(periodStart, rules.reportInterval);
  if (periodEnd > plannedEnd) return null;
  return makeReport(`S${k}`, 'sixWeek', periodStart, periodEnd, dueAtFor(periodEnd, subDay), subDay);
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
