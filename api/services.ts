// What the app and its operations are built from. Its own module, so that the routes, which take these, and
// the app, which mounts the routes, do not import each other.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { CheckpointSigner } from '../audit/chain';
import type { RateLimits } from './rateLimits';

export interface AppDeps {
  db: Db;
  temporal: Client;
  config: Config;
  /** Set by the server when it begins to shut down: readiness answers 503 from then on. */
  lifecycle?: { draining: boolean };
  logger?: Logger;
  /** Signs the audit chain's checkpoints and export summaries; from the configuration when not given. */
  signer?: CheckpointSigner;
  /** The handle checkpoints are written through (the signer's role); db when not given. */
  signerDb?: Db;
}

/** What the operations are built from: the app's dependencies with the defaults filled in. */
export type Services = AppDeps & Required<Pick<AppDeps, 'signer'>> & { limits: RateLimits };
