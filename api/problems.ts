// RFC 9457 problem details: every error leaves the API as application/problem+json, with a title in the
// caller's language (Swedish by default, English on request) and a stable type URI per kind of problem.
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import { databaseUnreachable } from '../db/client';
import { BadCursorError } from '../db/paging';
import { describeError } from '../platform/errors';
import { engineUnreachable } from '../platform/temporal';
import { REFUSALS, RULES, type RefusalKind, type RuleId } from '../workflows/vocabulary';

export const PROBLEM_BASE = 'https://projektkontoret.stockholm.se/problems/';

export const PROBLEM_KINDS = {
  'malformed-request': { status: 400, sv: 'Felaktig begäran', en: 'Malformed request' },
  'validation-failed': { status: REFUSALS.invalid.status, sv: 'Ogiltiga uppgifter', en: 'Invalid input' },
  unauthenticated: { status: 401, sv: 'Inloggning krävs', en: 'Authentication required' },
  forbidden: { status: REFUSALS.role.status, sv: 'Åtgärden är inte tillåten för dig', en: 'Not allowed for you' },
  'not-found': { status: 404, sv: 'Finns inte', en: 'Not found' },
  'method-not-allowed': { status: 405, sv: 'Metoden stöds inte här', en: 'Method not allowed' },
  'stage-not-allowed': { status: REFUSALS.stage.status, sv: 'Åtgärden är inte möjlig i ärendets nuvarande skede', en: 'Action not allowed in the current stage' },
  'in-progress': { status: 409, sv: 'En likadan begäran pågår redan', en: 'The same request is already in progress' },
  'too-many-requests': { status: 429, sv: 'För många förfrågningar', en: 'Too many requests' },
  'payload-too-large': { status: 413, sv: 'Begäran är för stor', en: 'Request too large' },
  'unsupported-media-type': { status: 415, sv: 'Innehållstypen stöds inte', en: 'Unsupported media type' },
  'rule-violation': { status: REFUSALS.rule.status, sv: 'Regelbrott', en: 'Rule violation' },
  'idempotency-key-reused': { status: 422, sv: 'Idempotency-Key återanvänd med annat innehåll', en: 'Idempotency-Key reused with a different request' },
  unavailable: { status: 503, sv: 'Tjänsten är inte tillgänglig just nu', en: 'Service unavailable' },
  'database-unavailable': { status: 503, sv: 'Databasen svarar inte just nu', en: 'The database is not answering', retryAfter: 5 },
  'identity-provider-unavailable': { status: 503, sv: 'Inloggningstjänstens nycklar kan inte hämtas just nu', en: "The identity provider's keys cannot be fetched", retryAfter: 5 },
  'checkpoint-signer-unavailable': { status: 503, sv: 'Granskningskedjan kan inte signeras härifrån', en: 'The audit chain cannot be signed from here' },
  'engine-unavailable': { status: 503, sv: 'Ärendemotorn svarar inte just nu', en: 'The workflow engine is not answering', retryAfter: 5 },
  internal: { status: 500, sv: 'Internt fel', en: 'Internal error' },
} as const satisfies Record<string, { status: number; sv: string; en: string; retryAfter?: number }>;

export type ProblemKind = keyof typeof PROBLEM_KINDS;
export const problemStatus = (kind: ProblemKind): number => PROBLEM_KINDS[kind].status;

export interface FieldError { path: string; message: string }

/** The problem each kind of refusal of the case lifecycle becomes (its status is the refusal table's). */
export const REFUSAL_PROBLEMS: Record<RefusalKind, ProblemKind> = {
  invalid: 'validation-failed', role: 'forbidden', stage: 'stage-not-allowed', rule: 'rule-violation',
};

/**
 * Thrown anywhere in a request; the error handler renders it. `extra` adds members (errors, stage, allowedActions);
 * retryAfter (seconds) is sent as Retry-After, by default the kind's own.
 */
export class HttpProblem extends Error {
  readonly retryAfter: number | undefined;
  constructor(readonly kind: ProblemKind, readonly detail: string, readonly extra: Record<string, unknown> = {}, retryAfter?: number) {
    super(detail);
    const byKind = PROBLEM_KINDS[kind];
    this.retryAfter = retryAfter ?? ('retryAfter' in byKind ? byKind.retryAfter : undefined);
  }
  get status(): number { return PROBLEM_KINDS[this.kind].status; }
}

/** A broken rule the API checks itself (it can look things up, the workflow cannot), named in the problem. */
export function ruleProblem(rule: RuleId, detail: string): HttpProblem {
  return new HttpProblem(REFUSAL_PROBLEMS[RULES[rule]], detail, { rule });
}

/** The problem's JSON body, titled in the caller's language. */
export function problemBody(req: Request, problem: HttpProblem): Record<string, unknown> {
  const lang = req.acceptsLanguages('sv', 'en') === 'en' ? 'en' : 'sv';
  return {
    type: PROBLEM_BASE + problem.kind,
    title: PROBLEM_KINDS[problem.kind][lang],
    status: problem.status,
    detail: problem.detail,
    instance: req.originalUrl.split('?')[0],
    ...problem.extra,
  };
}

export function sendProblem(req: Request, res: Response, problem: HttpProblem): void {
  if (problem.retryAfter !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(problem.retryAfter))));
  res.status(problem.status).type('application/problem+json').json(problemBody(req, problem));
}

/**
 * body-parser's errors carry `type`; a database or engine that did not answer is a 503 to retry; everything
 * unknown is a 500 that is logged, not shown.
 */
export function toProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  if (databaseUnreachable(err)) return new HttpProblem('database-unavailable', 'The database did not answer in time; retry with the same Idempotency-Key');
  if (engineUnreachable(err)) return new HttpProblem('engine-unavailable', 'The workflow engine did not answer in time; retry with the same Idempotency-Key');
  // The router could not percent-decode a path parameter (e.g. /cases/%E0%A4%A).
  if (err instanceof URIError) return new HttpProblem('malformed-request', 'The path is not valid percent-encoded UTF-8');
  if (err instanceof BadCursorError) {
    return new HttpProblem('validation-failed', 'The cursor is not one this list gave out', { errors: [{ path: 'query.cursor', message: err.message }] });
  }
  const type = (err as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.parse.failed': return new HttpProblem('malformed-request', 'The body is not valid JSON');
    case 'entity.too.large': return new HttpProblem('payload-too-large', 'The body is larger than the limit');
    case 'charset.unsupported':
    case 'encoding.unsupported': return new HttpProblem('unsupported-media-type', 'Unsupported charset or content encoding');
    case 'request.aborted': return new HttpProblem('malformed-request', 'The request was aborted');
    default: return undefined;
  }
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Express knows an error handler by its four parameters
  return (err, req, res, _next) => {
    if (res.headersSent) {
      // A streamed answer cannot turn into a problem any more; cut it so the client sees it is incomplete.
      logger.error({ error: describeError(err) }, 'error after the response started');
      res.destroy();
      return;
    }
    const problem = toProblem(err);
    if (problem) return sendProblem(req, res, problem);
    logger.error({ error: describeError(err) }, 'unhandled error');
    sendProblem(req, res, new HttpProblem('internal', 'Something went wrong; it has been logged'));
  };
}
