// `npm run tools`: makes sure the Temporal binaries, the Chromium of the page tests and schemathesis exist
// (installing them on first use) before jest starts its workers, and shows which ones are used.
import { resolveSchemathesis, resolveTemporalCli, resolveTestServer } from '../tooling/binaries';
import { resolveChromium } from '../tooling/chromium';

try {
  console.log(`Temporal CLI:         ${resolveTemporalCli()}`);
  console.log(`Temporal test server: ${resolveTestServer()}`);
  console.log(`Chromium:             ${resolveChromium()}`);
  console.log(`Schemathesis:         ${resolveSchemathesis()}`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
