// `npm run verify-export -- FILE (--public-key KEY | --fingerprint SHA256)...`: verifies an audit export (JSON,
// NDJSON or CSV from GET /audit/events) with no database, against a key the auditor brings: a public key file
// (PEM, or the JSON of GET /audit/public-key, kept from a source they trust), or the fingerprint of a key the
// export carries (give each key that signed, the retired ones too, after a key change). It checks the signed
// summary (so no row was removed and the file is whole), every row's hash, the links between rows, each
// checkpoint's signature, that the rows still match the checkpoints, and that the export reaches the last one.
// Prints what it checked; names the first row that does not match and exits 1 when one does not; exits 2
// without a key to trust.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { readExport, verifyExport } from '../audit/export';

const USAGE = 'usage: npm run verify-export -- FILE (--public-key KEY_FILE | --fingerprint SHA256)...\n'
  + 'Give the key to verify against: a key taken from the export itself would vouch for a forged file as well.';

function main(): number {
  const { values, positionals } = parseArgs({
    options: { 'public-key': { type: 'string', multiple: true }, fingerprint: { type: 'string', multiple: true } },
    allowPositionals: true,
  });
  const publicKeys = (values['public-key'] ?? []).map((file) => fs.readFileSync(file, 'utf8'));
  const fingerprints = values.fingerprint ?? [];
  if (positionals.length !== 1 || publicKeys.length + fingerprints.length === 0) throw new Error(USAGE);
  const bad = fingerprints.find((f) => !/^[0-9a-fA-F]{64}$/.test(f));
  if (bad !== undefined) throw new Error(`--fingerprint ${bad}: the sha256 of the key, 64 hex digits (GET /audit/public-key gives it)\n${USAGE}`);
  const parsed = readExport(fs.readFileSync(positionals[0], 'utf8'));
  const verdict = verifyExport(parsed, { publicKeys, fingerprints });
  console.log(`${positionals[0]} (${parsed.format}): ${verdict.message}`);
  return verdict.ok ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
}
