// An audit event as the API gives it out, in the audit export and in a case's history: a stored row of
// the hash chain (db/audit.ts) with its actor as one object; and the signed checkpoints of the chain.
import { z } from 'zod';
import type { AuditRow } from '../../db/audit';

export const auditEventSchema = z.object({
  seq: z.number().int().describe('Position in the hash chain'),
  caseId: z.string().nullable().describe('The case of a step; null for a row about a subject'),
  caseSeq: z.number().int().nullable().describe("The step's number within its case"),
  subject: z.string().nullable().describe('What a row without a case is about: portfolio:<id>, organisation:<id>, council-meeting:<id>, rule-set:<version>, reference-data, retention'),
  at: z.string().describe('ISO 8601 instant'),
  actor: z.object({ id: z.string(), name: z.string(), roles: z.array(z.string()), org: z.string().nullable() }),
  action: z.string(),
  stageBefore: z.string().nullable(),
  stageAfter: z.string().nullable(),
  input: z.unknown(),
  outcome: z.unknown().describe('For a change of reference data: { before, after }'),
  motivation: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
}).meta({ id: 'AuditEvent' });

export type AuditEvent = z.infer<typeof auditEventSchema>;

export const toAuditEvent = (r: AuditRow): AuditEvent => ({
  seq: r.seq, caseId: r.caseId, caseSeq: r.caseSeq, subject: r.subject, at: r.at,
  actor: { id: r.actorId, name: r.actorName, roles: r.actorRoles, org: r.actorOrg },
  action: r.action, stageBefore: r.stageBefore, stageAfter: r.stageAfter, input: r.input, outcome: r.outcome,
  motivation: r.motivation, prevHash: r.prevHash, hash: r.hash,
});

export const checkpointSchema = z.object({
  seq: z.number().int().describe("The chain's last row when signed"),
  hash: z.string().describe("That row's hash"),
  at: z.string().describe('When it was signed (ISO 8601)'),
  keyId: z.string().describe('The key that signed it (GET /audit/public-key)'),
  signature: z.string().describe('Ed25519 over the canonical JSON of { at, hash, keyId, seq } (keys sorted, no spaces), base64'),
}).meta({ id: 'AuditCheckpoint' });

export const publicKeySchema = z.object({
  keyId: z.string(),
  fingerprint: z.string().describe('sha256 (hex) of the key (SPKI DER): compare with the one you were given, or pass it to verify-export --fingerprint'),
  algorithm: z.literal('Ed25519'),
  publicKey: z.string().describe('SPKI, PEM'),
}).meta({ id: 'AuditPublicKey' });
