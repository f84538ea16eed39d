// The Stockholm calendar rule for deadlines, checked against an independent implementation (the TC39 Temporal
// polyfill) over random instants across clock changes, month ends and leap years. FUZZ_SEED repeats a run.
import { Temporal } from '@js-temporal/polyfill';
import fc from 'fast-check';
import { addToDate, dueDateOf, STOCKHOLM_DEADLINES, stockholmDate } from '../../workflows/calendar';
import { DEFAULT_RULES } from '../../workflows/defaults';
import { sixWeekReport } from '../../workflows/reportCalendar';

const ZONE = 'Europe/Stockholm';
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const runs = { seed, numRuns: 3000 };
beforeAll(() => console.log(`calendar properties: FUZZ_SEED=${seed}`));

// ---- the oracle ----------------------------------------------------------------------------------

const dateOf = (ms: number) => Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(ZONE).toPlainDate();
const endOf = (date: Temporal.PlainDate) => date.add({ days: 1 }).toZonedDateTime({ timeZone: ZONE }).epochMilliseconds;
const exact = (iso: string) => !/[YMWD]/.test(iso.split('T')[0]);
const ms = (iso: string) => Temporal.Duration.from(iso).total({ unit: 'milliseconds' });

const oracle = {
  after: (from: number, iso: string) => (exact(iso) ? from + ms(iso) : endOf(dateOf(from).add(iso))),
  afterDeadline: (deadline: number, iso: string) => (exact(iso) ? deadline + ms(iso) : endOf(dateOf(deadline - 1).add(iso))),
  beforeDeadline: (deadline: number, iso: string) => (exact(iso) ? deadline - ms(iso) : endOf(dateOf(deadline - 1).subtract(iso))),
};

// ---- instants where calendars go wrong -------------------------------------------------------------

const MIN = Date.UTC(1950, 0, 1);
const MAX = Date.UTC(2100, 0, 1);
const HOUR = 3_600_000;

/** The last Sunday of a month, at 01:00 UTC: when Stockholm's clock changes (March and October). */
const clockChange = (year: number, month: 3 | 10) => {
  const last = Temporal.PlainDate.from({ year, month, day: 1 }).with({ day: 31 });
  return Date.UTC(year, month - 1, last.day - (last.dayOfWeek % 7), 1);
};

const instant = fc.oneof(
  fc.integer({ min: MIN, max: MAX }),
  // A few hours either side of a clock change.
  fc.tuple(fc.integer({ min: 1996, max: 2099 }), fc.constantFrom(3 as const, 10 as const), fc.integer({ min: -30 * HOUR, max: 30 * HOUR }))
    .map(([y, m, offset]) => clockChange(y, m) + offset),
  // Around the end of a month, leap days included, at any hour.
  fc.tuple(fc.integer({ min: 1950, max: 2099 }), fc.integer({ min: 0, max: 11 }), fc.integer({ min: -2 * 24 * HOUR, max: 2 * 24 * HOUR }))
    .map(([y, m, offset]) => Date.UTC(y, m + 1, 1) - HOUR + offset),
);

const dayDuration = fc.oneof(
  fc.record({ Y: fc.nat(3), M: fc.nat(14), W: fc.nat(10), D: fc.nat(400) }, { requiredKeys: [] }),
  fc.constantFrom({ D: 14 }, { D: 90 }, { D: 60 }, { D: 21 }, { W: 6 }, { D: 5 }, { D: 10 }, { M: 12 }, { M: 6 }, { M: 1 }, { Y: 1 }),
).map((p) => `P${p.Y ? `${p.Y}Y` : ''}${p.M ? `${p.M}M` : ''}${p.W ? `${p.W}W` : ''}${p.D ?? 0}D`);
const exactDuration = fc.tuple(fc.nat(48), fc.nat(59), fc.nat(59)).map(([h, m, s]) => `PT${h}H${m}M${s}S`);
const duration = fc.oneof(dayDuration, exactDuration);

// ---- properties ----------------------------------------------------------------------------------

