// A trivial workflow with an update that answers at once: the benchmark's ceilings for starting a case
// (update-with-start) and for a step on a cached case (an update), driven through the same API, client and worker.
import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

export const ECHO_WORKFLOW = 'echo';
export const echoUpdate = defineUpdate<string, [string]>('echo');

/** Answers every update with its argument; stays open a day, as a case stays open between its steps. */
export async function echo(): Promise<void> {
  setHandler(echoUpdate, (text) => text);
  await condition(() => false, '1 day');
}
