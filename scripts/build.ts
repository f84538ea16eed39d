// `npm run build`: the production build in dist/ (or the folder named as the argument, inside the project so
// that node_modules resolves). TypeScript compiled to JavaScript (tsconfig.build.json), the files the code reads
// at run time beside it (email templates, page templates, migrations), and the workflows bundle built once
// here, so a worker starting from the build loads it instead of bundling (webpack) at every start.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_BUNDLE_NAME, SHARED_WORKFLOW_MODULES } from '../platform/workflowBundle';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.resolve(ROOT, process.argv[2] ?? 'dist');
const ASSETS = ['activities/templates', 'api/pages/templates', 'db/migrations'];

async function main(): Promise<void> {
  fs.rmSync(DIST, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', DIST], { stdio: 'inherit' });
  for (const dir of ASSETS) {
    fs.cpSync(path.join(ROOT, dir), path.join(DIST, dir), { recursive: true, filter: (file) => !file.endsWith('.ts') });
  }
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'workflows'), preloadModules: SHARED_WORKFLOW_MODULES });
  fs.writeFileSync(path.join(DIST, PREBUILT_BUNDLE_NAME), code);
  console.log(`built ${path.relative(ROOT, DIST)}/: npm run worker and npm run api now run the build`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