describe('deadlines on the Stockholm calendar, against the Temporal polyfill', () => {
  test('a duration from an instant ends with the Stockholm day that far ahead (or exactly that far)', () => {
    fc.assert(fc.property(instant, duration, (from, d) => STOCKHOLM_DEADLINES.after(from, d) === oracle.after(from, d)), runs);
  });

  test('a duration past a deadline counts from its last day', () => {
    fc.assert(fc.property(instant, duration, (from, d) => {
      const deadline = oracle.after(from, 'P0D');
      return STOCKHOLM_DEADLINES.afterDeadline(deadline, d) === oracle.afterDeadline(deadline, d);
    }), runs);
  });

  test('a reminder a duration before a deadline ends the day that many days before its last day', () => {
    fc.assert(fc.property(instant, duration, (from, d) => {
      const deadline = oracle.after(from, 'P100D');
      return STOCKHOLM_DEADLINES.beforeDeadline(deadline, d) === oracle.beforeDeadline(deadline, d);
    }), runs);
  });

  test('the last day of a deadline is the day it ends, whatever the clock change', () => {
    fc.assert(fc.property(instant, dayDuration, (from, d) => {
      const deadline = STOCKHOLM_DEADLINES.after(from, d);
      return dueDateOf(deadline) === dateOf(from).add(d).toString() && stockholmDate(deadline) === dateOf(from).add(d).add({ days: 1 }).toString();
    }), runs);
  });

  test('calendar dates add years and months clamped to the month end, then weeks and days', () => {
    const date = fc.integer({ min: MIN, max: MAX }).map((t) => new Date(t).toISOString().slice(0, 10));
    fc.assert(fc.property(date, dayDuration, fc.integer({ min: -3, max: 30 }), (d, iso, times) => {
      const parts = Temporal.Duration.from(iso);
      const scaled = Temporal.Duration.from({ years: parts.years * times, months: parts.months * times, weeks: parts.weeks * times, days: parts.days * times });
      return addToDate(d, iso, times) === Temporal.PlainDate.from(d).add(scaled).toString();
    }), runs);
  });

  test('six-week report periods follow each other on the calendar and are due by the end of their last day', () => {
    const rules = { version: 1, ...DEFAULT_RULES };
    const start = fc.integer({ min: MIN, max: MAX - 10 * 366 * 24 * HOUR }).map((t) => endOf(dateOf(t)));
    fc.assert(fc.property(start, fc.integer({ min: 1, max: 60 }), (startAt, k) => {
      const report = sixWeekReport(k, { first: 1, startAt }, Number.MAX_SAFE_INTEGER, rules);
      const first = dateOf(startAt).add({ weeks: 6 * (k - 1) });
      const last = first.add({ weeks: 6 }).subtract({ days: 1 });
      return report !== null && report.periodStart === first.toString() && report.periodEnd === last.toString()
        && report.dueDate === last.toString() && Date.parse(report.dueAt) === endOf(last);
    }), runs);
  });
});

describe('the examples of the rule', () => {
  const at = (local: string) => Temporal.ZonedDateTime.from(`${local}[${ZONE}]`).epochMilliseconds;
  const localEnd = (deadline: number) => Temporal.Instant.fromEpochMilliseconds(deadline).toZonedDateTimeISO(ZONE).toPlainDateTime().toString();

  test('14 days from 20 October at 00:30 ends at the end of 3 November, across the clock change', () => {
    expect(localEnd(STOCKHOLM_DEADLINES.after(at('2027-10-20T00:30'), 'P14D'))).toBe('2027-11-04T00:00:00');
  });
  test('14 days from 20 March at 23:30 ends at the end of 3 April, across the clock change', () => {
    expect(localEnd(STOCKHOLM_DEADLINES.after(at('2027-03-20T23:30'), 'P14D'))).toBe('2027-04-04T00:00:00');
  });
  test('one month from 31 March at 01:30 ends at the end of 30 April', () => {
    expect(localEnd(STOCKHOLM_DEADLINES.after(at('2027-03-31T01:30'), 'P1M'))).toBe('2027-05-01T00:00:00');
  });
  test('exact durations are exact', () => {
    expect(STOCKHOLM_DEADLINES.after(at('2027-03-28T01:59:50'), 'PT20S')).toBe(at('2027-03-28T01:59:50') + 20_000);
  });
});
