// Connections to Temporal from configuration: the same code for the local dev server and a cluster
// (mTLS from certificate files, or an API key, which also turns TLS on).
import fs from 'node:fs';
import { Client, Connection, isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { NativeConnection, type TLSConfig } from '@temporalio/worker';
import type { Config } from '../config';
import { dataConverter } from './payloadCodec';

export type TemporalConfig = Pick<Config, 'temporal' | 'payloads'>;

/** Options accepted by both `Connection.connect` (client) and `NativeConnection.connect` (worker). */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

export function connectionOptions({ temporal }: TemporalConfig): TemporalConnectionOptions {
  return {
    address: temporal.address,
    tls: temporal.tls && {
      clientCertPair: { crt: fs.readFileSync(temporal.tls.certPath), key: fs.readFileSync(temporal.tls.keyPath) },
    },
    apiKey: temporal.apiKey,
  };
}

/** A client for the configured namespace, payloads encrypted; close it with `client.connection.close()`. */
export async function connectClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(config));
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(config) });
}

/** The connection a `Worker` needs; close it with `connection.close()` after the worker has stopped. */
export function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}

/** gRPC codes of an engine that did not answer in time or cannot be reached: DEADLINE_EXCEEDED, UNAVAILABLE. */
const UNREACHABLE_GRPC = new Set([4, 14]);

/** Whether err (or one of its causes) says the engine did not answer within the call's deadline, or not at all. */
export function engineUnreachable(err: unknown, depth = 0): boolean {
  if (err === null || typeof err !== 'object' || depth > 5) return false;
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  if (isGrpcServiceError(err) && UNREACHABLE_GRPC.has(err.code)) return true;
  return engineUnreachable((err as { cause?: unknown }).cause, depth + 1);
}

/** Runs the API's engine calls in fn under the configured deadline; past it they fail (engineUnreachable). */
export function withCallDeadline<T>(client: Client, config: Pick<Config, 'temporal'>, fn: () => Promise<T>): Promise<T> {
  return client.withDeadline(Date.now() + config.temporal.callTimeoutMs, fn);
}
