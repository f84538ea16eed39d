// The outbox relay: sends the emails a step wrote as soon as the step's transaction commits, woken by the
// notification that transaction sends (LISTEN/NOTIFY, PostgreSQL and PGlite alike), and at intervals for
// anything a lost connection let slip. One engine round trip per step: no activity is scheduled to send.
// Claim-once, retries and the office's alert are those of notifications.ts: a row the mail server could not
// take stays pending and is tried again with backoff, a refused address is marked failed and the office
// told, and a row a dead process left 'sending' is sent again after staleSendingAfterMs. Every worker runs
// one; the claim lets one of them send each row.
import pino, { type Logger } from 'pino';
import type { Database } from '../db/client';
import { OUTBOX_CHANNEL } from '../db/outbox';
import { describeError } from '../platform/errors';
import { releaseStaleSending } from '../db/outbox';
import { deliverPending, type DeliveryCounts, type DeliveryDeps } from './notifications';

export interface OutboxRelay {
  /** Listens, and sends what is waiting. */
  start(): Promise<void>;
  /** Stops listening and waits for a pass under way. */
  stop(): Promise<void>;
  /** One pass now: what a notification starts. */
  deliver(): Promise<DeliveryCounts>;
}

export interface RelayOptions {
  database: Pick<Database, 'listen'>;
  /** A pass even without a notification this often. */
  sweepEveryMs?: number;
  /** After a pass the mail server cut short, the next one waits this long, doubling to the maximum. */
  retry?: { initialMs: number; maxMs: number };
  staleSendingAfterMs?: number;
  logger?: Logger;
}

export function createOutboxRelay({
  db, mailer, mail, database, sweepEveryMs = 60_000, retry = { initialMs: 2_000, maxMs: 60_000 }, staleSendingAfterMs = 10 * 60_000,
  logger = pino({ name: 'outbox' }),
}: DeliveryDeps & RelayOptions): OutboxRelay {
  let listener: { close(): Promise<void> } | undefined;
  let sweep: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoff = retry.initialMs;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;

  async function deliver(): Promise<DeliveryCounts> {
    await releaseStaleSending(db, staleSendingAfterMs);
    return deliverPending({ db, mailer, mail }, undefined, { stopAtTransient: true });
  }

  /** A pass now, or right after the one under way: a notification never waits for a timer. */
  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(retryTimer);
    running = deliver()
      .then((done) => {
        if (done.sent + done.failed + done.pending > 0) logger.info(done, 'outbox delivered');
        if (done.pending === 0) backoff = retry.initialMs;
        else schedule(backoff, () => { backoff = Math.min(backoff * 2, retry.maxMs); });
      })
      .catch((err: unknown) => {
        logger.warn({ error: describeError(err) }, 'outbox delivery failed');
        schedule(backoff, () => { backoff = Math.min(backoff * 2, retry.maxMs); });
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          kick();
        }
      });
  }

  function schedule(ms: number, after: () => void): void {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(kick, ms);
    retryTimer.unref();
    after();
  }

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      listener = await database.listen(OUTBOX_CHANNEL, kick);
      sweep = setInterval(kick, sweepEveryMs);
      sweep.unref();
      kick();
    },
    async stop() {
      stopped = true;
      clearInterval(sweep);
      clearTimeout(retryTimer);
      await listener?.close();
      await running;
    },
    deliver,
  };
}
