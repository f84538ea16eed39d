// The repository explains itself, and truly: the generated parts of docs/ match the code they describe, the
// README's file tree names every source file, and nothing points outside the repository.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { API_GUIDE, ARCHITECTURE, openApiDocument, renderApiGuide, withStageGraph } from '../scripts/docs';

const ROOT = path.join(__dirname, '..');
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);

test('docs/api.md is what the OpenAPI document and the steps table say (npm run docs rewrites it)', async () => {
  expect(fs.readFileSync(API_GUIDE, 'utf8')).toBe(renderApiGuide(await openApiDocument()));
});

test('the stage graph in docs/architecture.md is the one the steps table declares', () => {
  const architecture = fs.readFileSync(ARCHITECTURE, 'utf8');
  expect(architecture).toBe(withStageGraph(architecture));
});

test("the README's file tree names every source file of the service", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const tree = readme.slice(readme.indexOf('```', readme.indexOf('## How it is built')), readme.indexOf('```', readme.indexOf('```', readme.indexOf('## How it is built')) + 3));
  const sources = tracked.filter((f) => /^(workflows|activities|api|db|oversight|platform|audit|tooling|scripts|bench)\/[^/]+(\/[^/]+)?\.(ts|mjs)$/.test(f) || /^[^/]+\.ts$/.test(f));
  const missing = sources.filter((f) => !tree.includes(path.basename(f)));
  expect(missing).toEqual([]);
});

test('no module imports itself through others (madge): the app and its routes, the steps and the deadlines stand apart', async () => {
  const { default: madge } = await import('madge');
  const graph = await madge(['api', 'workflows', 'activities', 'db', 'platform', 'audit', 'tooling', 'oversight', 'scripts', 'worker.ts', 'config.ts'].map((p) => path.join(ROOT, p)), {
    fileExtensions: ['ts'], tsConfig: path.join(ROOT, 'tsconfig.json'), excludeRegExp: [/node_modules/],
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
  expect(graph.circular()).toEqual([]);
}, 60_000);

test('no file points outside the repository (a sibling folder, seed line numbers, issue numbers)', () => {
  const texts = tracked.filter((f) => /\.(ts|md|mjs|js|json|sql|txt|html|yml)$/.test(f) && !f.startsWith('test/workflows/histories/') && f !== 'package-lock.json');
  const pointers = texts.flatMap((f) => fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n')
    .map((line, i) => ({ at: `${f}:${i + 1}`, line }))
    .filter(({ line }) => /\.\.\/shared|\bissue #?\d+\b|\b00\d:\d{2,}/i.test(line) && !line.includes('no file points outside')));
  expect(pointers).toEqual([]);
});
