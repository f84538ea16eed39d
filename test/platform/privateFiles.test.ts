// What the embedded default keeps under DATA_DIR holds personal data and keys: the directories are for the
// service's user only (0700), and so are the files in them (0600): mail drop messages, the payload key, the
// audit signing key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../config';
import { loadCheckpointSigner } from '../../audit/chain';
import { createMailer } from '../../platform/mailer';
import { payloadKeys } from '../../platform/payloadCodec';

let dataDir: string;
beforeAll(() => { dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'private-')), 'data'); });
afterAll(() => fs.rmSync(path.dirname(dataDir), { recursive: true, force: true }));

const mode = (p: string) => fs.statSync(p).mode & 0o777;

test('a mail drop message is 0600 in a 0700 directory', async () => {
  const config = loadConfig({ DATA_DIR: dataDir });
  const mailer = createMailer(config.mail, { logger: pino({ level: 'silent' }) });
  await mailer.send({ from: 'a@stockholm.example', to: 'anna@utbildning.example', subject: 'Kvitto', text: 'Hej Anna', html: '<p>Hej Anna</p>', messageId: '<PK-2026-0001.1.receipt.x@projektkontoret>' });
  mailer.close();
  const [file] = fs.readdirSync(config.mail.dropDir);
  expect(mode(path.join(config.mail.dropDir, file))).toBe(0o600);
  expect(mode(config.mail.dropDir)).toBe(0o700);
  expect(mode(dataDir)).toBe(0o700);
});

test('the payload key and the audit signing key are generated 0600 and kept across starts', () => {
  const config = loadConfig({ DATA_DIR: dataDir });
  const [key] = payloadKeys(config);
  expect(payloadKeys(config)).toEqual([key]);
  expect(mode(config.payloads.keyFile)).toBe(0o600);
  const signer = loadCheckpointSigner(config.audit.signingKeyFile, { generate: true });
  expect(loadCheckpointSigner(config.audit.signingKeyFile, { generate: true }).keyId).toBe(signer.keyId);
  expect(mode(config.audit.signingKeyFile)).toBe(0o600);
  // A configured key file that is missing is an error, not a new key.
  expect(() => loadCheckpointSigner(path.join(dataDir, 'missing.pem'), { generate: false })).toThrow(/cannot be read/);
});
