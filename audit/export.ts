// The audit export as a file: its records in JSON, NDJSON and CSV, written by GET /audit/events and read back
// by `npm run verify-export`, which checks it with no database (audit/chain.ts).
//
// Every format holds, in this order: the events (rows of the chain), the checkpoints signed up to the
// export's head, and a closing summary (when, up to which row, how many events and a digest of their hashes,
// the filter, the public keys), signed with the audit key. A file cut short lacks the summary and is refused
// as incomplete; one with events removed (and the summary edited to agree) no longer matches the signature.
// Verification trusts only a key the verifier brings (a public key file, or the fingerprint of a key the
// export carries): a key taken from the file itself would vouch for a forger's file as well.
// - JSON: { "items": [event...], "checkpoints": [checkpoint...], "export": summary }
// - NDJSON: one event per line, then one { "checkpoint": ... } line each, then { "export": ... }
// - CSV: a `record` column (event, checkpoint, export) before the event's columns, then keyId and signature.
//   input and outcome are JSON; an empty text field is null (texts the API accepts are never empty); a
//   checkpoint row fills seq, at, hash, keyId and signature; the export row has its summary as JSON in input.
//   Fields are neutralised against spreadsheet formulas: a text starting with = + - @ (or a tab or CR) gets
//   a leading apostrophe, and so does one already starting with an apostrophe, so that exactly one leading
//   apostrophe is removed when read back.
import { createHash, createPublicKey } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { stringify, type Stringifier } from 'csv-stringify';
import {
  ChainCheck, fingerprintOf, keyIdOf, publicKeysFrom, recordSignatureValid, type AuditContent, type ChainVerdict, type Checkpoint, type PublicKeyInfo,
  type RecordSignature,
} from './chain';

/** An event as exported (and as the API's AuditEvent gives it out). */
export interface ExportedEvent {
  seq: number;
  caseId: string | null;
  caseSeq: number | null;
  subject: string | null;
  at: string;
  actor: { id: string; name: string; roles: string[]; org: string | null };
  action: string;
  stageBefore: string | null;
  stageAfter: string | null;
  input: unknown;
  outcome: unknown;
  motivation: string | null;
  prevHash: string;
  hash: string;
}

export interface UnsignedSummary {
  exportedAt: string;
  /** The chain's last row when the export began: events and checkpoints beyond it are not in the file. */
  head: number;
  events: number;
  /** sha256 over the events' hashes in file order (eventsDigest): which rows the file holds. */
  digest: string;
  /** No filter: the file holds the whole chain up to head, so links and removals from the end can be checked. */
  complete: boolean;
  filter: Record<string, string>;
  /** The keys the service publishes: the signing key's first. */
  publicKeys: PublicKeyInfo[];
}

/** The summary and its signature (over the canonical JSON of the rest). */
export type ExportSummary = UnsignedSummary & RecordSignature;

/** The digest of an export's events, fed one hash at a time as they are written. */
export function eventsDigest(): { add(hash: string): void; hex(): string } {
  const sha = createHash('sha256');
  return { add: (hash) => { sha.update(`${hash}\n`); }, hex: () => sha.digest('hex') };
}

export const CSV_COLUMNS = [
  'record', 'seq', 'caseId', 'caseSeq', 'subject', 'at', 'actorId', 'actorName', 'actorRoles', 'actorOrg', 'action', 'stageBefore',
  'stageAfter', 'motivation', 'input', 'outcome', 'prevHash', 'hash', 'keyId', 'signature',
] as const;

type CsvRow = (string | number | null)[];

export const csvEvent = (e: ExportedEvent): CsvRow => [
  'event', e.seq, e.caseId, e.caseSeq, e.subject, e.at, e.actor.id, e.actor.name, e.actor.roles.join(' '), e.actor.org, e.action,
  e.stageBefore, e.stageAfter, e.motivation, JSON.stringify(e.input ?? null), JSON.stringify(e.outcome ?? null), e.prevHash, e.hash, null, null,
];

export const csvCheckpoint = (c: Checkpoint): CsvRow => {
  const row: CsvRow = CSV_COLUMNS.map(() => null);
  Object.assign(row, { 0: 'checkpoint', 1: c.seq, 5: c.at, 17: c.hash, 18: c.keyId, 19: c.signature });
  return row;
};

