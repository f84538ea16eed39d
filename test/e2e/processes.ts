// A part of the system run as a child process the way a user runs it (`tsx worker.ts`, `tsx scripts/start.ts`,
// or from the build: `node dist/worker.js`), so a test can kill it with SIGKILL and start it again. tsx runs the
// script in a grandchild, so the child gets its own process group and a kill reaches the whole group.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;
const OUTPUT_LINES = 60;

export class AppProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly lines: string[] = [];

  /** script: TypeScript (run by tsx) or the build's JavaScript (run by node); ready: the line it prints once it serves. */
  constructor(readonly name: string, private readonly script: string, private readonly env: NodeJS.ProcessEnv, private readonly ready: RegExp) {}

  get running(): boolean { return this.child !== undefined; }

  /** The last lines the process wrote, for failure messages. */
  output(): string { return this.lines.join('\n'); }

  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    this.lines.push(`---- ${this.name} starting`);
    const [command, args] = this.script.endsWith('.js') ? [process.execPath, [this.script]] : [TSX, [this.script]];
    const child = spawn(command, args, { cwd: ROOT, env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // If jest dies without afterAll, the detached group must not outlive it.
    const killOnExit = () => killGroup(child, 'SIGKILL');
    process.once('exit', killOnExit);
    let sawReady: () => void = () => undefined;
    const isReady = new Promise<void>((resolve) => { sawReady = resolve; });
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.lines.push(line);
        if (this.ready.test(line)) sawReady();
      }
      this.lines.splice(0, Math.max(0, this.lines.length - OUTPUT_LINES));
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise<void>((resolve) => {
      child.once('close', (code, signal) => {
        this.lines.push(`---- ${this.name} exited (${signal ?? code})`);
        process.off('exit', killOnExit);
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      isReady.then(() => 'ready' as const),
      this.exited.then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS); }),
    ]);
    clearTimeout(timer);
    if (outcome !== 'ready') {
      await this.kill();
      throw new Error(`${this.name} ${outcome === 'exited' ? 'exited before it was ready' : `not ready after ${READY_TIMEOUT_MS / 1000} s`}:\n${this.output()}`);
    }
  }

  /** SIGKILL to the whole group: no shutdown hooks, connections cut mid-flight. */
  async kill(): Promise<void> {
    if (!this.child) return;
    killGroup(this.child, 'SIGKILL');
    await this.exited;
  }

  /** SIGTERM to tsx, which passes it on once (a second one would make scripts/start.ts exit at once). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const force = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(force);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
