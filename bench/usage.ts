// Where the time went during a phase: CPU per process (from /proc, in cores used on average) and the event
// loop's delay in each node process (from the probe, see probe.ts). This is what names a bottleneck.
import fs from 'node:fs';
import os from 'node:os';
import { cpuSeconds, sleep } from './children';
import type { Part } from './stack';

export interface PartUsage {
  name: string;
  /** Average cores used: 1.0 is one core busy all the time. */
  cores: number;
  /** Event-loop delay over the phase, ms (node processes only). */
  loopP99?: number;
  loopMax?: number;
}

export interface PhaseUsage {
  phase: string;
  seconds: number;
  parts: PartUsage[];
  /** The machine's one-minute load average at the end: above 2 means others (not only us) wanted the two cores. */
  load: number;
}

interface ProbeLine { pid: number; at: number; p50: number; p99: number; max: number }

function signalProbes(parts: Part[]): number {
  const at = Date.now();
  for (const p of parts) if (p.node) { try { process.kill(p.pid, 'SIGUSR2'); } catch { /* gone */ } }
  return at;
}

async function probeLines(file: string, parts: Part[], since: number): Promise<Map<number, ProbeLine>> {
  const wanted = parts.filter((p) => p.node).map((p) => p.pid);
  const found = new Map<number, ProbeLine>();
  // A loaded machine may take a while to run the signal handler.
  for (let i = 0; i < 60 && found.size < wanted.length; i++) {
    await sleep(50);
    let text = '';
    try { text = fs.readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.trim().split('\n')) {
      if (!line) continue;
      const l = JSON.parse(line) as ProbeLine;
      if (wanted.includes(l.pid) && l.at >= since) found.set(l.pid, l);
    }
  }
  return found;
}

/** Runs fn as a named phase and accounts the CPU and loop delay of parts (and of the benchmark itself) to it. */
export async function phase<T>(name: string, parts: Part[], probeFile: string, usages: PhaseUsage[], fn: () => Promise<T>): Promise<T> {
  signalProbes(parts);
  const cpu0 = parts.map((p) => cpuSeconds(p.pid));
  const self0 = process.cpuUsage();
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    const seconds = (Date.now() - t0) / 1000;
    const self = process.cpuUsage(self0);
    const since = signalProbes(parts);
    const loops = await probeLines(probeFile, parts, since);
    usages.push({
      phase: name,
      seconds,
      load: os.loadavg()[0],
      parts: [
        ...parts.map((p, i) => {
          const loop = loops.get(p.pid);
          return { name: p.name, cores: (cpuSeconds(p.pid) - cpu0[i]) / seconds, loopP99: loop?.p99, loopMax: loop?.max };
        }),
        { name: 'benchmark process (load generator; in the lifecycle also its worker)', cores: (self.user + self.system) / 1e6 / seconds },
      ],
    });
  }
}
