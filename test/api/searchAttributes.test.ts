// Cases carry search attributes (case number, stage, organisation, portfolio, applicant status) that the
// workflow keeps current, so the Temporal CLI and UI filter them: `temporal workflow list --query` against the
// real dev server finds a case by its stage and organisation, and follows it when the stage changes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveTemporalCli } from '../../tooling/binaries';
import { apiHarness, type ApiHarness } from './support';

const run = promisify(execFile);
let h: ApiHarness;
beforeAll(async () => { h = await apiHarness({ worker: true, realTime: true }); }, 120_000);
afterAll(() => h?.close());

/** The case numbers `temporal workflow list --query` finds, once the engine's visibility has caught up. */
async function found(query: string, expected: string[]): Promise<string[]> {
  let ids: string[] = [];
  for (let i = 0; i < 50; i++) {
    const { stdout } = await run(resolveTemporalCli(), ['workflow', 'list', '--query', query, '--output', 'jsonl', '--address', h.env.address, '--namespace', 'default']);
    ids = stdout.split('\n').filter((line) => line.trim() !== '').map((line) => (JSON.parse(line) as { execution: { workflowId: string } }).execution.workflowId).sort();
    if (JSON.stringify(ids) === JSON.stringify([...expected].sort())) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return ids;
}

test('the CLI filters cases by stage and organisation, and follows a stage change', async () => {
  const idea = { title: 'Digital skolskjuts', need: 'Papper', idea: 'En app' };
  const first = (await h.post('/api/v1/cases', 'applicant', idea)).body.id as string;
  const second = (await h.post('/api/v1/cases', 'otherApplicant', idea)).body.id as string;
  expect(await found("CaseStage = 'idea'", [first, second])).toEqual([first, second].sort());
  expect(await found("Organisation = 'stadsbyggnad'", [second])).toEqual([second]);
  expect(await found(`CaseNumber = '${first}' AND ApplicantStatus = 'received'`, [first])).toEqual([first]);

  expect((await h.post(`/api/v1/cases/${first}/actions/screen-idea`, 'officer', { outcome: 'approve' })).status).toBe(200);
  expect(await found("CaseStage = 'application'", [first])).toEqual([first]);
  expect(await found("CaseStage = 'idea'", [second])).toEqual([second]);
}, 60_000);
