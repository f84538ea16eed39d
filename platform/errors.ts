// Errors as logs may carry them: by class and code, never with the values a statement was bound to.
// PostgreSQL's and PGlite's errors carry those in message and detail ("Failed query: ... params: ...",
// "Key (email)=(anna@...) already exists"), so a database error is logged by its class, SQLSTATE code and
// the names of the constraint, table and column involved, and the code locations of its stack. Other
// errors keep their message, with email addresses masked.
import { maskAddresses } from './mailer';

type Described = Record<string, unknown>;

const SQLSTATE = /^[0-9A-Z]{5}$/;
const DATABASE_FIELDS = ['code', 'severity', 'constraint', 'schema', 'table', 'column', 'dataType', 'routine'] as const;

/** The database's own error in err or its causes: it carries a SQLSTATE code and a severity. */
function databaseError(err: unknown, depth = 0): Record<string, unknown> | undefined {
  if (err === null || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as Record<string, unknown>;
  if (typeof e.code === 'string' && SQLSTATE.test(e.code) && typeof e.severity === 'string') return e;
  return databaseError(e.cause, depth + 1);
}

/** drizzle's wrapper holds the statement and its parameters. */
const isQueryError = (err: Error): boolean => err.name === 'DrizzleQueryError' || ('query' in err && 'params' in err);

/** The stack's code locations, without its first line (which repeats the message). */
const frames = (err: Error): string | undefined => err.stack?.split('\n').filter((l) => /^\s+at /.test(l)).join('\n');

export function describeError(err: unknown, depth = 0): Described {
  if (!(err instanceof Error)) return { type: err === null ? 'null' : typeof err };
  const type = err.constructor?.name && err.constructor.name !== 'Error' ? err.constructor.name : err.name;
  const db = databaseError(err);
  if (db || isQueryError(err)) {
    const fields = Object.fromEntries(DATABASE_FIELDS.filter((k) => db?.[k] !== undefined).map((k) => [k, db?.[k]]));
    return { type, database: true, ...fields, stack: frames(err) };
  }
  const code = (err as { code?: unknown }).code;
  return {
    type,
    message: maskAddresses(err.message),
    ...(code !== undefined ? { code } : {}),
    stack: frames(err),
    ...(err.cause !== undefined && depth < 5 ? { cause: describeError(err.cause, depth + 1) } : {}),
  };
}

/** pino's `err` serializer: the same for every logger of the service. */
export const errorSerializers = { err: (err: unknown) => describeError(err) };
