// Liveness, readiness and the OpenAPI document: open to anyone, mounted both under the base path and at the root.
// Readiness tells a signed-in officer the mail queue too; a load balancer or a stranger learns only up or down.
import { z } from 'zod';
import { pingDatabase } from '../../db/client';
import { queuedEmails } from '../../db/outbox';
import type { Request } from 'express';
import type { AppDeps } from '../services';
import { hasRole, type Verifier } from '../auth';
import { defineOperation, noParameters, type Operation } from '../operation';
import { HttpProblem } from '../problems';

const CHECK_TIMEOUT_MS = 3_000;
/** Probes cost the database and the engine a round trip; a load balancer polling every second shares one. */
const CHECK_CACHE_MS = 1_500;

const checkSchema = z.object({ name: z.enum(['database', 'temporal']), up: z.boolean() });
const mailSchema = z.object({
  queued: z.number().int().describe('Emails written by steps and not yet sent (pending or being sent)'),
  oldestQueuedAt: z.string().nullable().describe('ISO 8601 instant the oldest of them was queued'),
  oldestQueuedSeconds: z.number().int().nullable().describe('How long it has waited: a long wait means mail is not going out'),
}).nullable().describe('The outbox (null when the database does not answer); mail never holds a case, so it does not decide readiness. '
  + 'Only for a caller with an officer\'s bearer token');
const readinessSchema = z.object({ checks: z.array(checkSchema), mail: mailSchema.optional() });
type Readiness = z.infer<typeof readinessSchema>;

/** Up when the probe answers within the timeout. */
async function probe<T>(fn: () => Promise<T>): Promise<{ up: true; value: T } | { up: false }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ up: false }>((resolve) => { timer = setTimeout(() => resolve({ up: false }), CHECK_TIMEOUT_MS); });
  try {
    return await Promise.race([fn().then((value) => ({ up: true as const, value }), () => ({ up: false as const })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkReadiness({ db, temporal }: Pick<AppDeps, 'db' | 'temporal'>): Promise<Readiness> {
  const [database, engine] = await Promise.all([
    probe(async () => {
      await pingDatabase(db);
      return queuedEmails(db);
    }),
    // The deadline also ends the client's own retries, so nothing is left running after the answer.
    probe(() => temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({}))),
  ]);
  const mail = database.up ? database.value : undefined;
  return {
    checks: [{ name: 'database', up: database.up }, { name: 'temporal', up: engine.up }],
    mail: mail ? {
      ...mail,
      oldestQueuedSeconds: mail.oldestQueuedAt === null ? null : Math.max(0, Math.round((Date.now() - Date.parse(mail.oldestQueuedAt)) / 1000)),
    } : null,
  };
}

/** The last readiness, shared by the requests within CHECK_CACHE_MS of it (also while it is being checked). */
function cachedReadiness(deps: Pick<AppDeps, 'db' | 'temporal'>): () => Promise<Readiness> {
  let last: { at: number; result: Promise<Readiness> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > CHECK_CACHE_MS) last = { at: Date.now(), result: checkReadiness(deps) };
    return last.result;
  };
}

/** Whether the request carries a valid officer's token; any other (or none) is simply not an officer here. */
async function askedByOfficer(req: Request, verify: Verifier): Promise<boolean> {
  const match = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  return verify(match[1]).then((actor) => hasRole(actor, 'officer'), () => false);
}

export function metaOperations(deps: AppDeps, document: () => Record<string, unknown>, verify: Verifier): Operation[] {
  const readiness = cachedReadiness(deps);
  return [
    defineOperation({
      id: 'liveness', method: 'get', path: '/healthz', tag: 'Operations', access: 'anyone',
      summary: 'Liveness: the process answers',
      query: noParameters,
      success: { status: 200, description: 'Alive', schema: z.object({ status: z.literal('ok') }) },
      handler: async () => ({ status: 'ok' }),
    }),
    defineOperation({
      id: 'readiness', method: 'get', path: '/readyz', tag: 'Operations', access: 'anyone',
      summary: 'Readiness: the database and the workflow engine answer; the mail queue is reported',
      description: 'Checked at most every 1.5 s. A 503 problem lists the same checks, with the ones down, and the mail queue; so does a '
        + 'process that is shutting down. Mail is reported (how many emails wait, since when) but does not decide readiness: steps go on '
        + 'while the mail server is away, and the queue is sent when it is back. The mail queue is told only to an officer who sends a bearer token.',
      query: noParameters,
      success: { status: 200, description: 'Ready', schema: readinessSchema },
      problems: ['unavailable'],
      handler: async ({ req }) => {
        const { checks, mail } = await readiness();
        const result = await askedByOfficer(req, verify) ? { checks, mail } : { checks };
        const down = checks.filter((c) => !c.up).map((c) => c.name);
        if (deps.lifecycle?.draining) throw new HttpProblem('unavailable', 'Shutting down', result);
        if (down.length > 0) throw new HttpProblem('unavailable', `Not reachable: ${down.join(', ')}`, result);
        return result;
      },
    }),
    defineOperation({
      id: 'openApiDocument', method: 'get', path: '/openapi.json', tag: 'Operations', access: 'anyone',
      summary: 'This OpenAPI 3.1 document',
      query: noParameters,
      success: { status: 200, description: 'The document', schema: z.record(z.string(), z.unknown()) },
      handler: async () => document(),
    }),
  ];
}
