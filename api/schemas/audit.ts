// An audit event as the API gives it out, in the audit export and in a case's history: a stored row of
// the hash chain (db/audit.ts) with its actor as one object.
import { z } from 'zod';
import type { AuditRow } from '../../db/audit';

export const auditEventSchema = z.object({
  seq: z.number().int().describe('Position in the hash chain'),
  caseId: z.string(),
  caseSeq: z.number().int().describe("The step's number within its case"),
  at: z.string().describe('ISO 8601 instant'),
  actor: z.object({ id: z.string(), name: z.string(), roles: z.array(z.string()), org: z.string().nullable() }),
  action: z.string(),
  stageBefore: z.string().nullable(),
  stageAfter: z.string(),
  input: z.unknown(),
  outcome: z.unknown(),
  motivation: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
}).meta({ id: 'AuditEvent' });

export type AuditEvent = z.infer<typeof auditEventSchema>;

export const toAuditEvent = (r: AuditRow): AuditEvent => ({
  seq: r.seq, caseId: r.caseId, caseSeq: r.caseSeq, at: r.at,
  actor: { id: r.actorId, name: r.actorName, roles: r.actorRoles, org: r.actorOrg },
  action: r.action, stageBefore: r.stageBefore, stageAfter: r.stageAfter, input: r.input, outcome: r.outcome,
  motivation: r.motivation, prevHash: r.prevHash, hash: r.hash,
});
