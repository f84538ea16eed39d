// The audit trail for auditors: search and export across cases (streamed a batch at a time with backpressure,
// so an export of years costs no more memory than one of a day), signed checkpoints of the chain and the key
// that verifies them, and verification. An export carries its checkpoints and verifies offline with
// `npm run verify-export` (audit/export.ts describes the file).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { z } from 'zod';
import { auditHead, listCheckpoints, signCheckpoint, verifyAuditChain } from '../../db/audit';
import { searchAuditEvents, type AuditFilter } from '../../db/readModel';
import { permissionDenied, type Db } from '../../db/client';
import type { CheckpointSigner } from '../../audit/chain';
import {
  csvCheckpoint, csvEvent, csvStringifier, csvSummary, CSV_COLUMNS, eventsDigest, type ExportSummary, type UnsignedSummary,
} from '../../audit/export';
import type { Services } from '../services';
import { defineOperation, noParameters, type Operation } from '../operation';
import { HttpProblem } from '../problems';
import { auditEventSchema, checkpointSchema, publicKeySchema, toAuditEvent } from '../schemas/audit';

// PostgreSQL has no year 0000.
const instantOrDate = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).refine((v) => !v.startsWith('0000'), 'years start at 0001');

/** A bare date means its midnight UTC, whatever the database session's time zone. */
const instant = (value: string | undefined) => (value !== undefined && value.length === 10 ? `${value}T00:00:00Z` : value);

const exportQuery = z.strictObject({
  from: instantOrDate.optional().describe('Inclusive; an instant, or a date (midnight UTC)'),
  to: instantOrDate.optional().describe('Exclusive'),
  actor: z.string().max(200).optional().describe("The actor's id (the token's sub)"),
  action: z.string().max(100).optional(),
  caseId: z.string().max(50).optional(),
  subject: z.string().max(200).optional().describe('Rows about reference data or the system, e.g. portfolio:p1'),
  format: z.enum(['json', 'ndjson', 'csv']).default('json'),
});

const summarySchema = z.object({
  exportedAt: z.string(),
  head: z.number().int().describe("The chain's last row when the export began; nothing beyond it is in the export"),
  events: z.number().int(),
  digest: z.string().describe("sha256 (hex) over the events' hashes in file order, each followed by a newline: which rows the file holds"),
  complete: z.boolean().describe('No filter: the whole chain up to head, so links and rows removed from the end can be checked'),
  filter: z.record(z.string(), z.string()),
  publicKeys: z.array(publicKeySchema).describe('The keys the service publishes, the signing key first'),
  keyId: z.string().describe('The key that signed the summary'),
  signature: z.string().describe('Ed25519 over the canonical JSON of the summary without keyId and signature (keys sorted, no spaces), base64'),
}).meta({ id: 'AuditExportSummary', description: 'Signed: a file with rows removed, or cut short, no longer matches it' });

const verificationSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int().describe('Rows examined: all when ok, else up to the first broken one'),
  firstBrokenSeq: z.number().int().nullable().describe('The first row that does not match'),
  reason: z.enum(['row-hash', 'link', 'checkpoint-mismatch', 'rows-missing-at-end', 'checkpoint-signature']).nullable()
    .describe('row-hash: a row was changed; link: a row was changed, removed or reordered; checkpoint-mismatch: rows under a signed checkpoint were rewritten; '
      + 'rows-missing-at-end: a signed checkpoint lies beyond the last row; checkpoint-signature: a checkpoint does not verify'),
  checkpoints: z.number().int().describe('Signed checkpoints the chain still matches'),
  from: z.number().int().describe("The first row walked: the newest signed checkpoint's, or 1 with full=true"),
  signedHead: z.number().int().nullable().describe('The seq of the newest signed checkpoint kept outside the database (AUDIT_HEAD_FILE), which the chain was compared with as well; '
    + 'a checkpoint removed from the table is still compared. Null when none is kept yet'),
}).meta({ id: 'AuditVerification' });

