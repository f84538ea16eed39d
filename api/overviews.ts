// Overviews read every case in their scope (the running projects, the savings register), so one answer is
// bounded: past OVERVIEW_MAX_CASES cases the caller is asked to narrow it (422), never served a part as if whole.
import type { Config } from '../config';
import { ruleProblem } from './problems';

/** Reads at most max + 1 cases through read(limit); more than max is a 422 saying how to narrow the overview. */
export async function boundedCases<T>(config: Pick<Config, 'overviewMaxCases'>, read: (limit: number) => Promise<T[]>, narrow: string): Promise<T[]> {
  const max = config.overviewMaxCases;
  const rows = await read(max + 1);
  if (rows.length > max) throw ruleProblem('overview-too-broad', `More than ${max} cases (OVERVIEW_MAX_CASES) in one answer: ${narrow}`);
  return rows;
}
