// `npm run verify-export -- FILE [--public-key KEY]...`: verifies an audit export (JSON, NDJSON or CSV from
// GET /audit/events) with no database: every row's hash, the links between rows, each checkpoint's Ed25519
// signature against the published public key (a PEM file, or the JSON of GET /audit/public-key; give earlier
// keys too after a key change), that the rows still match the checkpoints, and that the export reaches the
// last one. Prints what it checked; names the first row that does not match and exits 1 when one does not.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { readExport, verifyExport } from '../platform/auditExport';

const USAGE = 'usage: npm run verify-export -- FILE [--public-key KEY_FILE]...';

function main(): number {
  const { values, positionals } = parseArgs({ options: { 'public-key': { type: 'string', multiple: true } }, allowPositionals: true });
  if (positionals.length !== 1) throw new Error(USAGE);
  const parsed = readExport(fs.readFileSync(positionals[0], 'utf8'));
  const keys = (values['public-key'] ?? []).map((file) => fs.readFileSync(file, 'utf8'));
  const verdict = verifyExport(parsed, keys);
  console.log(`${positionals[0]} (${parsed.format}): ${verdict.message}`);
  return verdict.ok ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
}
