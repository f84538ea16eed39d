// The Stockholm calendar and ISO 8601 durations: every deadline of a case is computed here.
// Deterministic and free of I/O: used inside the workflow and by the API alike.

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

/** A deadline a duration after an instant: the end of that Stockholm day for day-sized durations, exact below a day. */
export function deadlineAfter(from: number, duration: string): number {
  const at = addDuration(from, duration);
  return isSubDay(duration) ? at : endOfStockholmDay(stockholmDate(at));
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