/** The rows of an export, a database batch at a time; stops reading when the consumer is destroyed. */
async function* exportedEvents(db: Db, filter: AuditFilter) {
  let cursor: string | undefined;
  do {
    const batch = await searchAuditEvents(db, filter, { limit: 1000, cursor });
    for (const row of batch.items) yield toAuditEvent(row);
    cursor = batch.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

type Event = z.infer<typeof auditEventSchema>;
/** The summary before the rows are written; sealed (counted, digested, signed) once they are. */
type OpenSummary = Omit<UnsignedSummary, 'events' | 'digest'>;

/** The events as written, counted and digested, and the summary sealed with the service's key after the last. */
function sealing(events: AsyncIterable<Event>, summary: OpenSummary, signer: CheckpointSigner) {
  const digest = eventsDigest();
  let count = 0;
  return {
    async* events() {
      for await (const e of events) {
        digest.add(e.hash);
        count += 1;
        yield e;
      }
    },
    seal(): ExportSummary {
      const unsigned: UnsignedSummary = { ...summary, events: count, digest: digest.hex() };
      return { ...unsigned, ...signer.signRecord(unsigned) };
    },
  };
}

/** A JSON or NDJSON export as text chunks, in the order the file holds them. */
async function* textExport(sealed: ReturnType<typeof sealing>, checkpoints: z.infer<typeof checkpointSchema>[], json: boolean) {
  let first = true;
  if (json) yield '{"items":[';
  for await (const e of sealed.events()) {
    yield json ? `${first ? '' : ','}${JSON.stringify(e)}` : `${JSON.stringify(e)}\n`;
    first = false;
  }
  const done = sealed.seal();
  if (json) {
    yield `],"checkpoints":${JSON.stringify(checkpoints)},"export":${JSON.stringify(done)}}\n`;
  } else {
    for (const c of checkpoints) yield `${JSON.stringify({ checkpoint: c })}\n`;
    yield `${JSON.stringify({ export: done })}\n`;
  }
}

async function* csvExport(sealed: ReturnType<typeof sealing>, checkpoints: z.infer<typeof checkpointSchema>[]) {
  for await (const e of sealed.events()) yield csvEvent(e);
  for (const c of checkpoints) yield csvCheckpoint(c);
  yield csvSummary(sealed.seal());
}

/** A client that goes away mid-export ends the stream; that is not an error of the service. */
async function send(res: Response, source: Readable, ...through: NodeJS.ReadWriteStream[]): Promise<void> {
  try {
    await pipeline([source, ...through, res]);
  } catch (err) {
    if (res.destroyed || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }
}

export function auditOperations({ db, signerDb, signer, config }: Services): Operation[] {
  return [
    defineOperation({
      id: 'exportAuditEvents', method: 'get', path: '/audit/events', tag: 'Audit', access: ['auditor'],
      summary: 'Audit events across cases and reference data, in time order, with the checkpoints that sign them; JSON, NDJSON or CSV',
      description: 'Events up to the chain\'s head when the export began, then the signed checkpoints up to that head, then a summary. '
        + 'The summary is signed with the audit key. Verify a saved export offline with `npm run verify-export -- FILE --public-key KEY` '
        + '(GET /audit/public-key, kept from a source you trust) or `--fingerprint SHA256`.',
      query: exportQuery,
      success: {
        status: 200, description: 'Every matching event, the checkpoints and the summary',
        schema: z.object({ items: z.array(auditEventSchema), checkpoints: z.array(checkpointSchema), export: summarySchema }),
        alternatives: [
          { contentType: 'application/x-ndjson', schema: z.union([auditEventSchema, z.object({ checkpoint: checkpointSchema }), z.object({ export: summarySchema })]).describe('One record per line: events, then checkpoints, then the summary') },
          { contentType: 'text/csv', schema: z.string().describe(`Columns: ${CSV_COLUMNS.join(', ')}; record is event, checkpoint or export; input and outcome as JSON`) },
        ],
      },
      handler: async ({ query, res }) => {
        const filter = {
          from: instant(query.from), to: instant(query.to), actor: query.actor, action: query.action, caseId: query.caseId, subject: query.subject,
        };
        const given = Object.fromEntries(Object.entries({ ...query, format: undefined }).filter(([, v]) => v !== undefined)) as Record<string, string>;
        // Checkpoints first, then the head: every checkpoint then signs a row the export can hold.
        const checkpoints = await listCheckpoints(db);
        const head = await auditHead(db);
        const summary = {
          exportedAt: new Date().toISOString(), head, complete: Object.keys(given).length === 0, filter: given, publicKeys: signer.published,
        };
        const signed = checkpoints.filter((c) => c.seq <= head);
        const sealed = sealing(exportedEvents(db, { ...filter, upToSeq: head }), summary, signer);
        // attachment() guesses a type from the file name; the format's own type is set after it.
        if (query.format !== 'json') res.attachment(`audit-events.${query.format}`);
        res.status(200);
        if (query.format === 'csv') {
          res.type('text/csv; charset=utf-8');
          await send(res, Readable.from(csvExport(sealed, signed)), csvStringifier());
        } else {
          res.type(query.format === 'json' ? 'application/json' : 'application/x-ndjson');
          await send(res, Readable.from(textExport(sealed, signed, query.format === 'json')));
        }
      },
    }),
    defineOperation({
      id: 'listAuditCheckpoints', method: 'get', path: '/audit/checkpoints', tag: 'Audit', access: ['auditor'],
      summary: 'Signed checkpoints of the audit chain, oldest first',
      success: { status: 200, description: 'Every checkpoint', schema: z.object({ items: z.array(checkpointSchema) }) },
      handler: async () => ({ items: await listCheckpoints(db) }),
    }),
    defineOperation({
      id: 'signAuditCheckpoint', method: 'post', path: '/audit/checkpoints', tag: 'Audit', access: ['auditor'],
      summary: "Sign the audit chain's head now",
      description: 'Also done periodically by the worker. Keep the answer (or a later export) outside the service: it proves what the chain held at that time.',
      success: { status: 201, description: 'The new checkpoint', schema: checkpointSchema },
      problems: ['not-found', 'checkpoint-signer-unavailable'],
      handler: async () => {
        const checkpoint = await signCheckpoint(signerDb ?? db, signer, { headFile: config.audit.headFile }).catch((err: unknown) => {
          if (permissionDenied(err)) {
            throw new HttpProblem('checkpoint-signer-unavailable', "The service's database role may not write checkpoints: only the signer's role does (DATABASE_SIGNER_URL)");
          }
          throw err;
        });
        if (!checkpoint) throw new HttpProblem('not-found', 'The audit trail is empty: there is nothing to sign yet');
        return checkpoint;
      },
    }),
    defineOperation({
      id: 'auditPublicKey', method: 'get', path: '/audit/public-key', tag: 'Audit', access: 'anyone',
      summary: "The public key that verifies the audit chain's checkpoints, and the retired keys that signed before it",
      description: 'After a key change the earlier public keys stay published under retired (AUDIT_RETIRED_PUBLIC_KEY_FILES), so older checkpoints still verify.',
      query: noParameters,
      success: { status: 200, description: 'Ed25519, SPKI PEM', schema: publicKeySchema.extend({ retired: z.array(publicKeySchema) }).meta({ id: 'AuditPublicKeys' }) },
      handler: async () => ({ ...signer.publicKey, retired: signer.published.slice(1) }),
    }),
    defineOperation({
      id: 'verifyAuditTrail', method: 'get', path: '/audit/verify', tag: 'Audit', access: ['auditor'],
      summary: "Recomputes the audit trail's hash chain and checks it against the signed checkpoints",
      description: "From the newest signed checkpoint on by default: that row must still hold the signed hash and give it from its content, and "
        + 'every row after it is rehashed and linked; rows before it are vouched for by the signature (the database refuses changes to them). '
        + 'full=true walks the whole chain from its first row. Every checkpoint\'s signature is checked either way.',
      query: z.strictObject({ full: z.enum(['true', 'false']).default('false').describe('true: walk the whole chain from its first row') }),
      success: {
        status: 200, description: 'ok is false when a row was changed, removed or reordered, or rows were removed from the end; firstBrokenSeq names the first row that does not match',
        schema: verificationSchema,
      },
      handler: ({ query }) => verifyAuditChain(db, {
        publicKeys: signer.published.map((k) => k.publicKey), fromLastCheckpoint: query.full !== 'true', headFile: config.audit.headFile,
      }),
    }),
  ];
}
