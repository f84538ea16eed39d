// The audit trail's proof, free of any database: what a row's hash covers, signed checkpoints of the
// chain's head, and the check that walks rows in seq order against both. The API's verification reads the
// rows from the database; `npm run verify-export` reads them from an export file; both walk them here.
//
// A row's hash covers its content and the previous row's hash, so a changed, removed or reordered row
// breaks the chain after it. Someone able to rewrite the table could recompute every hash, or remove the
// newest rows and leave a shorter chain that is whole; a checkpoint signed with a key the database never
// sees catches both: its seq must still hold its hash, and the chain must still reach it.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { canonicalJson } from '../platform/canonicalJson';

/** prevHash of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a row's hash covers: everything recorded about the step or change, in JSON-safe form. */
export interface AuditContent {
  /** A case's step: its case and number; a row about reference data or the system names its subject instead. */
  caseId: string | null;
  caseSeq: number | null;
  /** Absent on case rows, so that rows written before subjects existed keep their hashes. */
  subject?: string;
  /** ISO 8601 UTC with milliseconds, exactly as the database returns it. */
  at: string;
  actor: { id: string; name: string; roles: string[]; org: string | null };
  action: string;
  stageBefore: string | null;
  stageAfter: string | null;
  input: unknown;
  outcome: unknown;
  motivation: string | null;
}

/** sha256 (hex) over the canonical JSON of the row's content together with the previous row's hash. */
export function canonicalHash(content: AuditContent, prevHash: string): string {
  return createHash('sha256').update(canonicalJson({ ...content, prevHash })).digest('hex');
}

// ---- checkpoints ---------------------------------------------------------------------------------

export interface Checkpoint {
  /** The chain's last row when signed, and its hash. */
  seq: number;
  hash: string;
  /** When it was signed (ISO 8601 UTC with milliseconds). */
  at: string;
  keyId: string;
  /** Ed25519 over checkpointPayload, base64. */
  signature: string;
}

/** fingerprint: the sha256 of the key (SPKI DER), hex: what an auditor compares with the key they were given. */
export interface PublicKeyInfo { keyId: string; fingerprint: string; algorithm: 'Ed25519'; publicKey: string }

/** The exact bytes a checkpoint's signature covers. */
export const checkpointPayload = (c: Omit<Checkpoint, 'signature'>): Buffer =>
  Buffer.from(canonicalJson({ seq: c.seq, hash: c.hash, at: c.at, keyId: c.keyId }), 'utf8');

/** A public key's fingerprint: the sha256 of its SPKI DER, hex. */
export function fingerprintOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** A key's id: the start of its fingerprint, so any holder of the key can compute it. */
export const keyIdOf = (publicKey: KeyObject): string => fingerprintOf(publicKey).slice(0, 16);

