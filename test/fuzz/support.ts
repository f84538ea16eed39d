// Property-based bad-input tests: the API harness with the real case workflow (test/api/support.ts), cases
// parked in every stage, a snapshot of everything the service stores, and fast-check arbitraries for garbage.
// Seeded from FUZZ_SEED (printed by each file), so a failure found once can be repeated.
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import request from 'supertest';
import type { z } from 'zod';
import type { Claims } from '../../api/auth';
import type { Operation } from '../../api/operation';
import { PROBLEM_BASE } from '../../api/problems';
import { referenceOperations } from '../../api/routes/reference';
import { DEFAULT_RULES } from '../../workflows/defaults';
import type { ActionName } from '../../workflows/vocabulary';
import { caseViewQuery } from '../../workflows/messages';
import { STEPS } from '../../workflows/steps';
import type { Actor, CaseView } from '../../workflows/types';
import { callers, type ApiHarness, type CallerName } from '../api/support';

// ---- seed and run parameters --------------------------------------------------------------------

const DEFAULT_SEED = 20_261_125;
export const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? DEFAULT_SEED : Number(process.env.FUZZ_SEED);
if (!Number.isSafeInteger(FUZZ_SEED)) throw new Error(`FUZZ_SEED must be an integer, not ${process.env.FUZZ_SEED}`);

export function announceSeed(file: string): void {
  console.info(`${file}: fast-check seed ${FUZZ_SEED} (FUZZ_SEED=${FUZZ_SEED} repeats this run; another value explores others)`);
}

/** The same seed for every property; a hung request fails its run instead of the whole file. */
export const runs = (numRuns: number): fc.Parameters<unknown> => ({ seed: FUZZ_SEED, numRuns, timeout: 20_000 });

// ---- requests and answers -----------------------------------------------------------------------

export type Method = 'get' | 'post' | 'put';

export interface Sent {
  method: Method;
  url: string;
  /** The Authorization header, exactly as sent; none when undefined. */
  authorization?: string;
  /** Serialised as JSON; ignored when raw is given. */
  json?: unknown;
  /** A body sent byte for byte, with its content type. */
  raw?: { body: string | Buffer; contentType: string };
}

export function send(h: ApiHarness, s: Sent): Promise<request.Response> {
  let req = request(h.app)[s.method](s.url);
  if (s.authorization !== undefined) req = req.set('Authorization', s.authorization);
  if (s.raw) return req.set('Content-Type', s.raw.contentType).send(s.raw.body);
  if (s.json !== undefined) return req.set('Content-Type', 'application/json').send(JSON.stringify(s.json));
  return req;
}

const short = (res: request.Response) => `${res.status} ${res.headers['content-type'] ?? '(no content type)'} ${(res.text ?? '').slice(0, 400)}`;

/**
 * A refusal as the contract promises it: a 4xx (one of `statuses` when given) that is
 * application/problem+json with type, title, status and detail; a validation problem also lists its errors.
 */
export function expectRefusal(res: request.Response, statuses?: number | number[]): void {
  const allowed = statuses === undefined ? undefined : [statuses].flat();
  const body = res.body as Record<string, unknown> | undefined;
  const fine = res.status >= 400 && res.status < 500 && (allowed === undefined || allowed.includes(res.status))
    && String(res.headers['content-type']).startsWith('application/problem+json')
    && typeof body?.type === 'string' && body.type.startsWith(PROBLEM_BASE)
    && typeof body.title === 'string' && body.title.length > 0
    && body.status === res.status
    && typeof body.detail === 'string' && body.detail.length > 0
    && (body.type !== `${PROBLEM_BASE}validation-failed` || (Array.isArray(body.errors) && body.errors.length > 0
      && body.errors.every((e: { path?: unknown; message?: unknown }) => typeof e.path === 'string' && typeof e.message === 'string')));
  if (!fine) throw new Error(`expected a ${allowed?.join(' or ') ?? '4xx'} problem+json, got ${short(res)}`);
}

/** Any answer but a server error; an error is a problem document. */
export function expectNoServerError(res: request.Response): void {
  if (res.status >= 500) throw new Error(`server error: ${short(res)}`);
  if (res.status >= 400) expectRefusal(res);
}

// ---- what the service stores --------------------------------------------------------------------

