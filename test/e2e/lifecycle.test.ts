// End to end, as a user runs it: the system starts on the real Temporal dev server, its database and a
// real SMTP server, answers ready, and a case submitted through the API runs from idea sketch to completed
// with a short rule set, every step over HTTP.
import { stockholmDate } from '../../workflows/calendar';
import { finish, isOpen, isReceived, reportStep, run, SHORT_RULES, stepsToDecision, decideStep } from './client';
import { checkInvariants } from './invariants';
import { explained, startSystem, type System } from './system';

let system: System;

beforeAll(async () => {
  system = await startSystem('lifecycle');
}, 180_000);

afterAll(async () => {
  await system?.close();
}, 180_000);

test('the system starts and is ready with the database and the workflow engine up, and no mail queued', async () => {
  const ready = await system.api.get('/readyz', 'officer');
  expect({ status: ready.status, body: ready.body }).toEqual({
    status: 200,
    body: { checks: [{ name: 'database', up: true }, { name: 'temporal', up: true }], mail: { queued: 0, oldestQueuedAt: null, oldestQueuedSeconds: null } },
  });
});

test('a case runs from idea sketch to completed through the API: reports filed as they open, final report, closure, effect report', () => explained(system, async () => {
  const { api, smtp } = system;
  const version = await api.postRuleSet(SHORT_RULES);
  const meetingId = await api.createMeeting(stockholmDate(Date.now()));

  const created = await api.createCase();
  expect(created).toMatchObject({ stage: 'idea', ruleSetVersion: version, organisation: 'utbildning', seq: 1 });
  const id = created.id;

  const atDecision = await run(api, id, stepsToDecision(id, meetingId));
  expect(atDecision).toMatchObject({ stage: 'decision', budgetCheck: { outcome: 'ok' } });
  const granted = await run(api, id, [decideStep]);
  expect(granted).toMatchObject({ stage: 'execution', grantedAmount: 2_000_000 });

  // Each six-week report opens (its reminder fires) 10 s into its period; the applicant files it then.
  for (const reportId of ['S1', 'S2']) {
    const open = await api.waitFor(id, `report ${reportId} open`, (v) => isOpen(v, reportId));
    expect(open.applicantStatus.code).toBe('report-due');
    const filed = await run(api, id, [reportStep(reportId)]);
    expect(filed && isReceived(filed, reportId)).toBe(true);
  }

  const completed = await finish(api, id);
  expect(completed).toMatchObject({ stage: 'completed', applicantStatus: { code: 'completed' } });
  expect(completed.reports.filter((r) => ['S1', 'S2', 'F', 'E1'].includes(r.id)).map((r) => `${r.id}:${r.status}`))
    .toEqual(['S1:received', 'S2:received', 'F:received', 'E1:received']);

  const history = await api.get(`/cases/${id}/history`, 'auditor');
  expect(history.status).toBe(200);
  const actions = (history.body.items as { action: string }[]).map((e) => e.action);
  expect(actions).toEqual(expect.arrayContaining([
    'case-started', 'screen-idea', 'submit-application', 'decide', 'reminder', 'submit-report', 'submit-final-report',
    'approve-closure', 'submit-effect-report',
  ]));
  expect(actions.filter((a) => a === 'submit-report')).toHaveLength(2);

  const verified = await api.get('/audit/verify', 'auditor');
  expect(verified.body).toMatchObject({ ok: true, firstBrokenSeq: null });
  await checkInvariants(system, { caseIds: [id], stage: 'completed' });

  // The applicant got a receipt for the idea, the application, both reports, the final and the effect report.
  const receipts = smtp.to('anna@utbildning.example').filter((m) => m.messageId.includes('.receipt.'));
  expect(receipts.map((m) => m.subject)).toHaveLength(6);
}), 180_000);
