// A three-year project from idea sketch to completed: every six-week, tertial and year-end report,
// the final report, closure and two effect follow-ups (6 and 12 months), on the time-skipping server.
import { Temporal } from '@js-temporal/polyfill';
import { verifyAuditChain } from '../../db/audit';
import { stockholmDate } from '../../workflows/calendar';
import { application, createHarness, fileReportsWhile, NEXT_YEAR, people, type Harness } from './harness';

let h: Harness;
beforeAll(async () => { h = await createHarness('project'); });
afterAll(() => h?.close());

test('three years of execution with all reports, closure and two effect follow-ups', async () => {
  // A short history limit: the years of execution run in several runs, each continuing as new.
  const c = await h.start({ rules: { followUpOffsets: ['P6M', 'P12M'] }, historyLimit: 300 });
  const [y1, y2, y3] = [NEXT_YEAR, NEXT_YEAR + 1, NEXT_YEAR + 2];
  const start = `${y1}-01-01`;
  const end = `${y3}-12-31`;
  await c.toDecision(application({ totalCost: 5_000_000, plannedStart: start, plannedEnd: end, costPerYear: { [y1]: 2_000_000, [y2]: 2_000_000, [y3]: 1_000_000 } }));
  let v = await c.act('decide', people.director, { outcome: 'approve', grantedAmount: 5_000_000, projectStart: start, conditions: 'Rapportera enligt plan', motivation: 'Hög nytta' });
  expect(v).toMatchObject({ stage: 'execution', grantedAmount: 5_000_000, grantTier: 'stadsdirektor', applicantStatus: { code: 'granted' } });

  v = await fileReportsWhile(h, c, ['execution', 'closure', 'followUp']);
  expect(v.stage).toBe('completed');
  const byType = (t: string) => v.reports.filter((r) => r.type === t);
  // Every six weeks from the start, each period whole within the plan (the final report covers the rest).
  const sixWeekPeriods = Array.from({ length: 40 }, (_, k) => Temporal.PlainDate.from(start).add({ weeks: 6 * (k + 1) }))
    .filter((periodEnd) => Temporal.PlainDate.compare(periodEnd, Temporal.PlainDate.from(end).add({ days: 1 })) <= 0).length;
  expect(byType('sixWeek')).toHaveLength(sixWeekPeriods);
  expect(byType('sixWeek').map((r) => r.periodStart)).toEqual(Array.from({ length: sixWeekPeriods }, (_, k) => Temporal.PlainDate.from(start).add({ weeks: 6 * k }).toString()));
  expect(byType('tertial1').map((r) => r.id)).toEqual([`T1-${y1}`, `T1-${y2}`, `T1-${y3}`]);
  expect(byType('tertial2').map((r) => r.id)).toEqual([`T2-${y1}`, `T2-${y2}`, `T2-${y3}`]);
  // The last year's bokslut falls after the planned end: the final report covers it.
  expect(byType('yearEnd').map((r) => r.id)).toEqual([`Y-${y1}`, `Y-${y2}`]);
  expect(byType('final')).toHaveLength(1);
  // Effect reports fall due 6 and 12 months after the day the closure was approved.
  const closed = Temporal.PlainDate.from(stockholmDate(Date.parse(v.closure!.at)));
  expect(byType('effect').map((r) => r.dueDate)).toEqual([closed.add({ months: 6 }).toString(), closed.add({ months: 12 }).toString()]);
  expect(v.reports.every((r) => r.status === 'received')).toBe(true);
  expect(await c.finished()).toMatchObject({ stage: 'completed' });
  // The years of execution ran in more than one run (continue-as-new), carrying the case along.
  expect((await c.handle.describe()).runId).not.toBe(c.handle.firstExecutionRunId);

  // Every step is in the audit trail once, in order, and the chain verifies.
  const audit = await c.audit();
  expect(audit.map((a) => a.caseSeq)).toEqual(Array.from({ length: v.seq }, (_, i) => i + 1));
  expect(audit.filter((a) => a.action === 'submit-report')).toHaveLength(26 + 8);
  expect(await verifyAuditChain(h.database.db)).toMatchObject({ ok: true, firstBrokenSeq: null });

  // The council receives both effect evaluations; nothing was ever escalated.
  // They leave through the relay after each step: the last ones may still be on their way.
  const emails = await c.settledEmails();
  expect(emails.filter((e) => e.template === 'effect-report-received').map((e) => e.recipient)).toEqual(['utvecklingsradet@stockholm.se', 'utvecklingsradet@stockholm.se']);
  expect(emails.filter((e) => e.template === 'report-escalated')).toEqual([]);
  // Internal moves the applicant cannot see send nothing; what the applicant gets is complete and Swedish.
  const internal = new Set(audit.filter((a) => ['record-valuation', 'report-scheduled'].includes(a.action)).map((a) => a.caseSeq));
  expect(internal.size).toBeGreaterThan(20);
  expect(emails.filter((e) => internal.has(e.seq) && e.recipient === 'anna@utbildning.example')).toEqual([]);
  const toApplicant = h.smtp.to('anna@utbildning.example').filter((m) => m.subject.includes(c.id));
  expect(toApplicant.length).toBeGreaterThan(40);
  for (const m of toApplicant) {
    expect(m.subject).toContain('Digital skolval');
    expect(m.language).toBe('sv');
    expect(m.text).toContain(c.id);
    expect(m.html).toContain('</');
  }
  // Every email reached the SMTP server exactly once.
  expect(emails.every((e) => e.status === 'sent')).toBe(true);
  const delivered = h.smtp.received.filter((m) => m.subject.includes(c.id));
  expect(delivered).toHaveLength(emails.length);
  expect(new Set(delivered.map((m) => m.messageId)).size).toBe(emails.length);

});