/** Compared by count and content. */
const DIGESTED = [
  'cases', 'reports', 'decisions', 'change_requests', 'savings_claims', 'frame_reservations', 'audit_events', 'case_numbers',
  'organisations', 'portfolios', 'portfolio_frames', 'rule_sets', 'council_meetings', 'council_agenda',
];
/** Emails change status as they go out; only a new row would be a change made by a request. */
const COUNTED = ['outbox'];

export type Snapshot = Record<string, string>;

export async function snapshot(h: ApiHarness): Promise<Snapshot> {
  const parts = [
    ...DIGESTED.map((t) => `SELECT '${t}' AS t, count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS v FROM ${t} x`),
    ...COUNTED.map((t) => `SELECT '${t}' AS t, count(*)::text AS v FROM ${t}`),
  ];
  const result = await h.database.db.execute(sql.raw(parts.join(' UNION ALL ')));
  const rows = (result as unknown as { rows: { t: string; v: string }[] }).rows;
  return Object.fromEntries(rows.map((r) => [r.t, r.v]));
}

/** The workflow's own view of a case (not the read model): its step number and stage. */
export async function workflowState(h: ApiHarness, caseId: string): Promise<string> {
  const view = await h.env.client.workflow.getHandle(caseId).query(caseViewQuery);
  return `${view.seq}:${view.stage}`;
}

/** Runs a request and checks that it changed nothing: stored rows, and the addressed case's workflow. */
export async function unchangedBy(h: ApiHarness, caseId: string | undefined, run: () => Promise<request.Response>): Promise<request.Response> {
  const state = async () => {
    const [rows, workflow] = await Promise.all([snapshot(h), caseId === undefined ? undefined : workflowState(h, caseId)]);
    return { rows, workflow };
  };
  const before = await state();
  const res = await run();
  const after = await state();
  const changed = Object.keys(before.rows).filter((t) => before.rows[t] !== after.rows[t]);
  if (before.workflow !== after.workflow) changed.push(`workflow ${caseId}: ${before.workflow} -> ${after.workflow}`);
  if (changed.length > 0) throw new Error(`the request changed ${changed.join(', ')}; it was answered ${short(res)}`);
  return res;
}

// ---- garbage ------------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const oddCharacter = fc.constantFrom(
  '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u00a0', '\u200b', '\u200e', '\u202e', '\u2028', '\ufeff', '\uffff', '\ufffd',
  'é', 'e\u0301', 'ß', 'ﬀ', '😀', '👩‍👩‍👧', '\ud83d\ude00', '"', "'", '\\', '/', '\n', '\r', '\t', '%', '%00', '<', '>', '&', '$', '{', '}', ' ',
);

/** Strings of any code points, with the awkward ones (NUL, lone surrogates, controls, bidi, emoji) often. */
export const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.oneof(oddCharacter, loneSurrogate, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 30 }),
  fc.constantFrom('', ' ', '\t\n ', 'null', 'undefined', 'NaN', '[]', '{}', '0', '-1', 'true', "'; DROP TABLE cases; --", '${7*7}', '../../etc/passwd'),
);

/** Longer than any text field allows; the longest are over the body limit. */
export const hugeString = fc.tuple(fc.integer({ min: 10_001, max: 120_000 }), fc.constantFrom('x', 'å', '€', '😀', 'a\u0000'))
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));

/** Negative, fractional, beyond whole SEK's range or beyond what a double holds exactly; NaN and infinities become null. */
export const badNumber = fc.oneof(
  fc.integer({ max: -1 }),
  fc.double({ noInteger: true }),
  fc.constantFrom(-1, -0.5, 0.5, 100_000_000_001, 2 ** 53, 2 ** 53 + 2, 1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE),
);

/** Dates that are not YYYY-MM-DD calendar days. */
export const badDate = fc.oneof(
  fc.constantFrom(
    '2026-02-29', '2026-02-30', '2027-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '2026-01-32', '26-01-01', '2026/01/01',
    '2026-1-1', '20260101', '2026-01-01T00:00:00Z', ' 2026-01-01', '2026-01-01 ', '', '+002026-01-01', '-2026-01-01', '2026-W01',
    'today', '01/02/2026', '2026-01-01\u0000',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
    .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
);

const json = fc.jsonValue({ maxDepth: 2 });

/** Anything that can sit where a field is: wrong types, nasty text, bad numbers and dates. */
export const badValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString, hugeString, badNumber, badDate,
  fc.boolean(), fc.constant(null), json,
  fc.array(json, { maxLength: 4 }),
  fc.dictionary(nastyString, json, { maxKeys: 4 }),
);

