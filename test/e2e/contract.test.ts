// The API document tells the truth: schemathesis (pinned, installed by `npm run tools`) generates requests from
// /openapi.json and sends them to the running system (API, worker and the Temporal dev server; PostgreSQL or
// PGlite), as an officer and as an applicant, and checks every answer against the document: statuses, content
// types, headers and bodies declared; valid input accepted, invalid refused; methods not declared refused; and
// in the stateful phase the links from a new case to its actions. A bounded number of examples with a fixed
// seed; SCHEMATHESIS_SEED explores others.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { resolveSchemathesis } from '../../tooling/binaries';
import type { Who } from './client';
import { startSystem, type System } from './system';

const SEED = process.env.SCHEMATHESIS_SEED ?? '20261128';
const EXAMPLES = '8';

let system: System;
beforeAll(async () => { system = await startSystem('contract'); }, 180_000);
afterAll(async () => { await system?.close(); }, 180_000);

function schemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(resolveSchemathesis(), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

test.each<Who>(['officer', 'applicant'])('every answer to the %s is one the document declares', async (who) => {
  const base = system.api.baseUrl.replace(/\/api\/v1$/, '');
  const { code, output } = await schemathesis([
    '--config-file', path.join(__dirname, 'schemathesis.toml'), 'run', `${base}/openapi.json`, '--url', system.api.baseUrl,
    '--header', `Authorization: Bearer ${await system.api.token(who)}`,
    '--checks', 'all', '--max-examples', EXAMPLES, '--seed', SEED,
    // One worker: schemathesis compiles its generators with Python's compile(), which CPython 3.11 can break
    // ("AST constructor recursion depth mismatch") when two threads do it at once.
    '--generation-database', 'none', '--workers', '1', '--no-color', '--request-timeout', '30',
    // Text PostgreSQL cannot store (NUL, an unpaired surrogate) is refused with a 400 naming the field; it is
    // not what the document is about, so it is not generated.
    '--generation-allow-x00', 'false', '--generation-codec', 'utf-8',
    // The bodies of an application and a report are large, with patterns: most random drafts miss, which is fine.
    '--suppress-health-check', 'filter_too_much',
  ]);
  if (code !== 0) throw new Error(`schemathesis found disagreements (seed ${SEED}, exit ${code}):\n${output.slice(-20_000)}`);
}, 900_000);
