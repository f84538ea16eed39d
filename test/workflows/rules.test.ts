import { DEFAULT_RULES } from '../../workflows/defaults';
import { addDuration, endOfStockholmDay, stockholmDate } from '../../workflows/calendar';
import { tierForAmount } from '../../workflows/delegation';
import fc from 'fast-check';
import { grantReservation, spentReservation, splitByYear } from '../../workflows/money';
import type { CaseView, Report } from '../../workflows/types';
import { calendarReports, deviationReasons, sixWeekReport } from '../../workflows/reportCalendar';

const rules = { version: 1, ...DEFAULT_RULES };

describe('durations and the Stockholm calendar', () => {
  test('months are calendar months, clamped to the month end', () => {
    expect(new Date(addDuration(Date.parse('2027-01-31T12:00:00Z'), 'P1M')).toISOString()).toBe('2027-02-28T12:00:00.000Z');
    expect(new Date(addDuration(Date.parse('2027-03-10T00:00:00Z'), 'P12M')).toISOString()).toBe('2028-03-10T00:00:00.000Z');
    expect(addDuration(0, 'PT20S')).toBe(20_000);
    expect(addDuration(Date.parse('2027-01-10T00:00:00Z'), 'P5D', -1)).toBe(Date.parse('2027-01-05T00:00:00Z'));
  });

  test('a day ends at Stockholm midnight, in winter and in summer time', () => {
    expect(new Date(endOfStockholmDay('2027-01-31')).toISOString()).toBe('2027-01-31T23:00:00.000Z');
    expect(new Date(endOfStockholmDay('2027-05-15')).toISOString()).toBe('2027-05-15T22:00:00.000Z');
    expect(stockholmDate(Date.parse('2027-05-15T22:30:00Z'))).toBe('2027-05-16');
  });
});

describe('delegation', () => {
  test('the first tier whose upTo covers the amount decides; above all limits the open tier', () => {
    expect(tierForAmount(15_000_000, rules.delegation)).toBe('stadsdirektor');
    expect(tierForAmount(15_000_001, rules.delegation)).toBe('ks-ekonomiutskott');
    const threeTiers = [{ tier: 'deputy', upTo: 3_000_000 }, { tier: 'director', upTo: 10_000_000 }, { tier: 'board', upTo: null }];
    expect([1, 3_000_000, 3_000_001, 10_000_001].map((a) => tierForAmount(a, threeTiers))).toEqual(['deputy', 'deputy', 'director', 'board']);
  });
});

describe('frame years', () => {
  test('follows the applicant split, scaled, and sums exactly to the amount', () => {
    const split = splitByYear(1_000_000, '2027-01-01', '2028-12-31', { 2027: 1_000, 2028: 2_000 });
    expect(split).toEqual({ 2027: 333_333, 2028: 666_667 });
  });
  test('without a split, by the days in each year', () => {
    const split = splitByYear(365_000, '2027-07-01', '2028-06-30');
    expect(split['2027'] + split['2028']).toBe(365_000);
    expect(Math.abs(split['2027'] - split['2028'])).toBeLessThan(2_000);
  });

  test('shares are whole, never negative, and sum to the amount, whatever the weights', () => {
    const weights = fc.dictionary(fc.integer({ min: 2000, max: 2040 }).map(String), fc.double({ min: 0, max: 1e9, noNaN: true }), { minKeys: 1, maxKeys: 12 });
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000_000_000 }), weights, (amount, w) => {
      const split = Object.values(splitByYear(amount, '2027-01-01', '2030-12-31', w));
      return split.every((v) => Number.isInteger(v) && v >= 0) && split.reduce((a, b) => a + b, 0) === amount;
    }), { numRuns: 2000 });
  });

  const view = (reports: Partial<Report>[], costPerYear?: Record<string, number>) => ({
    id: 'PK-1', reports: reports.map((r, i) => ({ id: `S${i + 1}`, type: 'sixWeek', status: 'received', dueDate: '', dueAt: '', ...r })),
    application: { portfolio: 'p1', costPerYear },
  }) as unknown as CaseView;

  test('the grant over the decided years: the applicant\'s split when its years lie within them, else by days', () => {
    expect(grantReservation(view([], { 2027: 1, 2028: 3 }), 400_000, '2027-03-01', '2028-12-31').amountsByYear).toEqual({ 2027: 100_000, 2028: 300_000 });
    // Decided a year later than planned: the split's 2027 lies outside, so the days decide.
    expect(grantReservation(view([], { 2027: 1, 2028: 3 }), 366_000, '2028-01-01', '2028-12-31').amountsByYear).toEqual({ 2028: 366_000 });
  });

  test('spend in the years it was spent: each report\'s rise in the stretch before it, the rest after the last', () => {
    const reported = view([
      { periodStart: '2026-11-20', periodEnd: '2026-12-31', content: { spentToDate: 400_000 } },
      { periodStart: '2027-01-01', periodEnd: '2027-02-11', content: { spentToDate: 1_000_000 } },
      { periodStart: '2027-02-12', periodEnd: '2027-03-25', status: 'notReceived' },
    ]);
    expect(spentReservation(reported, 1_000_000, '2026-11-20', '2027-02-11').amountsByYear).toEqual({ 2026: 400_000, 2027: 600_000 });
    // The final cost above the last report falls after it, here all in 2028.
    expect(spentReservation(reported, 1_300_000, '2026-11-20', '2028-06-30').amountsByYear).toEqual({ 2026: 400_000, 2027: 600_000 + Math.round(300_000 * 323 / 505), 2028: 300_000 - Math.round(300_000 * 323 / 505) });
  });
});

