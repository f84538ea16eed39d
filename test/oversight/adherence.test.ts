// The dashboard's adherence: its counts hold every finished project, and the cases it names stay bounded.
import { adherence, CASES_NAMED, type FinishedProject } from '../../oversight/adherence';

const project = (n: number): FinishedProject => ({
  id: `PK-2026-${String(n).padStart(4, '0')}`, portfolio: 'p1', ruleSetVersion: 1, tolerance: { costTolerance: 0.1, endDateSlip: 'P8W' },
  grantedAtDecision: 1_000_000, finalCost: 2_000_000, plannedEndAtApplication: '2026-06-30', plannedEndNow: '2026-06-30', finalReportAt: '2026-06-20T10:00:00.000Z',
});

test('over budget in every one of many projects: all counted, the latest named, as many as the dashboard shows', () => {
  const many = Array.from({ length: CASES_NAMED + 50 }, (_, i) => project(i + 1));
  const { overBudget, byPortfolio } = adherence(many);
  expect(overBudget.count).toBe(CASES_NAMED + 50);
  expect(overBudget.cases).toHaveLength(CASES_NAMED);
  expect(overBudget.cases.at(-1)).toBe(`PK-2026-${String(CASES_NAMED + 50).padStart(4, '0')}`);
  expect(byPortfolio[0].overBudget.cases).toHaveLength(CASES_NAMED);
});
