// A case's history: the audit trail (kept as long as the city keeps records), or, while the engine still
// retains it, the workflow engine's own event history rendered readable: each event named, and its payloads
// decrypted with the service's keys (the engine itself holds only ciphertext, platform/payloadCodec.ts).
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { applicantTimeline, caseHistory } from '../../db/readModel';
import { withCallDeadline } from '../../platform/temporal';
import type { AppDeps } from '../services';
import { seesAllCases } from '../auth';
import { loadCase } from '../caseAccess';
import { defineOperation, type Operation } from '../operation';
import { HttpProblem } from '../problems';
import { auditEventSchema, toAuditEvent } from '../schemas/audit';
import { caseIdParam } from '../schemas/cases';

const engineEventSchema = z.object({
  eventId: z.number().int(),
  time: z.string().describe('ISO 8601 instant'),
  type: z.string().describe('Event type, e.g. WorkflowExecutionUpdateAccepted, ActivityTaskScheduled'),
  name: z.string().optional().describe('The update, activity (also the marker of a local one), signal, timer or patch the event is about'),
  payloads: z.array(z.unknown()).optional().describe("The event's payloads (inputs, results, update arguments, marker data), decrypted"),
}).meta({ id: 'EngineEvent' });

const timelineEntrySchema = z.object({
  seq: z.number().int().describe("The step's number within the case"),
  at: z.string().describe('ISO 8601 instant'),
  status: z.object({ code: z.string(), text: z.object({ sv: z.string(), en: z.string() }) }).nullable()
    .describe('The status the applicant saw after the step; null for steps recorded before the timeline was kept'),
  action: z.string().nullable().describe("The step, when the applicant's organisation took it"),
}).meta({ id: 'TimelineEntry' });

const historySchema = z.discriminatedUnion('source', [
  z.object({ caseId: z.string(), source: z.literal('audit'), items: z.array(auditEventSchema) }),
  z.object({ caseId: z.string(), source: z.literal('engine'), items: z.array(engineEventSchema) }),
  z.object({ caseId: z.string(), source: z.literal('timeline'), items: z.array(timelineEntrySchema) }),
]).meta({ id: 'CaseHistory' });

type EngineEvent = z.infer<typeof engineEventSchema>;
/** The attributes of the event kinds that name something. */
interface Attributes {
  activityType?: { name?: string | null } | null;
  workflowType?: { name?: string | null } | null;
  acceptedRequest?: { input?: { name?: string | null } | null; meta?: { updateId?: string | null } | null } | null;
  request?: { input?: { name?: string | null } | null } | null;
  signalName?: string | null;
  /** Local activities and patches leave markers; their JSON data names them. */
  markerName?: string | null;
  details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null;
  timerId?: string | null;
  /** Completions point back at what they complete. */
  scheduledEventId?: unknown;
  startedEventId?: unknown;
  acceptedEventId?: unknown;
  /** An update's completion names its update by id. */
  meta?: { updateId?: string | null } | null;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** `workflowExecutionUpdateAcceptedEventAttributes` → `WorkflowExecutionUpdateAccepted`. */
const ATTRIBUTES = /^(\w+)EventAttributes$/;

/** A local activity marker names its activity type; a patch marker its patch id. */
function markerName(attrs: Attributes | undefined): string | undefined {
  const data = (key: string): Record<string, unknown> => {
    const bytes = attrs?.details?.[key]?.payloads?.[0]?.data;
    try {
      return bytes ? JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown> : {};
    } catch {
      return {};
    }
  };
  if (attrs?.markerName === 'core_local_activity') return String(data('data').activity_type ?? '') || undefined;
  if (attrs?.markerName === 'core_patch') return `patch ${String(data('patch-data').id ?? '')}`;
  return undefined;
}

interface WirePayload { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }

const isPayload = (v: unknown): v is WirePayload => v !== null && typeof v === 'object' && 'data' in v && 'metadata' in v
  && ((v as WirePayload).data === null || (v as WirePayload).data instanceof Uint8Array);

/**
 * Decrypts every payload of an event in place (lists of payloads and single ones, e.g. header fields) and
 * returns them as JSON values, in the order met.
 */
async function decodePayloads(node: unknown, codecs: PayloadCodec[], found: unknown[] = []): Promise<unknown[]> {
  if (node === null || typeof node !== 'object') return found;
  const fields = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    const list = Array.isArray(value) && value.length > 0 && value.every(isPayload) ? value : isPayload(value) ? [value] : undefined;
    if (list) {
      let decoded = list as Payload[];
      for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
      fields[key] = Array.isArray(value) ? decoded : decoded[0];
      for (const p of decoded) {
        try {
          found.push(defaultPayloadConverter.fromPayload(p));
        } catch {
          found.push(null);
        }
      }
    } else if (typeof value === 'object') {
      await decodePayloads(value, codecs, found);
    }
  }
  return found;
}