/** Member names no body has, and a few with special meaning to JavaScript. */
const unknownKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'seq', 'stage', 'actor', 'caseId', 'version', 'status', 'createdAt'),
  nastyString,
);

type Path = (string | number)[];

function paths(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  return [];
}

function objectPaths(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => objectPaths(v, [...prefix, i]));
  if (value !== null && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([k, v]) => objectPaths(v, [...prefix, k]))];
  return [];
}

type Mutation =
  | { kind: 'set'; path: Path; value: unknown }
  | { kind: 'taint'; path: Path; at: number; with: string }
  | { kind: 'drop'; path: Path }
  | { kind: 'extra'; path: Path; key: string; value: unknown }
  | { kind: 'root'; value: unknown };

/** Sets an own, enumerable member, also for names like __proto__. */
function put(target: Record<string | number, unknown>, key: string | number, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function at(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, k) => (node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[k] : undefined), root);
}

function applyMutations(valid: unknown, mutations: Mutation[]): unknown {
  // A copy made in this realm (structuredClone's objects come from outside jest's sandbox, which fast-check prints as [object Object]).
  let body: unknown = JSON.parse(JSON.stringify(valid));
  for (const m of mutations) {
    if (m.kind === 'root') { body = m.value; continue; }
    const parentPath = m.kind === 'extra' ? m.path : m.path.slice(0, -1);
    const parent = at(body, parentPath);
    if (parent === null || typeof parent !== 'object') continue; // an earlier mutation removed it
    const target = parent as Record<string | number, unknown>;
    if (m.kind === 'extra') put(target, m.key, m.value);
    else if (m.kind === 'set') put(target, m.path[m.path.length - 1], m.value);
    else if (m.kind === 'taint') {
      const key = m.path[m.path.length - 1];
      const text = target[key];
      if (typeof text === 'string') put(target, key, text.slice(0, m.at % (text.length + 1)) + m.with + text.slice(m.at % (text.length + 1)));
    }
    else if (Array.isArray(target)) target.splice(Number(m.path[m.path.length - 1]), 1);
    else delete target[m.path[m.path.length - 1]];
  }
  return body;
}

/**
 * A valid body with one to three things broken: a field set to garbage or dropped, a text field otherwise
 * valid but holding a NUL or a lone surrogate, a member added, or the whole body replaced.
 */
export function garbageBody(valid: object): fc.Arbitrary<unknown> {
  const leafPaths = paths(valid);
  const textPaths = leafPaths.filter((p) => typeof at(valid, p) === 'string');
  const objects = objectPaths(valid);
  const taint = () => fc.record({
    kind: fc.constant('taint' as const), path: fc.constantFrom(...textPaths), at: fc.nat(), with: fc.oneof(fc.constant('\u0000'), loneSurrogate),
  });
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...leafPaths), value: badValue }) },
    ...(textPaths.length > 0 ? [{ weight: 2, arbitrary: taint() }] : []),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), path: fc.constantFrom(...leafPaths) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('extra' as const), path: fc.constantFrom(...objects), key: unknownKey, value: badValue }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('root' as const), value: fc.oneof(json, fc.array(badValue, { maxLength: 3 })) }) },
  );
  return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => applyMutations(valid, ms));
}

/** Text PostgreSQL cannot store: NUL, and UTF-16 surrogates that are not in a pair. */
export function holdsUnstorableText(value: unknown): boolean {
  const bad = (s: string) => s.includes('\u0000') || /\p{Cs}/u.test(s);
  if (typeof value === 'string') return bad(value);
  if (Array.isArray(value)) return value.some(holdsUnstorableText);
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([k, v]) => bad(k) || holdsUnstorableText(v));
  return false;
}

/** The contract refuses the body: its schema fails, or it carries text that cannot be stored. */
export const mustRefuse = (schema: z.ZodType, body: unknown): boolean => !schema.safeParse(body).success || holdsUnstorableText(body);

