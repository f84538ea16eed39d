// The one place configuration is read. Validated once; a wrong value stops start-up naming the variable.
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z.string().min(1).optional();
/** A span as jose reads it: 90s, 15m, 12h, 7d. */
const duration = z.string().regex(/^\d+ ?(s|m|h|d)$/, 'must be a number and a unit: s, m, h or d (e.g. 12h)');
/** A timeout in seconds; fractions allowed (tests use short ones). */
const seconds = z.coerce.number().positive().max(3600);
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;

/** HS256 wants a key as long as its hash: 256 bits. Also the least accepted length of a secret file. */
export const JWT_SECRET_MIN_LENGTH = 32;

/**
 * Where the emails of each audience go: preparers, valuers, council, budget, and decider:<tier>.
 * `decider:*` is the pattern for tiers without an entry of their own; `{tier}` is replaced by the tier id.
 */
const DEFAULT_ROLE_EMAILS: Record<string, string> = {
  preparers: 'beredning@stockholm.se',
  valuers: 'nyttovardering@stockholm.se',
  council: 'utvecklingsradet@stockholm.se',
  budget: 'budgetledningen@stockholm.se',
  'decider:*': 'beslut+{tier}@stockholm.se',
};

const roleEmails = z.string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of audience to email address' });
      return z.NEVER;
    }
  })
  .pipe(z.record(
    z.string(),
    z.string().refine((v) => z.email().safeParse(v.replace('{tier}', 'tier')).success, 'must be an email address ({tier} allowed)'),
  ).superRefine((byAudience, ctx) => {
    for (const audience of Object.keys(byAudience)) {
      if (!/^(preparers|valuers|council|budget|decider:([\w-]+|\*))$/.test(audience)) {
        ctx.addIssue({ code: 'custom', path: [audience], message: 'not an audience: use preparers, valuers, council, budget or decider:<tier>' });
      }
    }
  }));

