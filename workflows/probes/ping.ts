// Trivial workflows that prove the platform wiring (worker, server, durable timers) apart from any case logic.
import { sleep } from '@temporalio/workflow';

/** Answers after 30 days of workflow time: on the time-skipping server that takes moments. */
export async function ping(name: string): Promise<string> {
  await sleep('30 days');
  return `pong ${name}`;
}

/** Answers at once, for a server that cannot skip time. */
export async function pingNow(name: string): Promise<string> {
  return `pong ${name}`;
}
