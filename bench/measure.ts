// Throughput and latency figures: HTTP load through autocannon, closed loop, counting only the measured
// seconds after a warm-up.
import autocannon from 'autocannon';

export interface Figures {
  /** Successful operations per second over the measured seconds. */
  perSecond: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  /** Status code or error class, and how often, for whatever was not a success. */
  failures: Record<string, number>;
  connections: number;
  seconds: number;
}

export interface HttpLoad {
  base: string;
  connections: number;
  seconds: number;
  method: 'GET' | 'POST';
  /** Path (with query) of the next request. */
  path: () => string;
  headers: Record<string, string>;
  /** Headers added per request (e.g. a fresh Idempotency-Key). */
  perRequestHeaders?: () => Record<string, string>;
  body?: () => string;
  onResponse?: (status: number, body: string) => void;
}

const WARM_UP_SECONDS = 2;

async function cannon(load: HttpLoad, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: load.base,
    connections: load.connections,
    duration: seconds,
    requests: [{
      setupRequest: (req) => ({
        ...req,
        method: load.method,
        path: load.path(),
        headers: { ...load.headers, ...load.perRequestHeaders?.(), ...(load.body ? { 'content-type': 'application/json' } : {}) },
        body: load.body?.(),
      }),
      ...(load.onResponse ? { onResponse: load.onResponse } : {}),
    }],
  });
}

export async function httpLoad(load: HttpLoad): Promise<Figures> {
  await cannon({ ...load, onResponse: undefined }, WARM_UP_SECONDS);
  const r = await cannon(load, load.seconds);
  const failures: Record<string, number> = {};
  for (const [code, { count = 0 }] of Object.entries(r.statusCodeStats ?? {})) if (!/^2/.test(code)) failures[code] = count;
  if (r.errors > 0) failures.errors = r.errors;
  if (r.timeouts > 0) failures.timeouts = r.timeouts;
  return {
    perSecond: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    failed: r.non2xx + r.errors,
    failures,
    connections: load.connections,
    seconds: r.duration,
  };
}