export function publicKeyInfo(publicKey: KeyObject): PublicKeyInfo {
  return { keyId: keyIdOf(publicKey), fingerprint: fingerprintOf(publicKey), algorithm: 'Ed25519', publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** A signature over a record's canonical JSON, and the key that made it. */
export interface RecordSignature { keyId: string; signature: string }

export interface CheckpointSigner {
  keyId: string;
  publicKey: PublicKeyInfo;
  /** Every key this service publishes: the signing key's first, then the retired ones that signed before it. */
  published: PublicKeyInfo[];
  sign(head: { seq: number; hash: string; at: string }): Checkpoint;
  /** Signs a record (an export's summary): Ed25519 over its canonical JSON. */
  signRecord(record: object): RecordSignature;
}

/**
 * The signing key from a PKCS#8 PEM file. `generate`: create the file (0600, in a 0700 directory) when it is
 * missing, as the embedded default does under DATA_DIR; a configured file must exist. `retired`: PEM texts of
 * the public keys of earlier signing keys, published beside this one.
 */
export function loadCheckpointSigner(file: string, { generate, retired = [] }: { generate: boolean; retired?: string[] }): CheckpointSigner {
  if (generate && !fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      // 'wx': when two processes start together, the second reads the first one's key.
      fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(fs.readFileSync(file));
  } catch (err) {
    throw new Error(`The audit signing key ${file} cannot be read: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`The audit signing key ${file} is not an Ed25519 key`);
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  const current = publicKeyInfo(publicKey);
  return {
    keyId,
    publicKey: current,
    published: [current, ...[...publicKeysFrom(retired).values()].map(publicKeyInfo).filter((k) => k.keyId !== keyId)],
    sign(head) {
      const unsigned = { seq: head.seq, hash: head.hash, at: head.at, keyId };
      return { ...unsigned, signature: sign(null, checkpointPayload(unsigned), privateKey).toString('base64') };
    },
    signRecord(record) {
      return { keyId, signature: sign(null, Buffer.from(canonicalJson(record), 'utf8'), privateKey).toString('base64') };
    },
  };
}

/** The configured signer: AUDIT_SIGNING_KEY_FILE, or the key the embedded default keeps under DATA_DIR. */
export const configuredSigner = ({ audit }: Pick<Config, 'audit'>): CheckpointSigner => loadCheckpointSigner(audit.signingKeyFile, {
  generate: audit.generateSigningKey,
  retired: audit.retiredPublicKeyFiles.map((file) => fs.readFileSync(file, 'utf8')),
});

/** Public keys by id, from PEM texts (SPKI) or the JSON that GET /audit/public-key answers (with its retired keys). */
export function publicKeysFrom(texts: string[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  const pems = texts.flatMap((text) => {
    if (!text.trim().startsWith('{')) return [text];
    const published = JSON.parse(text) as PublicKeyInfo & { retired?: PublicKeyInfo[] };
    return [published.publicKey, ...(published.retired ?? []).map((k) => k.publicKey)];
  });
  for (const pem of pems) {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('a public key that is not Ed25519');
    keys.set(keyIdOf(key), key);
  }
  return keys;
}

/** Whether a record's signature verifies with the key it names, among those given. */
export function recordSignatureValid(record: object, { keyId, signature }: RecordSignature, keys: Map<string, KeyObject>): boolean {
  const key = keys.get(keyId);
  try {
    return key !== undefined && verify(null, Buffer.from(canonicalJson(record), 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export function checkpointSignatureValid(c: Checkpoint, keys: Map<string, KeyObject>): boolean {
  const key = keys.get(c.keyId);
  try {
    return key !== undefined && verify(null, checkpointPayload(c), key, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

// ---- the check -----------------------------------------------------------------------------------

export type ChainFailure =
  | 'row-hash' // the row's hash does not match its content
  | 'link' // the row does not follow the row before it (one was changed, removed or reordered)
  | 'checkpoint-mismatch' // a signed head no longer matches the chain: rows up to it were rewritten
  | 'rows-missing-at-end' // a signed head lies beyond the chain's last row: rows were removed from the end
  | 'checkpoint-signature'; // a checkpoint whose signature does not verify: forged or altered

export interface ChainVerdict {
  ok: boolean;
  /** Rows examined: all of them when ok, else up to and including the first broken one. */
  checked: number;
  /** The first row that does not match (for a rewrite under a checkpoint, the first row the last matching one no longer covers). */
  firstBrokenSeq: number | null;
  reason: ChainFailure | null;
  /** Checkpoints whose signatures verified and that the chain still matches. */
  checkpoints: number;
}

export interface ChainRow { seq: number; content: AuditContent; prevHash: string; hash: string }

/**
 * Walks rows in seq order. `linked`: the rows are the whole chain from its first row (links and the chain's
 * end can be checked); a filtered export is not, and only each row's own hash and the checkpoints whose rows
 * it holds are checked. Checkpoints must be ordered by seq.
 */
export class ChainCheck {
  private prevHash = GENESIS_HASH;
  private checked = 0;
  private next = 0;
  private matched = 0;
  /** The first row after the last checkpoint that matched: where a rewrite under the next one may start. */
  private firstUncovered: number | null = null;
  private failure: ChainVerdict | null = null;

  /**
   * keys: those the checkpoints' signatures must verify with; undefined leaves signatures unchecked.
   * startPrevHash: the first row's prevHash when the walk starts at a signed checkpoint's row rather than the
   * chain's first (that row is vouched for by the checkpoint, so the link into it needs no walk).
   */
  constructor(private readonly checkpoints: Checkpoint[], keys: Map<string, KeyObject> | undefined, private readonly linked: boolean, startPrevHash = GENESIS_HASH) {
    this.prevHash = startPrevHash;
    const forged = keys && checkpoints.find((c) => !checkpointSignatureValid(c, keys));
    if (forged) this.fail(forged.seq, 'checkpoint-signature');
  }

  private fail(seq: number, reason: ChainFailure): void {
    this.failure ??= { ok: false, checked: this.checked, firstBrokenSeq: seq, reason, checkpoints: this.matched };
  }

  /** False once a failure is found: there is no need to read further. */
  add(row: ChainRow): boolean {
    if (this.failure) return false;
    this.checked += 1;
    this.firstUncovered ??= row.seq;
    if (canonicalHash(row.content, row.prevHash) !== row.hash) this.fail(row.seq, 'row-hash');
    else if (this.linked && row.prevHash !== this.prevHash) this.fail(row.seq, 'link');
    this.prevHash = row.hash;
    // Checkpoints whose row this one passed: in a whole chain each must be this very row.
    while (!this.failure && this.next < this.checkpoints.length && this.checkpoints[this.next].seq <= row.seq) {
      const c = this.checkpoints[this.next];
      if (c.seq === row.seq && c.hash === row.hash) {
        this.matched += 1;
        this.firstUncovered = null;
      } else if (c.seq === row.seq || this.linked) {
        this.fail(this.firstUncovered ?? row.seq, 'checkpoint-mismatch');
      }
      this.next += 1;
    }
    return this.failure === null;
  }

  finish(): ChainVerdict {
    if (!this.failure && this.linked && this.next < this.checkpoints.length) {
      // Signed heads beyond the last row: the chain once reached further.
      this.fail(this.checkpoints[this.next].seq, 'rows-missing-at-end');
    }
    return this.failure ?? { ok: true, checked: this.checked, firstBrokenSeq: null, reason: null, checkpoints: this.matched };
  }
}
