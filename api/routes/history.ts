// A case's history: the audit trail (kept as long as the city keeps records), or, while the engine still
// retains it, the workflow engine's own event history rendered readable (no payloads, only names).
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { z } from 'zod';
import { caseHistory } from '../../db/readModel';
import type { AppDeps } from '../app';
import { defineOperation, type Operation } from '../operation';
import { HttpProblem } from '../problems';
import { auditEventSchema, toAuditEvent } from './audit';
import { caseIdParam } from './caseSchemas';
import { loadCase } from './cases';

const engineEventSchema = z.object({
  eventId: z.number().int(),
  time: z.string().describe('ISO 8601 instant'),
  type: z.string().describe('Event type, e.g. WorkflowExecutionUpdateAccepted, ActivityTaskScheduled'),
  name: z.string().optional().describe('The update, activity, signal or timer the event is about'),
}).meta({ id: 'EngineEvent' });

const historySchema = z.discriminatedUnion('source', [
  z.object({ caseId: z.string(), source: z.literal('audit'), items: z.array(auditEventSchema) }),
  z.object({ caseId: z.string(), source: z.literal('engine'), items: z.array(engineEventSchema) }),
]).meta({ id: 'CaseHistory' });

type EngineEvent = z.infer<typeof engineEventSchema>;
/** The attributes of the event kinds that name something, in the engine's proto JSON. */
interface Attributes {
  activityType?: { name?: string };
  workflowType?: { name?: string };
  acceptedRequest?: { input?: { name?: string }; meta?: { updateId?: string } };
  request?: { input?: { name?: string } };
  signalName?: string;
  timerId?: string;
  /** Completions point back at what they complete. */
  scheduledEventId?: string;
  startedEventId?: string;
  acceptedEventId?: string;
  meta?: { updateId?: string };
}
type RawEvent = { eventId: string; eventTime: string; eventType: string } & { [attributes: string]: Attributes | string };

const pascal = (eventType: string) => eventType.replace(/^EVENT_TYPE_/, '').toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/** Names events by what they are about; completions name what they complete through the scheduling event. */
export function renderEngineHistory(events: RawEvent[]): EngineEvent[] {
  const names = new Map<string, string>();
  return events.map((e) => {
    const attrs = Object.entries(e).find(([k]) => k.endsWith('EventAttributes'))?.[1] as Attributes | undefined;
    const name = attrs?.activityType?.name
      ?? attrs?.acceptedRequest?.input?.name ?? attrs?.request?.input?.name
      ?? attrs?.signalName ?? attrs?.workflowType?.name
      ?? (attrs?.timerId !== undefined ? `timer ${attrs.timerId}` : undefined)
      ?? names.get(attrs?.scheduledEventId ?? attrs?.acceptedEventId ?? attrs?.startedEventId ?? '');
    if (name !== undefined) names.set(e.eventId, name);
    return { eventId: Number(e.eventId), time: new Date(e.eventTime).toISOString(), type: pascal(e.eventType), ...(name !== undefined ? { name } : {}) };
  });
}

export function historyOperations({ db, temporal }: AppDeps): Operation[] {
  return [
    defineOperation({
      id: 'caseHistory', method: 'get', path: '/cases/{id}/history', tag: 'Audit', access: ['officer', 'auditor', 'council', 'applicant'],
      summary: "The case's history, oldest first",
      description: 'source=audit (default): the audit trail, complete also for closed cases. source=engine: the workflow engine\'s own '
        + 'event history while the engine retains it (404 after the retention period). Applicants see their own organisation\'s cases only.',
      params: z.strictObject({ id: caseIdParam }),
      query: z.strictObject({ source: z.enum(['audit', 'engine']).default('audit') }),
      success: { status: 200, description: 'The history', schema: historySchema },
      problems: ['not-found'],
      handler: async ({ actor, params, query }) => {
        await loadCase(db, params.id, actor);
        if (query.source === 'audit') {
          return { caseId: params.id, source: 'audit', items: (await caseHistory(db, params.id)).map(toAuditEvent) };
        }
        try {
          const history = await temporal.workflow.getHandle(params.id).fetchHistory();
          const { events } = JSON.parse(historyToJSON(history)) as { events: RawEvent[] };
          return { caseId: params.id, source: 'engine', items: renderEngineHistory(events) };
        } catch (err) {
          // gRPC NOT_FOUND: the engine has deleted the closed history; the audit trail still has it.
          if ((err as { code?: number }).code === 5) throw new HttpProblem('not-found', `The workflow engine no longer retains the history of ${params.id}; use source=audit`);
          throw err;
        }
      },
    }),
  ];
}
