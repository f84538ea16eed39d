// Preloaded into every process the benchmark starts (node --import): measures the event loop's delay.
// On SIGUSR2 it appends the delay since the previous signal to BENCH_PROBE_FILE, as one JSON line, and
// starts over; the benchmark signals at the start and end of each phase. Plain JavaScript, because the
// worker's threads inherit the preload before any TypeScript loader is in place.
import fs from 'node:fs';
import process from 'node:process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_PROBE_FILE;
if (file && isMainThread) {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  process.on('SIGUSR2', () => {
    const line = { pid: process.pid, at: Date.now(), p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
    delay.reset();
  });
}
