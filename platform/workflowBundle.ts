// The workflows bundle for a long-running worker, built in a worker thread: webpack and the SWC compiler
// leave ~60 MB behind in a process that bundles, and a worker process runs for months. The thread's heap
// goes with the thread; only the bundle's code comes back.
import fs from 'node:fs';
import path from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import type { WorkflowBundle, WorkflowBundleOption } from '@temporalio/worker';

/** The bundle `npm run build` writes at the top of dist/ (scripts/build.ts). */
export const PREBUILT_BUNDLE_NAME = 'workflow-bundle.js';

const WORKFLOWS = path.resolve(__dirname, '../workflows');

/**
 * Modules evaluated once for every case a worker holds, instead of once per case (the SDK gives each workflow
 * instance its own evaluation of the bundle's modules; these are frozen and shared in the one V8 context).
 * Only pure code without state of its own may be here: the rules, calendar, steps and vocabulary. Not case.ts
 * and recording.ts (they keep per-case state), nor inputs.ts (zod's schemas cache inside themselves and cannot be
 * frozen; validation.ts loads them once per worker where nothing freezes them).
 */
export const SHARED_WORKFLOW_MODULES = [
  'calendar', 'vocabulary', 'defaults', 'refusals', 'caseState', 'editions', 'reportCalendar', 'reports', 'status',
  'money', 'savings', 'delegation', 'timers', 'messages', 'steps', 'validation',
].map((m) => path.join(WORKFLOWS, m));

// Plain JavaScript (the thread has no TypeScript loader); the bundler module alone, without the SDK's native
// core, which a second thread must not load.
const BUILD = `
const { parentPort, workerData } = require('node:worker_threads');
const { bundleWorkflowCode } = require(workerData.bundler);
const { DefaultLogger } = require(workerData.logger);
bundleWorkflowCode({ workflowsPath: workerData.workflowsPath, preloadModules: workerData.preloadModules, logger: new DefaultLogger('WARN') })
  .then((bundle) => parentPort.postMessage(bundle.code));
`;

export function buildWorkflowBundle(workflowsPath: string): Promise<WorkflowBundle> {
  const thread = new Thread(BUILD, {
    eval: true,
    workerData: {
      workflowsPath,
      preloadModules: SHARED_WORKFLOW_MODULES,
      bundler: require.resolve('@temporalio/worker/lib/workflow/bundler'),
      logger: require.resolve('@temporalio/worker/lib/logger'),
    },
  });
  return new Promise((resolve, reject) => {
    thread.once('message', (code: string) => resolve({ code }));
    thread.once('error', reject);
    thread.once('exit', (exitCode) => reject(new Error(`bundling the workflows stopped (exit code ${exitCode})`)));
  });
}

/**
 * The bundle `npm run build` made, when this code runs from the build (dist/); else one built now. The build's
 * bundle was made from the same sources as the code around it, so the two cannot disagree.
 */
export async function workflowBundle(workflowsPath: string): Promise<WorkflowBundleOption> {
  const prebuilt = path.join(__dirname, '..', PREBUILT_BUNDLE_NAME);
  return fs.existsSync(prebuilt) ? { codePath: prebuilt } : buildWorkflowBundle(workflowsPath);
}