export const csvSummary = (s: ExportSummary): CsvRow => {
  const row: CsvRow = CSV_COLUMNS.map(() => null);
  Object.assign(row, { 0: 'export', 1: s.head, 5: s.exportedAt, 14: JSON.stringify(s) });
  return row;
};

/** csv-stringify with a header, CRLF, and formulas neutralised reversibly (see the top of this file). */
export function csvStringifier(): Stringifier {
  return stringify({
    header: true,
    columns: [...CSV_COLUMNS],
    record_delimiter: 'windows',
    escape_formulas: true,
    cast: { string: (value) => (value.startsWith("'") ? `'${value}` : value) },
  });
}

// ---- reading ---------------------------------------------------------------------------------------

export interface ParsedExport {
  format: 'json' | 'ndjson' | 'csv';
  events: ExportedEvent[];
  checkpoints: Checkpoint[];
  summary: ExportSummary | null;
}

const unformula = (v: string): string => (v.startsWith("'") ? v.slice(1) : v);

function fromCsv(text: string): ParsedExport {
  const rows = parse(text, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
  const out: ParsedExport = { format: 'csv', events: [], checkpoints: [], summary: null };
  for (const raw of rows) {
    const r = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, unformula(v)]));
    const nullable = (v: string) => (v === '' ? null : v);
    if (r.record === 'event') {
      out.events.push({
        seq: Number(r.seq), caseId: nullable(r.caseId), caseSeq: r.caseSeq === '' ? null : Number(r.caseSeq), subject: nullable(r.subject),
        at: r.at, actor: { id: r.actorId, name: r.actorName, roles: r.actorRoles.split(' '), org: nullable(r.actorOrg) },
        action: r.action, stageBefore: nullable(r.stageBefore), stageAfter: nullable(r.stageAfter), motivation: nullable(r.motivation),
        input: JSON.parse(r.input) as unknown, outcome: JSON.parse(r.outcome) as unknown, prevHash: r.prevHash, hash: r.hash,
      });
    } else if (r.record === 'checkpoint') {
      out.checkpoints.push({ seq: Number(r.seq), at: r.at, hash: r.hash, keyId: r.keyId, signature: r.signature });
    } else if (r.record === 'export') {
      out.summary = JSON.parse(r.input) as ExportSummary;
    } else {
      throw new Error(`a CSV row of an unknown record type: ${JSON.stringify(r.record)}`);
    }
  }
  return out;
}

function fromNdjson(text: string): ParsedExport {
  const out: ParsedExport = { format: 'ndjson', events: [], checkpoints: [], summary: null };
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      // A line cut short: the file ends here, without its summary.
      return { ...out, summary: null };
    }
    if ('checkpoint' in record) out.checkpoints.push(record.checkpoint as Checkpoint);
    else if ('export' in record) out.summary = record.export as ExportSummary;
    else out.events.push(record as unknown as ExportedEvent);
  }
  return out;
}

/** Reads an export in whichever of the three formats it is. */
export function readExport(text: string): ParsedExport {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith(`${CSV_COLUMNS[0]},`)) return fromCsv(text);
  if (start.startsWith('{"items":')) {
    try {
      const whole = JSON.parse(text) as { items: ExportedEvent[]; checkpoints?: Checkpoint[]; export?: ExportSummary };
      return { format: 'json', events: whole.items, checkpoints: whole.checkpoints ?? [], summary: whole.export ?? null };
    } catch {
      return { format: 'json', events: [], checkpoints: [], summary: null };
    }
  }
  return fromNdjson(text);
}

export const contentOfEvent = (e: ExportedEvent): AuditContent => ({
  caseId: e.caseId,
  caseSeq: e.caseSeq,
  ...(e.subject !== null && e.subject !== undefined ? { subject: e.subject } : {}),
  at: e.at,
  actor: { id: e.actor.id, name: e.actor.name, roles: e.actor.roles, org: e.actor.org },
  action: e.action,
  stageBefore: e.stageBefore,
  stageAfter: e.stageAfter,
  input: e.input,
  outcome: e.outcome,
  motivation: e.motivation,
});

