// The audit trail for auditors: search and export across cases (streamed a batch at a time with backpressure,
// so an export of years costs no more memory than one of a day), signed checkpoints of the chain and the key
// that verifies them, and verification. An export carries its checkpoints and verifies offline with
// `npm run verify-export` (platform/auditExport.ts describes the file).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { z } from 'zod';
import { auditHead, listCheckpoints, signCheckpoint, verifyAuditChain } from '../../db/audit';
import { searchAuditEvents, type AuditFilter } from '../../db/readModel';
import type { Db } from '../../db/client';
import { csvCheckpoint, csvEvent, csvStringifier, csvSummary, CSV_COLUMNS, type ExportSummary } from '../../platform/auditExport';
import type { Services } from '../app';
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
  complete: z.boolean().describe('No filter: the whole chain up to head, so links and rows removed from the end can be checked'),
  filter: z.record(z.string(), z.string()),
  publicKeys: z.array(publicKeySchema),
}).meta({ id: 'AuditExportSummary' });

const verificationSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int().describe('Rows examined: all when ok, else up to the first broken one'),
  firstBrokenSeq: z.number().int().nullable().describe('The first row that does not match'),
  reason: z.enum(['row-hash', 'link', 'checkpoint-mismatch', 'rows-missing-at-end', 'checkpoint-signature']).nullable()
    .describe('row-hash: a row was changed; link: a row was changed, removed or reordered; checkpoint-mismatch: rows under a signed checkpoint were rewritten; '
      + 'rows-missing-at-end: a signed checkpoint lies beyond the last row; checkpoint-signature: a checkpoint does not verify'),
  checkpoints: z.number().int().describe('Signed checkpoints the chain still matches'),
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

/** A JSON or NDJSON export as text chunks, in the order the file holds them. */
async function* textExport(events: AsyncIterable<z.infer<typeof auditEventSchema>>, summary: Omit<ExportSummary, 'events'>,
  checkpoints: z.infer<typeof checkpointSchema>[], json: boolean) {
  let count = 0;
  if (json) yield '{"items":[';
  for await (const e of events) {
    yield json ? `${count === 0 ? '' : ','}${JSON.stringify(e)}` : `${JSON.stringify(e)}\n`;
    count += 1;
  }
  const done = { ...summary, events: count };
  if (json) {
    yield `],"checkpoints":${JSON.stringify(checkpoints)},"export":${JSON.stringify(done)}}\n`;
  } else {
    for (const c of checkpoints) yield `${JSON.stringify({ checkpoint: c })}\n`;
    yield `${JSON.stringify({ export: done })}\n`;
  }
}

async function* csvExport(events: AsyncIterable<z.infer<typeof auditEventSchema>>, summary: Omit<ExportSummary, 'events'>,
  checkpoints: z.infer<typeof checkpointSchema>[]) {
  let count = 0;
  for await (const e of events) {
    yield csvEvent(e);
    count += 1;
  }
  for (const c of checkpoints) yield csvCheckpoint(c);
  yield csvSummary({ ...summary, events: count });
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

export function auditOperations({ db, signer }: Services): Operation[] {
  return [
    defineOperation({
      id: 'exportAuditEvents', method: 'get', path: '/audit/events', tag: 'Audit', access: ['auditor'],
      summary: 'Audit events across cases and reference data, in time order, with the checkpoints that sign them; JSON, NDJSON or CSV',
      description: 'Events up to the chain\'s head when the export began, then the signed checkpoints up to that head, then a summary. '
        + 'Verify a saved export offline with `npm run verify-export -- FILE --public-key KEY` (GET /audit/public-key).',
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
          exportedAt: new Date().toISOString(), head, complete: Object.keys(given).length === 0, filter: given, publicKeys: [signer.publicKey],
        };
        const signed = checkpoints.filter((c) => c.seq <= head);
        const events = exportedEvents(db, { ...filter, upToSeq: head });
        // attachment() guesses a type from the file name; the format's own type is set after it.
        if (query.format !== 'json') res.attachment(`audit-events.${query.format}`);
        res.status(200);
        if (query.format === 'csv') {
          res.type('text/csv; charset=utf-8');
          await send(res, Readable.from(csvExport(events, summary, signed)), csvStringifier());
        } else {
          res.type(query.format === 'json' ? 'application/json' : 'application/x-ndjson');
          await send(res, Readable.from(textExport(events, summary, signed, query.format === 'json')));
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
      problems: ['not-found'],
      handler: async () => {
        const checkpoint = await signCheckpoint(db, signer);
        if (!checkpoint) throw new HttpProblem('not-found', 'The audit trail is empty: there is nothing to sign yet');
        return checkpoint;
      },
    }),
    defineOperation({
      id: 'auditPublicKey', method: 'get', path: '/audit/public-key', tag: 'Audit', access: 'anyone',
      summary: "The public key that verifies the audit chain's checkpoints",
      query: noParameters,
      success: { status: 200, description: 'Ed25519, SPKI PEM', schema: publicKeySchema },
      handler: async () => signer.publicKey,
    }),
    defineOperation({
      id: 'verifyAuditTrail', method: 'get', path: '/audit/verify', tag: 'Audit', access: ['auditor'],
      summary: "Recomputes the audit trail's hash chain and checks it against the signed checkpoints",
      success: {
        status: 200, description: 'ok is false when a row was changed, removed or reordered, or rows were removed from the end; firstBrokenSeq names the first row that does not match',
        schema: verificationSchema,
      },
      handler: () => verifyAuditChain(db, { publicKeys: [signer.publicKey.publicKey] }),
    }),
  ];
}
