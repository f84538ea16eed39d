// Temporal's codec-server protocol, so that the Temporal UI and CLI show an auditor or officer the decrypted
// payloads of a case's history (the engine itself holds only ciphertext, platform/payloadCodec.ts): the UI's
// codec endpoint setting or `temporal workflow show --codec-endpoint .../codec --codec-auth "Bearer ..."`
// posts the payloads it holds to /codec/decode and shows what comes back. Payloads travel as the protocol's
// JSON: metadata values and data in base64. Cross-origin calls are allowed from the UI's origins only
// (api/app.ts, CODEC_CORS_ORIGINS).
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import type { AppDeps } from '../services';
import { defineOperation, type Operation } from '../operation';
import { HttpProblem, ruleProblem } from '../problems';

const base64 = z.string().max(4_000_000).regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
const payloadSchema = z.object({
  metadata: z.record(z.string().max(200), base64).optional(),
  data: base64.optional(),
}).meta({ id: 'CodecPayload' });
// Protocol buffers' JSON leaves an empty list out: {} is no payloads.
const payloadsSchema = z.strictObject({ payloads: z.array(payloadSchema).max(1_000).default([]) }).meta({ id: 'CodecPayloads' });
type WirePayloads = z.infer<typeof payloadsSchema>;

const fromWire = ({ payloads }: WirePayloads): Payload[] => payloads.map((p) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
}));

const toWire = (payloads: Payload[]): WirePayloads => ({
  payloads: payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  })),
});

export function codecOperations({ temporal, config }: AppDeps): Operation[] {
  // The client's own codecs: the service's keys, as its workers use them.
  const codecs = () => temporal.options.loadedDataConverter.payloadCodecs;
  /** The protocol names the namespace in X-Namespace; another namespace's payloads are not this service's to read. */
  const sameNamespace = (namespace: string | undefined) => {
    if (namespace !== undefined && namespace !== config.temporal.namespace) {
      throw new HttpProblem('forbidden', `This codec server serves namespace ${config.temporal.namespace}, not ${namespace}`);
    }
  };
  const description = 'Temporal\'s codec-server protocol (X-Namespace names the namespace; another one is refused). '
    + 'Point the Temporal UI\'s codec endpoint, or the CLI\'s --codec-endpoint, at /api/v1/codec with an officer\'s or auditor\'s bearer token.';
  return [
    defineOperation({
      id: 'codecDecode', method: 'post', path: '/codec/decode', tag: 'Audit', access: ['auditor', 'officer'],
      summary: "Decrypt payloads of the engine's histories, for the Temporal UI and CLI",
      description: `${description} A payload the service did not encrypt comes back as it was; one it cannot decrypt is a 422.`,
      body: payloadsSchema,
      success: { status: 200, description: 'The payloads, decrypted', schema: payloadsSchema },
      problems: ['rule-violation'],
      handler: async ({ req, body }) => {
        sameNamespace(req.get('X-Namespace'));
        let payloads = fromWire(body);
        try {
          for (const codec of [...codecs()].reverse()) payloads = await codec.decode(payloads);
        } catch (err) {
          throw ruleProblem('payload-undecryptable', `A payload does not decrypt with this service's keys: ${(err as Error).message}`);
        }
        return toWire(payloads);
      },
    }),
    defineOperation({
      id: 'codecEncode', method: 'post', path: '/codec/encode', tag: 'Audit', access: ['auditor', 'officer'],
      summary: 'Encrypt payloads as the service does, for the Temporal UI and CLI (e.g. a signal or query they send)',
      description,
      body: payloadsSchema,
      success: { status: 200, description: 'The payloads, encrypted', schema: payloadsSchema },
      handler: async ({ req, body }) => {
        sameNamespace(req.get('X-Namespace'));
        let payloads = fromWire(body);
        for (const codec of codecs()) payloads = await codec.encode(payloads);
        return toWire(payloads);
      },
    }),
  ];
}
