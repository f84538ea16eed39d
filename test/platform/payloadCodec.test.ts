// A payload is bound to the case it belongs to: encrypted with the workflow id as associated data, so a
// payload copied into another case's history does not decrypt there, while a codec server (told no workflow)
// still reads it by the id its metadata names. Payloads encrypted before the binding read as they were.
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload, type SerializationContext } from '@temporalio/common';
import { EncryptionCodec } from '../../platform/payloadCodec';

const codec = new EncryptionCodec([{ id: 'k1', key: randomBytes(32) }]);
const of = (workflowId: string): SerializationContext => ({ type: 'workflow', namespace: 'default', workflowId });
const plain = defaultPayloadConverter.toPayload({ need: 'Elevens journal' });
const read = (p: Payload) => defaultPayloadConverter.fromPayload(p);

test("a case's payload decrypts in its own case and at a codec server, never in another case", async () => {
  const [sealed] = await codec.encode([plain], of('PK-2026-0001'));
  expect(Buffer.from(sealed.metadata!['encryption-bound-to']!).toString()).toBe('PK-2026-0001');
  expect(read((await codec.decode([sealed], of('PK-2026-0001')))[0])).toEqual({ need: 'Elevens journal' });
  expect(read((await codec.decode([sealed]))[0])).toEqual({ need: 'Elevens journal' });
  await expect(codec.decode([sealed], of('PK-2026-0002'))).rejects.toThrow(/belongs to another case/);
  // Relabelled to the case it was copied into, it fails the cipher's own check.
  const relabelled = { ...sealed, metadata: { ...sealed.metadata, 'encryption-bound-to': Buffer.from('PK-2026-0002') } };
  await expect(codec.decode([relabelled], of('PK-2026-0002'))).rejects.toThrow();
  await expect(codec.decode([relabelled])).rejects.toThrow();
});

test('a payload encrypted without a case (before the binding, or by a codec server) decrypts anywhere', async () => {
  const [unbound] = await codec.encode([plain]);
  expect(unbound.metadata!['encryption-bound-to']).toBeUndefined();
  expect(read((await codec.decode([unbound], of('PK-2026-0003')))[0])).toEqual({ need: 'Elevens journal' });
});
