// Every payload the workflows exchange (inputs, results, update arguments, query answers, markers) is
// encrypted before it leaves the process, so the engine's histories, its UI and its database hold only
// ciphertext: AES-256-GCM with a random 96-bit IV per payload, the key named by an id in the payload's
// metadata so that keys can rotate (the first configured key encrypts; every configured key decrypts).
// A payload that is not encrypted passes through on decode: histories recorded before encryption, and
// payloads of other clients, still replay and read.
//
// Each payload is bound to the case (workflow) it belongs to: the workflow id is the cipher's associated data
// and is named in the metadata. Where the SDK says whose payload it decodes (a worker, a client), that
// workflow's id is the associated data, so a payload copied into another case's history does not decrypt. A
// codec server, told only the namespace, reads the bound id from the metadata. Payloads encrypted before the
// binding (committed histories) carry no bound id and decrypt as they were written.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, type SerializationContext } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const BOUND_TO = 'encryption-bound-to';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface PayloadKey { id: string; key: Buffer }

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: PayloadKey[]) {
    if (keys.length === 0) throw new Error('at least one payload key is needed');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const { id, key } = this.keys[0];
    const owner = ownerOf(context);
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      if (owner !== undefined) cipher.setAAD(Buffer.from(owner));
      const sealed = Buffer.concat([iv, cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()), cipher.final(), cipher.getAuthTag()]);
      const metadata = { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID]: Buffer.from(id), ...(owner !== undefined ? { [BOUND_TO]: Buffer.from(owner) } : {}) };
      return { metadata, data: sealed };
    });
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const owner = ownerOf(context);
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const id = Buffer.from(payload.metadata?.[KEY_ID] ?? []).toString();
      const key = this.byId.get(id);
      if (!key) throw new Error(`a payload encrypted with key ${JSON.stringify(id)}, which is not configured (PAYLOAD_ENCRYPTION_KEYS)`);
      const bound = payload.metadata?.[BOUND_TO] ? Buffer.from(payload.metadata[BOUND_TO]).toString() : undefined;
      if (bound !== undefined && owner !== undefined && bound !== owner) throw new Error(`a payload of ${bound} found in ${owner}: it belongs to another case`);
      const data = Buffer.from(payload.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      // The owner the SDK names, not the metadata's word, wherever it names one.
      if (bound !== undefined) decipher.setAAD(Buffer.from(owner ?? bound));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** The workflow a payload belongs to: the workflow's own, or the one that scheduled the activity. */
const ownerOf = (context: SerializationContext | undefined): string | undefined => context?.workflowId;

/**
 * The configured keys, or the embedded default's own: generated once into keyFile (0600, in a 0700 directory),
 * so every process sharing DATA_DIR uses the same key.
 */
export function payloadKeys({ payloads }: Pick<Config, 'payloads'>): PayloadKey[] {
  if (payloads.keys) return payloads.keys;
  if (!fs.existsSync(payloads.keyFile)) {
    fs.mkdirSync(path.dirname(payloads.keyFile), { recursive: true, mode: 0o700 });
    try {
      // 'wx': when two processes start together, the second reads the first one's key.
      fs.writeFileSync(payloads.keyFile, `local:${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const [id, key] = fs.readFileSync(payloads.keyFile, 'utf8').trim().split(':');
  const bytes = Buffer.from(key ?? '', 'base64');
  if (!id || bytes.length !== 32) throw new Error(`${payloads.keyFile} does not hold <id>:<32 bytes in base64>`);
  return [{ id, key: bytes }];
}

/** The data converter of every Client and Worker of the service: payloads through the encryption codec. */
export const dataConverter = (config: Pick<Config, 'payloads'>) => ({ payloadCodecs: [new EncryptionCodec(payloadKeys(config))] });
