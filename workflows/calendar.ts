// The Stockholm calendar and ISO 8601 durations: every deadline of a case is computed here.
// Day-sized durations (years, months, weeks, days) are added to the Stockholm calendar date, and a deadline
// is the end of that day in Europe/Stockholm, whatever the clock change; durations of hours, minutes and
// seconds are exact (a rule set with PT20S runs a whole case in minutes).
// Deterministic and free of I/O: used inside the workflow and by the API alike.

const DAY = 86_400_000;

interface DurationParts { years: number; months: number; weeks: number; days: number; hours: number; minutes: number; seconds: number }

export function parseDuration(iso: string): DurationParts {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m || iso === 'P' || iso.endsWith('T')) throw new Error(`not an ISO 8601 duration: ${iso}`);
  const n = (i: number) => Number(m[i] ?? 0);
  return { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
}

/**
 * Adds a duration to an instant: years and months on the UTC calendar, the rest as elapsed time. The way
 * deadlines were computed before the Stockholm calendar rule (editions/first.ts); still the right sum for a
 * date at UTC midnight.
 */
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


/** True when the duration names no day-sized part (years, months, weeks, days), even one of 0: it is counted exactly. */
export function isExact(iso: string): boolean {
  parseDuration(iso);
  return !/[YMWD]/.test(iso.split('T')[0]);
}

const timePartMs = (d: DurationParts) => ((d.hours * 60 + d.minutes) * 60 + d.seconds) * 1000;

/**
 * A calendar date plus `times` the day-sized part of a duration (negative: minus): years and months first,
 * clamped to the month's end (31 March + 1 month = 30 April), then weeks and days.
 */
export function addToDate(date: string, iso: string, times = 1): string {
  const d = parseDuration(iso);
  const [y, m, day] = date.split('-').map(Number);
  const months = y * 12 + (m - 1) + times * (d.years * 12 + d.months);
  const year = Math.floor(months / 12);
  const month = months - year * 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return addDays(new Date(Date.UTC(year, month, Math.min(day, last))).toISOString().slice(0, 10), times * (d.weeks * 7 + d.days));
}

/** The last day a deadline allows: the Stockholm date of the instant just before it. */
export const dueDateOf = (deadline: number): string => stockholmDate(deadline - 1);

/** How a case turns its rule set's durations into deadlines. */
export interface Deadlines {
  /** A duration from now: the end of the Stockholm day that far ahead, or exactly that far for an exact duration. */
  after(from: number, duration: string): number;
  /** A duration past a deadline (an escalation): counted from its last day. */
  afterDeadline(deadline: number, duration: string): number;
  /** A duration before a deadline (a reminder): the end of the day that many days before its last day. */
  beforeDeadline(deadline: number, duration: string): number;
  /** A reminder a duration from now (before an application is due). */
  reminderAfter(from: number, duration: string): number;
}

/** Deadlines on the Stockholm calendar: every day-sized duration is added to a date and ends with that day. */
export const STOCKHOLM_DEADLINES: Deadlines = {
  after: (from, duration) => endOfDayAfter(stockholmDate(from), duration, 1, from),
  afterDeadline: (deadline, duration) => endOfDayAfter(dueDateOf(deadline), duration, 1, deadline),
  beforeDeadline: (deadline, duration) => endOfDayAfter(dueDateOf(deadline), duration, -1, deadline),
  reminderAfter: (from, duration) => endOfDayAfter(stockholmDate(from), duration, 1, from),
};

/** `date` ± the day-sized part ended with its Stockholm day, ± the exact part; exact durations count from `exactFrom`. */
function endOfDayAfter(date: string, iso: string, sign: 1 | -1, exactFrom: number): number {
  const d = parseDuration(iso);
  const base = isExact(iso) ? exactFrom : endOfStockholmDay(addToDate(date, iso, sign));
  return base + sign * timePartMs(d);
}
