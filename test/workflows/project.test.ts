// A three-year project from idea sketch to completed: every six-week, tertial and year-end report,
// the final report, closure and two effect follow-ups (6 and 12 months), on the time-skipping server.
import { verifyAuditChain } from '../../db/audit';
import { stockholmDate } from '../../workflows/calendar';
import { application, createHarness, fileReportsWhile, people, type Harness } from './harness';

let h: Harness;
beforeAll(async () => { h = await createHarness('project'); });
afterAll(() => h?.close());

test('three years of execution with all reports, closure and two effect follow-ups', async () => {
  const c = await h.start({ rules: { followUpOffsets: ['P6M', 'P12M'] } });
  await c.toDecision(application({ totalCost: 5_000_000, plannedStart: '2027-01-01', plannedEnd: '2029-12-31', costPerYear: { 2027: 2_000_000, 2028: 2_000_000, 2029: 1_000_000 } }));
  let v = await c.act('decide', people.director, { outcome: 'approve', grantedAmount: 5_000_000, projectStart: '2027-01-01', conditions: 'Rapportera enligt plan', motivation: 'Hög nytta' });
  expect(v).toMatchObject({ stage: 'execution', grantedAmount: 5_000_000, grantTier: 'stadsdirektor', applicantStatus: { code: 'granted' } });

  v = await fileReportsWhile(h, c, ['execution', 'closure', 'followUp']);
  expect(v.stage).toBe('completed');
  const byType = (t: string) => v.reports.filter((r) => r.type === t);
  expect(byType('sixWeek')).toHaveLength(26);
  expect(byType('tertial1').map((r) => r.id)).toEqual(['T1-2027', 'T1-2028', 'T1-2029']);
  expect(byType('tertial2').map((r) => r.id)).toEqual(['T2-2027', 'T2-2028', 'T2-2029']);
  // The last year's bokslut falls after the planned end: the final report covers it.
  expect(byType('yearEnd').map((r) => r.id)).toEqual(['Y-2027', 'Y-2028']);
  expect(byType('final')).toHaveLength(1);
  // Effect reports fall due 6 and 12 months after the closure was approved.
  const closed = stockholmDate(Date.parse(v.closure!.at));
  const monthsAfter = (n: number) => { const d = new Date(`${closed}T12:00:00Z`); d.setUTCMonth(d.getUTCMonth() + n); return d.toISOString().slice(0, 10); };
  expect(byType('effect').map((r) => r.dueDate)).toEqual([monthsAfter(6), monthsAfter(12)]);
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
  const emails = await c.emails();
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
