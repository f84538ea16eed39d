// `npm run tools`: makes sure both Temporal binaries exist (installing them on first use) before jest starts
// its workers, and shows which ones are used.
import { resolveTemporalCli, resolveTestServer } from '../platform/binaries';

try {
  console.log(`Temporal CLI:         ${resolveTemporalCli()}`);
  console.log(`Temporal test server: ${resolveTestServer()}`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
