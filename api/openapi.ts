// The OpenAPI 3.1 document, generated from the operations' zod schemas (JSON Schema draft 2020-12).
import { z } from 'zod';
import { ACTION_NAMES } from '../workflows/vocabulary';
import { STAGES } from '../workflows/types';
import { TAGS, takesIdempotencyKey, type Operation } from './operation';
import { PROBLEM_BASE, problemStatus, type ProblemKind } from './problems';

export const BASE_PATH = '/api/v1';

const problemSchema = z.object({
  type: z.url().describe(`${PROBLEM_BASE}<kind>`),
  title: z.string().describe("In the caller's language (Accept-Language: sv or en)"),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string(),
}).meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const validationProblemSchema = problemSchema.extend({
  errors: z.array(z.object({ path: z.string().describe('Dotted path of the field, e.g. benefits.citizenBenefit'), message: z.string() })),
}).meta({ id: 'ValidationProblem' });

const stageProblemSchema = problemSchema.extend({
  stage: z.enum(STAGES),
  allowedActions: z.array(z.enum(ACTION_NAMES)).describe('What the caller may do in this stage'),
}).meta({ id: 'StageProblem' });

type Json = Record<string, unknown>;

/** Answers that say when to try again: a request still running (409), a limit (429), a part not answering (503). */
const RETRY_AFTER_STATUSES = new Set([409, 429, 503]);
const retryAfterHeader = { description: 'Seconds to wait before retrying (sent with in-progress, too-many-requests and the 503s)', schema: { type: 'integer', minimum: 1 } };

/** Converts a schema, hoisting named sub-schemas (`.meta({ id })`) into components. */
function converter() {
  const components: Record<string, Json> = {};
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node === null || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$schema' || k === '$defs') continue;
      out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewrite(v);
    }
    return out;
  };
  const convert = (schema: z.ZodType): Json => {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
    for (const [id, def] of Object.entries((json.$defs ?? {}) as Record<string, Json>)) components[id] = rewrite(def) as Json;
    return rewrite(json) as Json;
  };
  return { convert, components };
}

function problemsOf(op: Operation): ProblemKind[] {
  const kinds = new Set<ProblemKind>(op.problems ?? []);
  if (op.access !== 'anyone') kinds.add('unauthenticated');
  if (Array.isArray(op.access)) kinds.add('forbidden');
  if (op.params || op.query || op.body) kinds.add('validation-failed');
  if (op.body) ['malformed-request', 'payload-too-large', 'unsupported-media-type'].forEach((k) => kinds.add(k as ProblemKind));
  if (takesIdempotencyKey(op)) ['idempotency-key-reused', 'in-progress', 'validation-failed', 'too-many-requests'].forEach((k) => kinds.add(k as ProblemKind));
  // Everything a signed-in caller asks reads the database (the rate limits, the case, the lists), and its token
  // is checked against the identity provider's keys.
  if (op.access !== 'anyone') ['database-unavailable', 'identity-provider-unavailable'].forEach((k) => kinds.add(k as ProblemKind));
  kinds.add('internal');
  return [...kinds];
}

const problemRef = (kind: ProblemKind): string => {
  const id = kind === 'validation-failed' ? 'ValidationProblem' : kind === 'stage-not-allowed' ? 'StageProblem' : 'Problem';
  return `#/components/schemas/${id}`;
};

export function openApiDocument(ops: Operation[]): Json {
  const { convert, components } = converter();
  for (const s of [problemSchema, validationProblemSchema, stageProblemSchema]) convert(s);
  const paths: Record<string, Record<string, Json>> = {};

  const parameters = (schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] => {
    if (!schema) return [];
    const json = convert(schema);
    const required = new Set((json.required ?? []) as string[]);
    return Object.entries((json.properties ?? {}) as Record<string, Json>).map(([name, s]) => ({
      name, in: where, required: where === 'path' || required.has(name), schema: s,
      ...(typeof s.description === 'string' ? { description: s.description } : {}),
    }));
  };

  for (const op of ops) {
    const responses: Record<string, Json> = {
      [op.success.status]: {
        description: op.success.description,
        ...(op.success.linksById ? {
          links: Object.fromEntries(op.success.linksById.map((id) => [id, { operationId: id, parameters: { id: '$response.body#/id' } }])),
        } : {}),
        ...(op.success.schema ? {
          content: {
            'application/json': { schema: convert(op.success.schema) },
            ...Object.fromEntries((op.success.alternatives ?? []).map((a) => [a.contentType, { schema: convert(a.schema) }])),
          },
        } : {}),
      },
    };
    const byStatus = new Map<number, ProblemKind[]>();
    for (const kind of problemsOf(op)) byStatus.set(problemStatus(kind), [...(byStatus.get(problemStatus(kind)) ?? []), kind]);
    for (const [status, kinds] of [...byStatus].sort(([a], [b]) => a - b)) {
      const refs = [...new Set(kinds.map(problemRef))];
      responses[status] = {
        description: kinds.map((k) => PROBLEM_BASE + k).join(', '),
        ...(RETRY_AFTER_STATUSES.has(status) ? { headers: { 'Retry-After': retryAfterHeader } } : {}),
        content: { 'application/problem+json': { schema: refs.length === 1 ? { $ref: refs[0] } : { anyOf: refs.map(($ref) => ({ $ref })) } } },
      };
    }
    const roles = Array.isArray(op.access) ? `\n\nRoles: ${op.access.map((r) => (r === 'decider' ? 'decider:<tier>' : r)).join(', ')}.` : '';
    paths[op.path] ??= {};
    paths[op.path][op.method] = {
      operationId: op.id,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description || roles ? { description: `${op.description ?? ''}${roles}`.trim() } : {}),
      ...(op.access === 'anyone' ? { security: [] } : {}),
      'x-roles': op.access,
      parameters: [
        ...parameters(op.params, 'path'),
        ...parameters(op.query, 'query'),
        ...(takesIdempotencyKey(op) ? [{
          name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
          description: 'A repeat with the same key and body returns the first answer and does nothing twice',
        }] : []),
      ],
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: convert(op.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Projektkontoret API',
      version: '1.0.0',
      description: "Stockholm's project office for centrally financed IT development: cases from idea sketch to effect follow-up, for applicants, the office, its councils and auditors. "
        + 'A browsable reference of this document is served at /docs.',
      license: { name: 'Proprietary: Stockholms stad', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: BASE_PATH }],
    security: [{ bearer: [] }],
    tags: [...new Set(ops.map((o) => o.tag))].map((name) => ({ name, description: TAGS[name] })),
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Claims: sub, name, email, roles[] (decider:<tier> for deciders), org (applicants)' } },
    },
  };
}
