// Liveness, readiness and the OpenAPI document: open to anyone, mounted both under the base path and at the root.
import { z } from 'zod';
import { pingDatabase } from '../../db/client';
import type { AppDeps } from '../app';
import { defineOperation, type Operation } from '../operation';
import { HttpProblem } from '../problems';

const CHECK_TIMEOUT_MS = 3_000;

const checkSchema = z.object({ name: z.enum(['database', 'temporal', 'mail']), up: z.boolean() });

/** Up when the probe answers (and says true) within the timeout. */
async function probe(fn: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS); });
  try {
    return await Promise.race([fn().then((v) => v !== false, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function metaOperations({ db, temporal, mailer }: AppDeps, document: () => Record<string, unknown>): Operation[] {
  return [
    defineOperation({
      id: 'liveness', method: 'get', path: '/healthz', tag: 'Operations', access: 'anyone',
      summary: 'Liveness: the process answers',
      success: { status: 200, description: 'Alive', schema: z.object({ status: z.literal('ok') }) },
      handler: async () => ({ status: 'ok' }),
    }),
    defineOperation({
      id: 'readiness', method: 'get', path: '/readyz', tag: 'Operations', access: 'anyone',
      summary: 'Readiness: the database, the workflow engine and mail are reachable',
      description: 'A 503 problem lists the same checks, with the ones down.',
      success: { status: 200, description: 'Everything is up', schema: z.object({ checks: z.array(checkSchema) }) },
      problems: ['unavailable'],
      handler: async () => {
        const [database, engine, mail] = await Promise.all([
          probe(() => pingDatabase(db)),
          // The deadline also ends the client's own retries, so nothing is left running after the answer.
          probe(() => temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({}))),
          probe(() => mailer.verify()),
        ]);
        const checks = [{ name: 'database', up: database }, { name: 'temporal', up: engine }, { name: 'mail', up: mail }];
        const down = checks.filter((c) => !c.up).map((c) => c.name);
        if (down.length > 0) throw new HttpProblem('unavailable', `Not reachable: ${down.join(', ')}`, { checks });
        return { checks };
      },
    }),
    defineOperation({
      id: 'openApiDocument', method: 'get', path: '/openapi.json', tag: 'Operations', access: 'anyone',
      summary: 'This OpenAPI 3.1 document',
      success: { status: 200, description: 'The document', schema: z.record(z.string(), z.unknown()) },
      handler: async () => document(),
    }),
  ];
}
