// One declaration per endpoint: its zod schemas validate the request and also generate the OpenAPI
// document, so the routes and their documentation cannot drift apart.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../workflows/types';
import type { Role } from '../workflows/vocabulary';
import { actorOf, authenticate, hasRole, type Verifier } from './auth';
import type { IdempotencyStore } from './idempotency';
import type { RateLimits } from './rateLimits';
import { unstorableText } from '../workflows/utf8';
import { HttpProblem, type ProblemKind } from './problems';

type AnyObject = z.ZodType<Record<string, unknown>>;

/** The groups of operations, each with what the OpenAPI document says of it. */
export const TAGS = {
  Cases: 'Idea sketches, the case list and the case view; the catalogue of what every organisation develops',
  Actions: 'Every human step of a case, one operation per action, each answered with the case after the step',
  Audit: "A case's history, the audit trail across cases, its signed checkpoints and their verification",
  Dashboard: 'What the office follows: cases per stage, late reports, lead times, frame use, benefits',
  'Reference data': 'Organisations, portfolios and their yearly frames, rule sets',
  Council: "The development council's meetings (utvecklingsrådet) and the meeting pack",
  'Follow-up': 'Effect follow-up (effekthemtagning): evaluations, the savings register, running projects',
  Operations: 'Liveness, readiness and this document',
} as const;
export type Tag = keyof typeof TAGS;

export interface Operation<P extends AnyObject = AnyObject, Q extends AnyObject = AnyObject, B extends z.ZodType = z.ZodType> {
  id: string;
  method: 'get' | 'post' | 'put';
  /** OpenAPI style, below the base path: `/cases/{id}`. */
  path: string;
  tag: Tag;
  summary: string;
  description?: string;
  /** 'anyone': no token needed; 'authenticated': any valid token; else one of these roles. */
  access: 'anyone' | 'authenticated' | Role[];
  /**
   * A case's step: its roles and its body are checked by the step itself, once, with the case (the caller's
   * organisation, its stage); the API documents them and passes the body on as sent.
   */
  stepChecks?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  success: {
    status: number;
    description: string;
    schema?: z.ZodType;
    /** Other representations of the same answer (e.g. CSV); handled by the operation itself. */
    alternatives?: { contentType: string; schema: z.ZodType }[];
    /** OpenAPI links: operations (by id) that take this answer's `id` as their `id` parameter. */
    linksById?: string[];
  };
  /** Problems this operation adds to those implied by access, params, query and body. */
  problems?: ProblemKind[];
  handler(ctx: Context<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<unknown>;
}

export interface Context<P, Q, B> {
  req: Request;
  res: Response;
  /** Set for every operation whose access is not 'anyone'. */
  actor: Actor;
  params: P;
  query: Q;
  body: B;
}

/** The query of an operation that takes none: an unknown parameter is a 400, as everywhere else. */
export const noParameters = z.strictObject({});

/** Keeps the handler's types tied to the schemas; returns the operation unchanged. */
export function defineOperation<P extends AnyObject, Q extends AnyObject, B extends z.ZodType>(op: Operation<P, Q, B>): Operation {
  return op as unknown as Operation;
}

/** An action's operation id (submit-application → submitApplication): its route, and the links to it from a new case. */
export const actionOperationId = (action: string): string => action.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export const expressPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

/** Every POST may carry an Idempotency-Key; PUTs are idempotent by themselves. */
export const takesIdempotencyKey = (op: Operation): boolean => op.method === 'post';

/** Validates path, query and body together, so one answer lists every field that is wrong. */
function parseRequest(op: Operation, req: Request): { params: Record<string, unknown>; query: Record<string, unknown>; body: unknown } {
  const parts = [
    { schema: op.params, value: req.params, prefix: ['path'] },
    { schema: op.query, value: req.query, prefix: ['query'] },
    // An action without required fields may be posted without a body. A step's body is the step's to check.
    { schema: op.stepChecks ? undefined : op.body, value: req.body ?? {}, prefix: [] },
  ].map(({ schema, value, prefix }) => ({ result: schema?.safeParse(value), prefix }));
  const errors = parts.flatMap(({ result, prefix }) => (result && !result.success
    ? result.error.issues.map((i) => ({ path: [...prefix, ...i.path.map(String)].join('.'), message: i.message }))
    : []));
  errors.push(...parts.flatMap(({ result, prefix }) => (result?.success ? unstorableText(result.data, prefix) : [])));
  if (errors.length > 0) throw new HttpProblem('validation-failed', 'Some fields are missing or invalid', { errors });
  const [params, query, body] = parts.map(({ result }) => (result?.success ? result.data : undefined));
  return { params: (params ?? {}) as Record<string, unknown>, query: (query ?? {}) as Record<string, unknown>, body: op.stepChecks ? req.body ?? {} : body };
}

export function mountOperations(router: Router, ops: Operation[], deps: { verify: Verifier; idempotency: IdempotencyStore; limits: RateLimits }): void {
  const auth = authenticate(deps.verify);
  for (const op of ops) {
    const handlers = op.access === 'anyone' ? [] : [auth];
    router[op.method](expressPath(op.path), ...handlers, async (req: Request, res: Response) => {
      const actor = op.access === 'anyone' ? (undefined as unknown as Actor) : actorOf(req);
      if (Array.isArray(op.access) && !op.stepChecks && !op.access.some((role) => hasRole(actor, role))) {
        throw new HttpProblem('forbidden', `Only ${op.access.join(', ')} may do this`);
      }
      const key = takesIdempotencyKey(op) ? req.get('Idempotency-Key') : undefined;
      let parsed: ReturnType<typeof parseRequest>;
      try {
        if (op.body && req.body === undefined && Number(req.headers['content-length'] ?? 0) > 0) {
          throw new HttpProblem('unsupported-media-type', 'Send the body as application/json');
        }
        parsed = parseRequest(op, req);
      } catch (err) {
        // Every POST counts against the user's limit, valid or not: probing is requests too.
        if (op.method === 'post') await deps.limits.post(res, actor.id);
        throw err;
      }
      // A POST with an Idempotency-Key is counted in the statement that claims the key: one round trip.
      if (op.method === 'post' && key === undefined) await deps.limits.post(res, actor.id);
      const { params, query, body } = parsed;
      const run = () => op.handler({ req, res, actor, params, query, body });
      const answer = key !== undefined
        ? await deps.idempotency.once(req, res, actor.id, key, op.success.status, run, deps.limits)
        : { status: op.success.status, body: await run() };
      if (res.headersSent) return;
      // A replayed refusal is still a problem document.
      if (answer.status >= 400) res.type('application/problem+json');
      res.status(answer.status).json(answer.body);
    });
  }
}
