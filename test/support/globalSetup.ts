// Builds the workflows bundle once for the whole run: webpack per test file costs a minute of CPU each on two
// cores, and the files that start Temporal run side by side. The test files load the code from this file.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { SHARED_WORKFLOW_MODULES } from '../../platform/workflowBundle';
import { BUNDLE_FILE } from './bundleFile';

export default async function globalSetup(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    preloadModules: SHARED_WORKFLOW_MODULES,
    logger: new DefaultLogger('WARN'),
  });
  fs.mkdirSync(path.dirname(BUNDLE_FILE), { recursive: true });
  fs.writeFileSync(BUNDLE_FILE, code);
}