describe('the report calendar', () => {
  const start = Date.parse('2027-01-01T00:00:00+01:00');
  const end = endOfStockholmDay('2029-12-31');

  test('six-week reports follow each other from the start and stop at the planned end', () => {
    expect(sixWeekReport(1, { first: 1, startAt: start }, end, rules)).toMatchObject({ id: 'S1', periodStart: '2027-01-01', periodEnd: '2027-02-11', dueDate: '2027-02-11' });
    expect(sixWeekReport(2, { first: 1, startAt: start }, end, rules)).toMatchObject({ id: 'S2', periodStart: '2027-02-12', dueDate: '2027-03-25' });
    expect(sixWeekReport(27, { first: 1, startAt: start }, end, rules)).toBeNull();
    expect(sixWeekReport(26, { first: 1, startAt: start }, end, rules)?.periodEnd).toBe('2029-12-27');
  });

  test('tertials T1 and T2 and the year-end report on the city calendar for every year spanned', () => {
    const reports = calendarReports(start, end, rules);
    expect(reports.map((r) => `${r.id}@${r.dueDate}`)).toEqual([
      'T1-2027@2027-05-15', 'T2-2027@2027-09-15', 'Y-2027@2028-01-31',
      'T1-2028@2028-05-15', 'T2-2028@2028-09-15', 'Y-2028@2029-01-31',
      'T1-2029@2029-05-15', 'T2-2029@2029-09-15', 'Y-2029@2030-01-31',
    ]);
    expect(reports[0]).toMatchObject({ periodStart: '2027-01-01', periodEnd: '2027-04-30' });
  });

  test('a project starting in June has no T1 that year; an empty tertial list gives year-end reports only', () => {
    const june = calendarReports(Date.parse('2027-06-01T00:00:00+02:00'), endOfStockholmDay('2027-12-31'), rules);
    expect(june.map((r) => r.id)).toEqual(['T2-2027', 'Y-2027']);
    expect(june[0].periodStart).toBe('2027-06-01');
    const noTertials = calendarReports(start, end, { ...rules, tertialDueDates: [] });
    expect(noTertials.map((r) => r.type)).toEqual(['yearEnd', 'yearEnd', 'yearEnd']);
  });
});

describe('deviations', () => {
  test('cost beyond tolerance and an end date slipping past the allowed weeks are both named', () => {
    expect(deviationReasons({ forecastTotalCost: 1_100_000, forecastEndDate: '2028-02-26' }, 1_000_000, '2028-01-01', rules)).toEqual([]);
    const reasons = deviationReasons({ forecastTotalCost: 1_100_001, forecastEndDate: '2028-02-27' }, 1_000_000, '2028-01-01', rules);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/^cost/);
    expect(reasons[1]).toMatch(/^time/);
  });
});