/** Text that is not JSON, or JSON that is not an object or array (the parser is strict); never empty (that reads as {}). */
export function malformedJson(valid: object): fc.Arbitrary<string> {
  const text = JSON.stringify(valid);
  return fc.oneof(
    fc.integer({ min: 1, max: text.length - 1 }).map((n) => text.slice(0, n)),
    fc.tuple(fc.integer({ min: 0, max: text.length }), fc.constantFrom(',', '}', '{', ':', '"', "'", 'undefined', 'NaN', '\\', '\u0000'))
      .map(([i, c]) => text.slice(0, i) + c + text.slice(i)),
    fc.constantFrom(text.replace(/"/g, "'"), `${text}}`, `${text},`, '{', '[', '{"a":}', '{a:1}', "{'a':1}", '{"a":1,}', '[1,]', '0x10', '"unterminated', 'nul', '\u0000', '  '),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
    json.map((v) => JSON.stringify(v)),
  ).filter((s) => {
    if (s.length === 0) return false;
    try {
      const parsed: unknown = JSON.parse(s);
      return parsed === null || typeof parsed !== 'object';
    } catch {
      return true;
    }
  });
}

/** A reference-data operation of the service, for the schemas it validates with: the oracle of what must be refused. */
export function referenceOperation(h: ApiHarness, id: string): Operation {
  const op = referenceOperations(h.deps).find((o) => o.id === id);
  if (!op) throw new Error(`no operation ${id}`);
  return op;
}

// ---- callers ------------------------------------------------------------------------------------

export type Caller = CallerName | 'ownOrgValuer';

/** The callers of test/api/support.ts, and a valuer from the applying organisation (valuer independence). */
export const claimsOf = (who: Caller): Claims => (who === 'ownOrgValuer'
  ? { sub: 'ulf', name: 'Ulf Utbildning', roles: ['valuer'], org: 'utbildning' }
  : callers[who]);

export const actorOf = (who: Caller): Actor => {
  const c = claimsOf(who);
  return { id: c.sub, name: c.name ?? c.sub, email: c.email, roles: [...c.roles], org: c.org };
};

export const EVERYONE = [...Object.keys(callers) as CallerName[], 'ownOrgValuer'] as Caller[];

/** Who holds a role an action admits (the organisation and decider tier are checked later). */
export const hasActionRole = (action: ActionName, who: Caller): boolean =>
  STEPS[action].roles.some((role) => (role === 'decider' ? actorOf(who).roles.some((r) => r.startsWith('decider:')) : actorOf(who).roles.includes(role)));

// ---- valid bodies and cases in every stage -------------------------------------------------------

const YEAR = new Date().getFullYear() + 1;
export const PROJECT = { start: `${YEAR}-01-01`, end: `${YEAR}-12-31`, cost: 2_000_000 };
export const MEETING = { date: `${YEAR - 1}-12-10`, title: 'Utvecklingsrådet december', id: `UR-${YEAR - 1}-12-10` };
/** The savings claim the cases at preparation and completion share with an earlier case: a double count. */
export const SHARED_CLAIM = 'utbildning:fuzz-shared';

export const IDEA = {
  title: 'Digital skolval', need: 'Skolvalet görs på papper', idea: 'En e-tjänst för skolval', expectedBenefits: 'Kortare handläggning',
  roughCost: 2_000_000, contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' }, language: 'sv',
};

export const application = (claimKey: string) => ({
  portfolio: 'p1', kind: 'implementation', totalCost: PROJECT.cost, costPerYear: { [YEAR]: PROJECT.cost },
  plannedStart: PROJECT.start, plannedEnd: PROJECT.end, projectLeader: 'Lena Projektledare',
  benefits: { citizenBenefit: 3_000_000, businessBenefit: 1_500_000, developmentCost: 2_000_000, operationCost: 300_000, qualitative: 'Enklare', timeFreedHoursPerYear: 1000, expectedUsers: 20_000 },
  savingsClaims: [{ key: claimKey, description: 'Pappershantering vid skolval', amountPerYear: 400_000 }],
  owner: { name: 'Utbildningsdirektören', managementObject: 'Skolval', operationCostAccepted: true },
  realisationPlan: 'Mäts via e-tjänstens statistik', accessibility: 'WCAG 2.1 AA', security: 'Säkerhetsklass 2',
});

/** A body the contract accepts for every action, with every optional member, so each can be broken. */
export const BODIES: Record<ActionName, object> = {
  'screen-idea': { outcome: 'approve', reason: 'Bra idé', coach: 'Carl Coach' },
  'submit-application': application('utbildning:fuzz-application'),
  assign: { coach: 'Carl Coach', preparationGroup: 'Beredningsgrupp 1' },
  'record-valuation': { citizenBenefit: 2_500_000, businessBenefit: 1_200_000, developmentCost: 2_100_000, operationCost: 300_000, comment: 'Rimligt' },
  'resolve-double-count': { key: SHARED_CLAIM, resolution: 'keep', comment: 'Räknas här' },
  'request-completion': { missing: ['Tillgänglighetsanalys'], dueDate: `${YEAR}-06-30` },
  recommend: { recommendation: 'support', motivation: 'God nytta för medborgarna' },
  'schedule-council': { meetingId: MEETING.id },
  'council-opinion': { opinion: 'recommend', priority: 1, comment: 'Prioriteras' },
  'budget-check': { outcome: 'remarks', remarks: 'Inga invändningar' },
  decide: { outcome: 'approve', grantedAmount: PROJECT.cost, conditions: 'Rapportera', projectStart: PROJECT.start, motivation: 'Ryms i ramen' },
  'submit-report': {
    reportId: 'S1', time: 'green', cost: 'yellow', scope: 'red', spentToDate: 100_000, forecastTotalCost: PROJECT.cost, forecastEndDate: PROJECT.end,
    milestones: 'M1 klar', risks: 'Inga', benefitOutlook: 'God', comment: 'Enligt plan',
  },
  'request-change': { reason: 'Dyrare integration', newTotalCost: 2_100_000, newEndDate: `${YEAR + 1}-03-31`, scopeChange: 'Ingen' },
  'decide-change': { outcome: 'approve', motivation: 'Motiverat' },
  terminate: { motivation: 'Leverantören gick i konkurs' },
  'submit-final-report': {
    outcome: 'Levererat', finalCost: 1_900_000, deliveredAgainstPlan: 'Allt levererat', handoverConfirmed: true,
    supportArrangement: 'Servicedesk', followUpPlan: 'Statistik ur e-tjänsten',
  },
  'return-final-report': { missing: ['Överlämningen till förvaltningen'], dueDate: `${YEAR}-06-30` },
  'approve-closure': { comment: 'Väl genomfört' },
  'submit-effect-report': {
    reportId: 'E1', realised: { citizenBenefit: 2_800_000, businessBenefit: 1_400_000, developmentCost: 1_900_000, operationCost: 320_000 },
    savings: [{ key: 'utbildning:fuzz-followup', realisedAmountPerYear: 380_000 }], comment: 'Bra',
  },
  withdraw: { reason: 'Löses inom ordinarie budget' },
};

export const CASE_KEYS = [
  'idea', 'application', 'preparation', 'completion', 'councilOpen', 'councilScheduled', 'decisionOpen', 'decisionChecked',
  'executionChange', 'executionQuiet', 'closure', 'followUp', 'withdrawn',
] as const;
export type CaseKey = (typeof CASE_KEYS)[number];

/** For each action, a case where the given caller may take it now: a refusal there is about the body alone. */
export const HOME: Record<ActionName, { at: CaseKey; who: Caller }> = {
  'screen-idea': { at: 'idea', who: 'officer' },
  'submit-application': { at: 'application', who: 'applicant' },
  assign: { at: 'idea', who: 'officer' },
  'record-valuation': { at: 'preparation', who: 'valuer' },
  'resolve-double-count': { at: 'preparation', who: 'officer' },
  'request-completion': { at: 'preparation', who: 'preparer' },
  recommend: { at: 'preparation', who: 'preparer' },
  'schedule-council': { at: 'councilOpen', who: 'officer' },
  'council-opinion': { at: 'councilScheduled', who: 'council' },
  'budget-check': { at: 'decisionOpen', who: 'budget' },
  decide: { at: 'decisionChecked', who: 'committee' },
  'submit-report': { at: 'executionChange', who: 'applicant' },
  'request-change': { at: 'executionQuiet', who: 'applicant' },
  'decide-change': { at: 'executionChange', who: 'committee' },
  terminate: { at: 'executionChange', who: 'committee' },
  'submit-final-report': { at: 'executionQuiet', who: 'applicant' },
  'return-final-report': { at: 'closure', who: 'officer' },
  'approve-closure': { at: 'closure', who: 'officer' },
  'submit-effect-report': { at: 'followUp', who: 'applicant' },
  withdraw: { at: 'application', who: 'applicant' },
};

export interface World {
  ids: Record<CaseKey, string>;
  /** Each case as an officer sees it once everything has settled; refused requests must leave it so. */
  views: Record<CaseKey, CaseView>;
}

/**
 * A rule set under which every report opens (is due) as soon as it is scheduled and the effect follow-up
 * is a day after closure, so cases reach every reporting state without moving the clock.
 */
export const FUZZ_RULES = {
  ...DEFAULT_RULES, reminderBefore: 'P400D', followUpOffsets: ['P1D'],
  // The project's 2 mnkr lies above the director's limit: the director is the wrong tier for it, the committee the right one.
  delegation: [{ tier: 'stadsdirektor', upTo: 1_000_000 }, { tier: 'ks-ekonomiutskott', upTo: null }],
};

/** Whether a caller's tier reaches an amount under FUZZ_RULES. */
export const decidesUpTo = (who: Caller): number => (who === 'committee' ? Infinity : who === 'director' ? 1_000_000 : -1);

/** Cases parked in every stage and state an action needs, all of the applicant's organisation (utbildning). */
export async function buildWorld(h: ApiHarness): Promise<World> {
  const post = async (url: string, who: Caller, body: object, status: number) => {
    const res = await send(h, { method: 'post', url, authorization: await h.auth(claimsOf(who)), json: body });
    if (res.status !== status) throw new Error(`setup: POST ${url} as ${who} answered ${short(res)}`);
    return res.body as CaseView & { id: string };
  };
  const officer = await h.auth('officer');
  const create = async () => {
    const { id } = await post('/api/v1/cases', 'applicant', IDEA, 201);
    // On a busy machine the answer can come (from the workflow) before the read model has the case.
    for (let i = 0; (await send(h, { method: 'get', url: `/api/v1/cases/${id}`, authorization: officer })).status !== 200; i++) {
      if (i === 300) throw new Error(`setup: ${id} never reached the read model`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return id;
  };
  const step = (id: string, action: ActionName, who: Caller, body: object = BODIES[action]) => post(`/api/v1/cases/${id}/actions/${action}`, who, body, 200);
  const own = (id: string) => application(`utbildning:${id}`);
  const toPreparation = async (id: string, app: object) => { await step(id, 'screen-idea', 'officer'); await step(id, 'submit-application', 'applicant', app); };
  const toCouncil = async (id: string) => { await step(id, 'record-valuation', 'valuer'); await step(id, 'recommend', 'preparer'); };
  // Ranks are unique within a portfolio on a meeting: each case its own, and 1 left for the valid body at councilScheduled.
  let rank = 1;
  const toDecision = async (id: string) => {
    await step(id, 'schedule-council', 'officer');
    await step(id, 'council-opinion', 'council', { ...BODIES['council-opinion'], priority: (rank += 1) });
  };
  const toExecution = async (id: string, app: object) => {
    await toPreparation(id, app); await toCouncil(id); await toDecision(id);
    await step(id, 'budget-check', 'budget'); await step(id, 'decide', 'committee');
  };

  await post('/api/v1/rule-sets', 'admin', FUZZ_RULES, 201);
  await post('/api/v1/council/meetings', 'officer', { date: MEETING.date, title: MEETING.title }, 201);
  const ids = Object.fromEntries(await Promise.all(CASE_KEYS.map(async (k) => [k, await create()]))) as Record<CaseKey, string>;

  // The first to book the shared saving; the cases at preparation and completion then double-count it.
  await toPreparation(ids.executionQuiet, application(SHARED_CLAIM));
  // Each case's own steps in order; the cases side by side.
  await Promise.all([
    (async () => { await toCouncil(ids.executionQuiet); await toDecision(ids.executionQuiet); await step(ids.executionQuiet, 'budget-check', 'budget'); await step(ids.executionQuiet, 'decide', 'committee'); })(),
    step(ids.application, 'screen-idea', 'officer'),
    toPreparation(ids.preparation, application(SHARED_CLAIM)),
    (async () => { await toPreparation(ids.completion, application(SHARED_CLAIM)); await step(ids.completion, 'request-completion', 'preparer'); })(),
    (async () => { await toPreparation(ids.councilOpen, own(ids.councilOpen)); await toCouncil(ids.councilOpen); })(),
    (async () => { await toPreparation(ids.councilScheduled, own(ids.councilScheduled)); await toCouncil(ids.councilScheduled); await step(ids.councilScheduled, 'schedule-council', 'officer'); })(),
    (async () => { await toPreparation(ids.decisionOpen, own(ids.decisionOpen)); await toCouncil(ids.decisionOpen); await toDecision(ids.decisionOpen); })(),
    (async () => {
      await toPreparation(ids.decisionChecked, own(ids.decisionChecked)); await toCouncil(ids.decisionChecked); await toDecision(ids.decisionChecked);
      await step(ids.decisionChecked, 'budget-check', 'budget');
    })(),
    (async () => {
      // The change raises the total, so the budget check of it comes before the decision.
      await toExecution(ids.executionChange, own(ids.executionChange)); await step(ids.executionChange, 'request-change', 'officer');
      await step(ids.executionChange, 'budget-check', 'budget');
    })(),
    (async () => { await toExecution(ids.closure, own(ids.closure)); await step(ids.closure, 'submit-final-report', 'applicant'); })(),
    (async () => {
      await toExecution(ids.followUp, application('utbildning:fuzz-followup'));
      await step(ids.followUp, 'submit-final-report', 'applicant'); await step(ids.followUp, 'approve-closure', 'officer');
    })(),
    step(ids.withdrawn, 'withdraw', 'applicant'),
  ]);
  return { ids, views: await settledViews(h, ids) };
}

/**
 * The cases once the steps their timers take at once (reminders, reports opening) are recorded: the
 * workflow's step number equals the read model's, twice in a row.
 */
async function settledViews(h: ApiHarness, ids: Record<CaseKey, string>): Promise<Record<CaseKey, CaseView>> {
  const officer = await h.auth('officer');
  let previous = '';
  for (let i = 0; i < 100; i++) {
    const views = await Promise.all(CASE_KEYS.map(async (k) => (await send(h, { method: 'get', url: `/api/v1/cases/${ids[k]}`, authorization: officer })).body as CaseView));
    const engine = await Promise.all(CASE_KEYS.map((k) => workflowState(h, ids[k])));
    const state = views.map((v) => `${v.seq}:${v.stage}`).join(',');
    if (state === engine.join(',') && state === previous) return Object.fromEntries(CASE_KEYS.map((k, j) => [k, views[j]])) as Record<CaseKey, CaseView>;
    previous = state;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('setup: the cases never settled');
}


// ---- URLs ---------------------------------------------------------------------------------------

const byte = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * Percent-encodes text as UTF-8. A lone surrogate goes as its three-byte form, which is not UTF-8: what a
 * broken client sends, and what the server must refuse rather than trip over.
 */
export function percentEncode(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    out += c >= 0xd800 && c <= 0xdfff ? [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map(byte).join('') : encodeURIComponent(ch);
  }
  return out;
}

/** Percent signs that do not introduce valid UTF-8, sent as they are. */
export const brokenPercent = fc.constantFrom('%', '%%', '%zz', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%00', 'a%2', '%u0041');

/** A cursor as a client could forge it: base64url JSON of anything, often shaped like the real ones. */
export const forgedCursor = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.tuple(
    fc.oneof(fc.constantFrom('1', '0000-01-01', '+275760-09-13T00:00:00Z', '2026-01-01', 'May 5', 'Tue, 01 Jan 2030 00:00:00 GMT', '2026-02-30T00:00:00Z'), nastyString, badDate),
    fc.oneof(nastyString, badNumber, fc.integer(), fc.constantFrom('PK-2026-0001', 'p1', 'UR-2026-12-10')),
  ),
  fc.tuple(badNumber),
  fc.tuple(fc.integer()),
  fc.tuple(nastyString),
).map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url'));
