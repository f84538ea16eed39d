// The service runs on a supported Node.js whatever Node.js the machine has: package.json pins the release
// (the npm package `node` brings it), and npm puts it first on PATH for every script, tests included.
import fs from 'node:fs';
import path from 'node:path';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
  engines: { node: string }; dependencies: Record<string, string>;
};

test('the tests run on the Node.js release the project pins, an LTS line its engines admit', () => {
  expect(process.versions.node).toBe(manifest.dependencies.node);
  const major = Number(process.versions.node.split('.')[0]);
  expect(major % 2).toBe(0);
  expect(major).toBeGreaterThanOrEqual(Number(/^>=(\d+)$/.exec(manifest.engines.node)?.[1]));
});