const schema = z.object({
  PORT: port.default(3000),
  DATA_DIR: z.string().min(1).default('data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** Comma-separated origins (scheme://host[:port]) whose pages may call the codec endpoints: the Temporal UI's. */
  CODEC_CORS_ORIGINS: z.string().transform((text) => text.split(',').map((o) => o.trim()).filter((o) => o !== ''))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin: scheme://host[:port], no path'))).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('cases'),
  WORKER_CACHED_CASES: z.coerce.number().int().min(2).max(100_000).default(250),
  /** The benchmark's ceiling routes (api/probes/benchRoutes.ts); never set in production. */
  BENCH_ROUTES: z.enum(['0', '1']).default('0'),
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_CALL_TIMEOUT_SECONDS: seconds.default(20),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_TEST_SERVER_PATH: optionalString,

  /** Seconds: a connection not made, a statement not answered, a transaction left idle this long is given up. */
  DATABASE_CONNECT_TIMEOUT_SECONDS: seconds.default(5),
  DATABASE_STATEMENT_TIMEOUT_SECONDS: seconds.default(30),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS: seconds.default(60),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  /** The role that owns the schema: runs the migrations and grants DATABASE_URL's role what it may do. */
  DATABASE_OWNER_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  /** The role that writes the audit chain's checkpoints, which DATABASE_URL's role may only read. */
  DATABASE_SIGNER_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),

  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  MAIL_FROM: z.string().min(3).default('Projektkontoret <projektkontoret@stockholm.se>'),
  OFFICE_EMAIL: z.email().default('projektkontoret@stockholm.se'),
  CASE_LINK_BASE: z.url().optional(),
  /** JSON, e.g. {"preparers":"beredning@stockholm.se","decider:stadsdirektor":"sd@stockholm.se"}; merged over the defaults. */
  ROLE_EMAILS: roleEmails.optional(),

  JWT_SECRET: z.string().min(JWT_SECRET_MIN_LENGTH, `must be at least ${JWT_SECRET_MIN_LENGTH} characters`).optional(),
  // https only: the keys that decide who is who must not travel in the clear. Loopback is the one exception
  // (it never leaves the machine), which lets tests run a real JWKS server without a certificate.
  JWT_JWKS_URL: z.url().refine((u) => { const url = new URL(u); return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.test(url.hostname)); },
    'must be an https:// URL').optional(),
  JWT_ISSUER: optionalString,
  JWT_AUDIENCE: optionalString,
  JWT_MAX_TOKEN_AGE: duration.default('12h'),
  JWT_CLOCK_TOLERANCE: duration.default('30s'),

  AUDIT_SIGNING_KEY_FILE: optionalString,
  AUDIT_HEAD_FILE: optionalString,
  AUDIT_CHECKPOINT_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(7 * 24 * 60).default(60),
  /** Comma-separated PEM files of the public keys that signed before a key change. */
  AUDIT_RETIRED_PUBLIC_KEY_FILES: z.string().transform((text) => text.split(',').map((f) => f.trim()).filter((f) => f !== '')).optional(),
  /** Comma-separated id:key pairs, each key 32 bytes in base64; the first one encrypts, all of them decrypt. */
  PAYLOAD_ENCRYPTION_KEYS: z.string().transform((text, ctx) => {
    const keys = text.split(',').map((pair) => pair.trim().split(':'));
    for (const [i, pair] of keys.entries()) {
      if (pair.length !== 2 || !/^[\w-]{1,32}$/.test(pair[0]) || Buffer.from(pair[1], 'base64').length !== 32) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: must be <id>:<32 bytes in base64> (id of letters, digits, - or _)` });
        return z.NEVER;
      }
    }
    if (new Set(keys.map(([id]) => id)).size !== keys.length) {
      ctx.addIssue({ code: 'custom', message: 'key ids must differ' });
      return z.NEVER;
    }
    return keys.map(([id, key]) => ({ id, key: Buffer.from(key, 'base64') }));
  }).optional(),
  /** Seconds an Idempotency-Key claim holds without renewal: how soon a retry takes over from a process that died. */
  IDEMPOTENCY_LEASE_SECONDS: seconds.default(10),
  /** Seconds: requests in flight to finish once the API is asked to stop; activities to finish, then the worker stops regardless. */
  API_SHUTDOWN_TIMEOUT_SECONDS: seconds.default(25),
  WORKER_SHUTDOWN_GRACE_SECONDS: seconds.default(20),
  WORKER_SHUTDOWN_FORCE_SECONDS: seconds.default(30),
  RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(90),
  OVERVIEW_MAX_CASES: z.coerce.number().int().min(1).max(1_000_000).default(5_000),
  RATE_LIMIT_POSTS_PER_MINUTE: z.coerce.number().int().min(0).default(60),
  RATE_LIMIT_RECEIPTS_PER_HOUR: z.coerce.number().int().min(0).default(20),
});

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.JWT_JWKS_URL !== undefined && (e.JWT_ISSUER === undefined || e.JWT_AUDIENCE === undefined)) {
    // Without both, a token the identity provider signed for any other application would be accepted here.
    throw new Error('Invalid configuration:\n  JWT_ISSUER and JWT_AUDIENCE must be set with JWT_JWKS_URL');
  }
  if ((e.TEMPORAL_TLS_CERT === undefined) !== (e.TEMPORAL_TLS_KEY === undefined)) {
    throw new Error('Invalid configuration:\n  TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
  }
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    dataDir,
    benchRoutes: e.BENCH_ROUTES === '1',
    logLevel: e.LOG_LEVEL,
    temporal: {
      /** Set: connect there. Unset: `npm start` runs the dev server on 127.0.0.1:port. */
      address: e.TEMPORAL_ADDRESS ?? `127.0.0.1:${e.TEMPORAL_PORT}`,
      external: e.TEMPORAL_ADDRESS !== undefined,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      /** Cases a worker keeps in memory; one evicted replays its history on its next event. */
      cachedCases: e.WORKER_CACHED_CASES,
      tls: e.TEMPORAL_TLS_CERT && e.TEMPORAL_TLS_KEY ? { certPath: e.TEMPORAL_TLS_CERT, keyPath: e.TEMPORAL_TLS_KEY } : undefined,
      apiKey: e.TEMPORAL_API_KEY,
      /** Deadline of the API's calls to the engine (an action, a new case, a history); past it the answer is a 503. */
      callTimeoutMs: e.TEMPORAL_CALL_TIMEOUT_SECONDS * 1000,
      /** Origins whose pages may call /codec (the Temporal UI's); unset: the local dev server's UI. */
      codecCorsOrigins: e.CODEC_CORS_ORIGINS ?? [`http://localhost:${e.TEMPORAL_UI_PORT}`, `http://127.0.0.1:${e.TEMPORAL_UI_PORT}`],
      cliPath: e.TEMPORAL_CLI_PATH,
      testServerPath: e.TEMPORAL_TEST_SERVER_PATH,
    },
    databaseUrl: e.DATABASE_URL,
    database: {
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_SECONDS * 1000,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000,
      idleInTransactionTimeoutMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS * 1000,
    },
    databaseOwnerUrl: e.DATABASE_OWNER_URL,
    databaseSignerUrl: e.DATABASE_SIGNER_URL,
    pgliteDir: path.join(dataDir, 'pglite'),
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      officeEmail: e.OFFICE_EMAIL,
      dropDir: path.join(dataDir, 'mail'),
      caseLinkBase: e.CASE_LINK_BASE ?? `http://localhost:${e.PORT}/api/v1/cases/`,
      roleEmails: { ...DEFAULT_ROLE_EMAILS, ...e.ROLE_EMAILS },
    },
    jwt: {
      secret: e.JWT_SECRET,
      secretFile: path.join(dataDir, 'jwt-secret'),
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      /** Refused once this old (from iat), whatever its exp says. */
      maxTokenAge: e.JWT_MAX_TOKEN_AGE,
      /** Leeway for exp, nbf and iat against the identity provider's clock. */
      clockTolerance: e.JWT_CLOCK_TOLERANCE,
    },
    audit: {
      /** Ed25519, PKCS#8 PEM; kept outside the database. The embedded default generates it under DATA_DIR. */
      signingKeyFile: e.AUDIT_SIGNING_KEY_FILE ?? path.join(dataDir, 'audit-signing-key.pem'),
      generateSigningKey: e.AUDIT_SIGNING_KEY_FILE === undefined,
      /** Public keys of earlier signing keys: still published, and still verifying the checkpoints they signed. */
      retiredPublicKeyFiles: e.AUDIT_RETIRED_PUBLIC_KEY_FILES ?? [],
      /** The newest signed checkpoint, kept outside the database too; verification compares the chain with it. */
      headFile: e.AUDIT_HEAD_FILE ?? path.join(dataDir, 'audit-head.json'),
      /** 0: checkpoints only on demand. */
      checkpointIntervalMs: e.AUDIT_CHECKPOINT_INTERVAL_MINUTES * 60_000,
    },
    payloads: {
      /** Configured keys, or undefined: the embedded default generates one into keyFile. */
      keys: e.PAYLOAD_ENCRYPTION_KEYS,
      keyFile: path.join(dataDir, 'payload-key'),
    },
    /** How long a running request's Idempotency-Key claim holds without renewal. */
    idempotencyLeaseMs: e.IDEMPOTENCY_LEASE_SECONDS * 1000,
    shutdown: {
      /** Requests in flight get this long once the API is asked to stop; then they are cut. */
      apiMs: e.API_SHUTDOWN_TIMEOUT_SECONDS * 1000,
      /** Running activities get this long before they are cancelled (the worker's shutdownGraceTime)... */
      workerGraceMs: e.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
      /** ...and the worker stops this long after it is asked to, whatever still runs (shutdownForceTime). */
      workerForceMs: e.WORKER_SHUTDOWN_FORCE_SECONDS * 1000,
    },
    /** The most cases an overview (running projects, the savings register) reads in one answer; beyond, it is narrowed. */
    overviewMaxCases: e.OVERVIEW_MAX_CASES,
    retention: {
      /** Idempotency keys, case requests and the bodies of sent emails older than this are purged; audit rows never. */
      days: e.RETENTION_DAYS,
    },
    rateLimits: {
      /** POSTs per user and minute, across API processes; 0: no limit. */
      postsPerMinute: e.RATE_LIMIT_POSTS_PER_MINUTE,
      /** New cases (receipts) per user and hour; 0: no limit. */
      receiptsPerHour: e.RATE_LIMIT_RECEIPTS_PER_HOUR,
    },
  };
}