/** Names events by what they are about; completions name what they complete through the event they point back at. */
async function renderEngineHistory(events: HistoryEvent[], codecs: PayloadCodec[]): Promise<EngineEvent[]> {
  const names = new Map<string, string>();
  const rendered: EngineEvent[] = [];
  for (const e of events) {
    const payloads = await decodePayloads(e, codecs);
    rendered.push({ ...describeEvent(e, names), ...(payloads.length > 0 ? { payloads } : {}) });
  }
  return rendered;
}

function describeEvent(e: HistoryEvent, names: Map<string, string>): EngineEvent {
  const [key, attrs] = (Object.entries(e).find(([k, v]) => ATTRIBUTES.test(k) && v) ?? ['', undefined]) as [string, Attributes | undefined];
  const type = key.replace(ATTRIBUTES, '$1');
  const eventId = String(e.eventId);
  // Unset ids decode as 0 (the protobuf default), so the pointer is the first one that is set.
  const pointer = [attrs?.scheduledEventId, attrs?.acceptedEventId, attrs?.startedEventId].map(String).find((id) => /^[1-9]\d*$/.test(id));
  const name = attrs?.activityType?.name ?? attrs?.acceptedRequest?.input?.name ?? attrs?.request?.input?.name
    ?? attrs?.signalName ?? attrs?.workflowType?.name ?? (attrs?.timerId ? `timer ${attrs.timerId}` : undefined) ?? markerName(attrs)
    ?? (pointer ? names.get(pointer) : undefined) ?? (attrs?.meta?.updateId ? names.get(attrs.meta.updateId) : undefined);
  if (name) names.set(eventId, name);
  if (name && attrs?.acceptedRequest?.meta?.updateId) names.set(attrs.acceptedRequest.meta.updateId, name);
  return {
    eventId: Number(eventId),
    time: e.eventTime ? new Date(Number(e.eventTime.seconds ?? 0) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6)).toISOString() : '',
    type: type.charAt(0).toUpperCase() + type.slice(1),
    ...(name ? { name } : {}),
  };
}

export function historyOperations({ db, temporal, config }: AppDeps): Operation[] {
  return [
    defineOperation({
      id: 'caseHistory', method: 'get', path: '/cases/{id}/history', tag: 'Audit', access: ['officer', 'auditor', 'council', 'applicant'],
      summary: "The case's history, oldest first",
      description: 'source=audit (default): the audit trail, complete also for closed cases. source=engine: the workflow engine\'s own '
        + 'event history while the engine retains it (404 after the retention period). Applicants get their own organisation\'s case as '
        + 'they saw it instead (source=timeline): the steps that changed their status, with that status, and the steps they took, without '
        + 'officials or internal assessments; source=engine is not for them.',
      params: z.strictObject({ id: caseIdParam }),
      query: z.strictObject({ source: z.enum(['audit', 'engine']).default('audit') }),
      success: { status: 200, description: 'The history', schema: historySchema },
      problems: ['forbidden', 'not-found', 'engine-unavailable'],
      handler: async ({ actor, params, query }) => {
        await loadCase(db, params.id, actor);
        if (!seesAllCases(actor)) {
          if (query.source === 'engine') throw new HttpProblem('forbidden', "The engine's history is for officers, auditors and the council");
          return { caseId: params.id, source: 'timeline', items: await applicantTimeline(db, params.id) };
        }
        if (query.source === 'audit') {
          return { caseId: params.id, source: 'audit', items: (await caseHistory(db, params.id)).map(toAuditEvent) };
        }
        try {
          const history = await withCallDeadline(temporal, config, () => temporal.workflow.getHandle(params.id).fetchHistory());
          const codecs = temporal.options.loadedDataConverter.payloadCodecs;
          return { caseId: params.id, source: 'engine', items: await renderEngineHistory(history.events ?? [], codecs) };
        } catch (err) {
          // gRPC NOT_FOUND: the engine has deleted the closed history; the audit trail still has it.
          if ((err as { code?: number }).code === 5) throw new HttpProblem('not-found', `The workflow engine no longer retains the history of ${params.id}; use source=audit`);
          throw err;
        }
      },
    }),
  ];
}
