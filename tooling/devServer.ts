// The Temporal CLI dev server as a child process, its state in a SQLite file so cases survive a restart.
// No custom search attributes: lists and searches come from the read model in PostgreSQL, which also keeps
// closed cases, and the time-skipping test server could not register them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { resolveTemporalCli } from './binaries';

export interface DevServerOptions {
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Default: `resolveTemporalCli()`. */
  cliPath?: string;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string;
  /** Settles when the server process has ended, whether stopped or crashed. */
  exited: Promise<void>;
  /** The last lines the server wrote, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited in time; resolves once it has exited. */
  stop(): Promise<void>;
}

const readyTimeoutMs = 60_000;
const stopTimeoutMs = 15_000;
const outputLines = 40;

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  fs.mkdirSync(path.dirname(path.resolve(options.dbFile)), { recursive: true, mode: 0o700 });
  const ip = '127.0.0.1';
  const args = [
    'server', 'start-dev',
    '--db-filename', options.dbFile,
    '--ip', ip,
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    '--namespace', options.namespace,
    '--log-level', 'error',
    // Every engine write is an SQLite commit: in WAL mode one fsync each instead of several, which doubled the
    // engine's start rate on this project's machine. synchronous stays FULL, so a commit survives power loss.
    '--sqlite-pragma', 'journal_mode=wal',
  ];
  // Own process group: Ctrl-C in a terminal reaches only us, so the server stops after the worker, not before.
  const child = spawn(options.cliPath ?? resolveTemporalCli(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });

  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim() !== ''));
    lines.splice(0, Math.max(0, lines.length - outputLines));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const output = () => lines.join('\n');

  let running = true;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      lines.push(error.message);
      running = false;
      resolve();
    });
    child.once('close', () => {
      running = false;
      resolve();
    });
  });
  // If this process dies without stop() (an uncaught error), the detached server must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (!running) return;
    child.kill('SIGTERM');
    const forceKill = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    await exited;
    clearTimeout(forceKill);
  };

  const address = `${ip}:${options.port}`;
  try {
    await waitUntilServing(address, options.namespace, () => running, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, namespace: options.namespace, uiUrl: `http://localhost:${options.uiPort}`, exited, output, stop };
}

async function waitUntilServing(address: string, namespace: string, running: () => boolean, output: () => string) {
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (!running()) throw new Error(`Temporal dev server exited before it was ready:\n${output()}`);
    // Lazy, so that a failed attempt is closed too instead of leaving a socket open.
    const connection = Connection.lazy({ address, connectTimeout: 1_000 });
    try {
      await connection.ensureConnected();
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`Temporal dev server not serving at ${address} after ${readyTimeoutMs / 1000} s ` +
          `(${(error as Error).message}):\n${output()}`);
      }
    } finally {
      await connection.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
