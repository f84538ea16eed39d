// Child processes of a benchmark run: started in their own process group with output to a log file, stopped
// with SIGTERM and then SIGKILL, and all of them killed, by pid, when the run ends in any way.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Child {
  name: string;
  pid: number;
  log: string;
  /** Settles with the exit code (null after a signal) once the process has ended. */
  exited: Promise<number | null>;
  running(): boolean;
  /** SIGTERM, SIGKILL to its group after graceMs; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Child>();
export const ROOT = path.resolve(__dirname, '..');

/** The production build the system runs from (`npm run build` into this folder, inside the project so node_modules resolves). */
export const BUILD_DIR = path.join(ROOT, 'bench', '.build');

/** Node arguments every child gets: the probe that measures its event loop. */
const NODE_ARGS = ['--import', path.join(__dirname, 'probe.mjs')];

/** `node <script>` of the build, as `npm run worker` runs it, without npm's wrapper process, so pid is the worker itself. */
export function startNode(name: string, script: string, env: NodeJS.ProcessEnv, logDir: string, extraNodeArgs: string[] = []): Child {
  return startProcess(name, process.execPath, [...extraNodeArgs, ...NODE_ARGS, path.join(BUILD_DIR, script)], env, logDir);
}

export function startProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Child {
  const log = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(log, 'a');
  const proc = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd], detached: true });
  fs.closeSync(fd);
  if (proc.pid === undefined) throw new Error(`${name} did not start`);
  const pid = proc.pid;
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    proc.once('error', () => { running = false; resolve(null); });
    proc.once('exit', (code) => { running = false; resolve(code); });
  });
  const child: Child = {
    name, pid, log, exited,
    running: () => running,
    async stop(graceMs = 20_000) {
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Anything it left behind in its group goes too.
      killGroup(pid, 'SIGKILL');
      live.delete(child);
    },
  };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

/** The last lines of a child's log, for error messages. */
export function tail(child: Child, lines = 30): string {
  try {
    return fs.readFileSync(child.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Pids of processes whose command line mentions marker (a run's temp dir): dev servers that other processes spawned. */
export function pidsMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch { /* ended meanwhile */ }
  }
  return pids;
}

/** Kills our children and anything still running from the run's temp dir; used on every way out. */
export function killEverything(marker: string | undefined): void {
  for (const child of live) killGroup(child.pid, 'SIGKILL');
  live.clear();
  if (!marker) return;
  for (const pid of pidsMentioning(marker)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the full line, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Marks an error that ends a wait at once instead of being retried (e.g. the process waited on has exited). */
export class FatalError extends Error {}

/** Polls check until it returns a value, at most timeoutMs; the error names what was awaited. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof FatalError) throw err;
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}
