// The audit trail for auditors: search and export across cases (streamed a batch at a time, so an export
// of years costs no more memory than one of a day), and verification of the hash chain.
import type { Response } from 'express';
import { z } from 'zod';
import { verifyAuditChain } from '../../db/audit';
import { searchAuditEvents } from '../../db/readModel';
import type { AppDeps } from '../app';
import { defineOperation, type Operation } from '../operation';
import { auditEventSchema, toAuditEvent, type AuditEvent } from '../schemas/audit';

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
  format: z.enum(['json', 'ndjson', 'csv']).default('json'),
});

const CSV_COLUMNS = ['seq', 'caseId', 'caseSeq', 'at', 'actorId', 'actorName', 'actorRoles', 'actorOrg', 'action', 'stageBefore', 'stageAfter', 'motivation', 'input', 'outcome', 'prevHash', 'hash'] as const;

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvLine = (e: AuditEvent): string => [
  e.seq, e.caseId, e.caseSeq, e.at, e.actor.id, e.actor.name, e.actor.roles.join(' '), e.actor.org, e.action,
  e.stageBefore, e.stageAfter, e.motivation, e.input, e.outcome, e.prevHash, e.hash,
].map(csvField).join(',');

const FORMATS = {
  json: { type: 'application/json', head: '{"items":[', separator: ',', tail: ']}\n', line: (e: AuditEvent) => JSON.stringify(e) },
  ndjson: { type: 'application/x-ndjson', head: '', separator: '', tail: '', line: (e: AuditEvent) => `${JSON.stringify(e)}\n` },
  csv: { type: 'text/csv; charset=utf-8', head: `${CSV_COLUMNS.join(',')}\r\n`, separator: '', tail: '', line: (e: AuditEvent) => `${csvLine(e)}\r\n` },
} as const;

/** Writes and waits for the socket to drain when the client reads slower than the database answers. */
function write(res: Response, chunk: string): Promise<void> {
  if (chunk === '' || res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    res.once('drain', resolve);
    res.once('close', () => reject(new Error('the client went away during the export')));
  });
}

export function auditOperations({ db }: AppDeps): Operation[] {
  return [
    defineOperation({
      id: 'exportAuditEvents', method: 'get', path: '/audit/events', tag: 'Audit', access: ['auditor'],
      summary: 'Audit events across cases, in time order, streamed as JSON, NDJSON or CSV',
      query: exportQuery,
      success: {
        status: 200, description: 'Every matching event',
        schema: z.object({ items: z.array(auditEventSchema) }),
        alternatives: [
          { contentType: 'application/x-ndjson', schema: auditEventSchema.describe('One event per line') },
          { contentType: 'text/csv', schema: z.string().describe(`Columns: ${CSV_COLUMNS.join(', ')}; input and outcome as JSON`) },
        ],
      },
      handler: async ({ query, res }) => {
        const format = FORMATS[query.format];
        const filter = { from: instant(query.from), to: instant(query.to), actor: query.actor, action: query.action, caseId: query.caseId };
        // attachment() guesses a type from the file name; the format's own type is set after it.
        if (query.format !== 'json') res.attachment(`audit-events.${query.format}`);
        res.status(200).type(format.type);
        await write(res, format.head);
        let cursor: string | undefined;
        let first = true;
        do {
          const batch = await searchAuditEvents(db, filter, { limit: 1000, cursor });
          for (const row of batch.items) {
            await write(res, (first ? '' : format.separator) + format.line(toAuditEvent(row)));
            first = false;
          }
          cursor = batch.nextCursor ?? undefined;
        } while (cursor !== undefined);
        res.end(format.tail);
      },
    }),
    defineOperation({
      id: 'verifyAuditTrail', method: 'get', path: '/audit/verify', tag: 'Audit', access: ['auditor'],
      summary: "Recomputes the audit trail's hash chain",
      success: {
        status: 200, description: 'ok is false when a row was changed, removed or reordered; firstBrokenSeq names the first such row',
        schema: z.object({ ok: z.boolean(), checked: z.number().int(), firstBrokenSeq: z.number().int().nullable() }).meta({ id: 'AuditVerification' }),
      },
      handler: () => verifyAuditChain(db),
    }),
  ];
}
