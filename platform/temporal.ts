// Connections to Temporal from configuration: the same code for the local dev server and a cluster
// (mTLS from certificate files, or an API key, which also turns TLS on).
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
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