export interface ExportVerdict extends ChainVerdict {
  /** What was checked and what was found, in words. */
  message: string;
  complete: boolean;
}

const REASONS: Record<NonNullable<ChainVerdict['reason']>, string> = {
  'row-hash': 'its hash does not match its content (the row was changed)',
  link: 'it does not follow the row before it (a row was changed, removed or reordered)',
  'checkpoint-mismatch': 'the chain no longer matches a signed checkpoint (rows up to it were rewritten); this is the first row the last matching checkpoint does not cover',
  'rows-missing-at-end': 'a signed checkpoint names this row, but the export ends before it (rows were removed from the end)',
  'checkpoint-signature': 'the checkpoint signing this row does not verify with a trusted key (forged or altered)',
};

/** What the verifier brings: public keys (PEM, or the JSON of GET /audit/public-key) and fingerprints of keys the export carries. */
export interface Trust { publicKeys: string[]; fingerprints: string[] }

/** The keys the verifier trusts: those given, and those of the export whose fingerprint was given. */
function trustedKeys(summary: ExportSummary, trust: Trust) {
  const keys = publicKeysFrom(trust.publicKeys);
  const wanted = new Set(trust.fingerprints.map((f) => f.toLowerCase()));
  for (const info of summary.publicKeys ?? []) {
    try {
      const key = createPublicKey(info.publicKey);
      if (wanted.has(fingerprintOf(key))) keys.set(keyIdOf(key), key);
    } catch {
      // Not a key: nothing to trust.
    }
  }
  return keys;
}

/**
 * Verifies an export against the keys the verifier trusts: the summary's signature (so the count and the digest
 * of the rows are the service's), that the file holds exactly those rows, each row's hash, the links (a
 * complete export), each checkpoint's signature, that the rows still match the checkpoints, and that the export
 * reaches the last one.
 */
export function verifyExport(parsed: ParsedExport, trust: Trust): ExportVerdict {
  const { summary } = parsed;
  const refused = (message: string): ExportVerdict => ({ ok: false, checked: 0, checkpoints: 0, complete: false, firstBrokenSeq: null, reason: null, message });
  if (!summary) return refused('The export has no closing summary: the file is incomplete (cut short?)');
  const keys = trustedKeys(summary, trust);
  if (keys.size === 0) {
    return refused('No trusted key: none was given, or no key in the export has a fingerprint given; a key taken from the file itself proves nothing');
  }
  const { keyId, signature, ...unsigned } = summary;
  if (!recordSignatureValid(unsigned, { keyId, signature }, keys)) {
    return refused('The summary is not signed by a trusted key: it, or the file, was not written by the service whose key was given');
  }
  if (summary.events !== parsed.events.length) return refused(`The signed summary counts ${summary.events} events, the file holds ${parsed.events.length}: rows were removed or added`);
  const digest = eventsDigest();
  for (const e of parsed.events) digest.add(e.hash);
  if (digest.hex() !== summary.digest) return refused('The file does not hold the rows the signed summary names: rows were removed, added or swapped');
  const checkpoints = [...parsed.checkpoints].sort((a, b) => a.seq - b.seq);
  const check = new ChainCheck(checkpoints, keys, summary.complete);
  for (const e of [...parsed.events].sort((a, b) => a.seq - b.seq)) {
    if (!check.add({ seq: e.seq, content: contentOfEvent(e), prevHash: e.prevHash, hash: e.hash })) break;
  }
  const verdict = check.finish();
  const scope = summary.complete
    ? `the whole chain up to row ${summary.head}`
    : `a filtered export (${Object.entries(summary.filter).map(([k, v]) => `${k}=${v}`).join(', ')}): each row's own hash and the checkpoints of rows it holds; links and removals from the chain need an unfiltered export`;
  const message = verdict.ok
    ? `OK: ${verdict.checked} rows, ${checkpoints.length} checkpoints and the signed summary verified with the trusted key; ${scope}`
    : `BROKEN at row ${verdict.firstBrokenSeq}: ${REASONS[verdict.reason as keyof typeof REASONS]}. Checked ${scope}, signatures with the trusted key`;
  return { ...verdict, complete: summary.complete, message };
}
