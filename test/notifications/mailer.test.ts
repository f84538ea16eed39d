// The mailer on its own: .eml files without SMTP, and SMTP errors classified permanent or transient.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../config';
import { createMailer, MailError, type OutgoingEmail } from '../../platform/mailer';
import { parseEmail, startSmtpServer, type TestSmtpServer } from '../support/smtp';

const email = (over: Partial<OutgoingEmail> = {}): OutgoingEmail => ({
  from: 'Projektkontoret <projektkontoret@stockholm.se>',
  to: 'anna.berg@utbildning.example',
  subject: '[PK-2026-0001] Digital ansökan till förskola – Mottagen: idéskiss',
  text: 'Vi har tagit emot er idéskiss.\n',
  html: '<p>Vi har tagit emot er idéskiss.</p>',
  messageId: '<PK-2026-0001.1.receipt.0123456789abcdef@projektkontoret>',
  language: 'sv',
  ...over,
});

function capturedLogger() {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => { lines.push(line); } }) };
}

describe('without SMTP_URL', () => {
  let dataDir: string;
  beforeEach(() => { dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailer-')); });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('writes one .eml file per Message-ID, a resend replacing it, and logs the subject but no address', async () => {
    const mail = loadConfig({ DATA_DIR: dataDir }).mail;
    const { lines, logger } = capturedLogger();
    const mailer = createMailer(mail, { logger });

    await mailer.send(email());
    await mailer.send(email({ text: 'Andra försöket.\n' }));
    await mailer.send(email({ to: 'budgetledningen@stockholm.se', messageId: '<PK-2026-0001.1.case-arrived.fedcba9876543210@projektkontoret>' }));
    mailer.close();

    const files = fs.readdirSync(mail.dropDir).sort();
    expect(files).toEqual([
      'PK-2026-0001.1.case-arrived.fedcba9876543210@projektkontoret.eml',
      'PK-2026-0001.1.receipt.0123456789abcdef@projektkontoret.eml',
    ]);
    const written = parseEmail(fs.readFileSync(path.join(mail.dropDir, files[1]), 'utf8'));
    expect(written).toMatchObject({
      subject: '[PK-2026-0001] Digital ansökan till förskola – Mottagen: idéskiss',
      messageId: '<PK-2026-0001.1.receipt.0123456789abcdef@projektkontoret>',
      language: 'sv',
      text: 'Andra försöket.\n',
      html: '<p>Vi har tagit emot er idéskiss.</p>',
    });
    expect(written.headers.to).toBe('anna.berg@utbildning.example');

    expect(lines).toHaveLength(3);
    expect(lines.join('')).toContain('Digital ansökan till förskola');
    expect(lines.join('')).not.toMatch(/@(utbildning\.example|stockholm\.se)/);
    await expect(mailer.verify()).resolves.toBe(true);
  });
});

describe('over SMTP', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => { smtp = await startSmtpServer({ refuse: /^refused@/ }); });
  afterAll(() => smtp.close());

  const mailer = () => createMailer(loadConfig({ SMTP_URL: smtp.url }).mail, { logger: pino({ level: 'silent' }) });

  it('delivers the text and HTML parts with the subject, Message-ID and language', async () => {
    const m = mailer();
    await m.send(email({ language: 'en', subject: '[PK-2026-0001] Preschool – Received: idea sketch' }));
    m.close();
    expect(smtp.to('anna.berg@utbildning.example')).toEqual([expect.objectContaining({
      subject: '[PK-2026-0001] Preschool – Received: idea sketch',
      messageId: '<PK-2026-0001.1.receipt.0123456789abcdef@projektkontoret>',
      language: 'en',
      text: 'Vi har tagit emot er idéskiss.\n',
      html: '<p>Vi har tagit emot er idéskiss.</p>',
    })]);
  });

  it('reports a refused recipient (550) as a permanent error that names no address', async () => {
    const m = mailer();
    const error = await m.send(email({ to: 'refused@utbildning.example' })).catch((e: unknown) => e);
    m.close();
    expect(error).toBeInstanceOf(MailError);
    expect(error).toMatchObject({ permanent: true, responseCode: 550 });
    expect((error as MailError).message).toContain('550');
    expect((error as MailError).message).not.toContain('refused@utbildning.example');
  });

  it('reports a server that is down as a transient error, and verify() tells whether it answers', async () => {
    const m = mailer();
    await smtp.stop();
    try {
      const error = await m.send(email()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MailError);
      expect(error).toMatchObject({ permanent: false });
      await expect(m.verify()).resolves.toBe(false);
    } finally {
      await smtp.start();
    }
    await expect(m.verify()).resolves.toBe(true);
    m.close();
  });
});
