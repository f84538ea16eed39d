// Sends one email: over SMTP when SMTP_URL is set, otherwise into an .eml file under the drop directory
// (the embedded default). Errors come back as MailError, classified permanent or transient, with any
// email address in the server's reply masked so the text can be logged and shown on the dashboard.
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import pino, { type Logger } from 'pino';
import type { Config } from '../config';

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** `<...@...>`; deterministic per outbox row, so a receiving system can recognise a resend. */
  messageId: string;
  language?: 'sv' | 'en';
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  /** Whether mail can go out now (SMTP answers, or the drop directory is writable). */
  verify(): Promise<boolean>;
  close(): void;
}

/** permanent: the server refused this message for good (5xx); sending it again would be refused again. */
export class MailError extends Error {
  constructor(message: string, readonly permanent: boolean, readonly responseCode?: number) {
    super(message);
    this.name = 'MailError';
  }
}

// A down server must fail a send within seconds, so the activity retries and the case goes on.
const SMTP_TIMEOUTS = { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 30_000 };

export function createMailer(mail: Config['mail'], { logger = pino({ name: 'mailer' }) }: { logger?: Logger } = {}): Mailer {
  return mail.smtpUrl ? smtpMailer(mail.smtpUrl, logger) : dropMailer(mail.dropDir, logger);
}

function smtpMailer(url: string, logger: Logger): Mailer {
  // Pooled: a new SMTP session per email (connect, greeting, EHLO) cost ~100 ms against ~1 ms on an open one.
  const transport = nodemailer.createTransport({ url, pool: true, ...SMTP_TIMEOUTS });
  return {
    async send(email) {
      try {
        await transport.sendMail(message(email));
      } catch (err) {
        throw classify(err);
      }
      logger.debug({ subject: email.subject }, 'email sent');
    },
    async verify() {
      try {
        return await transport.verify();
      } catch {
        return false;
      }
    },
    close: () => transport.close(),
  };
}

function dropMailer(dir: string, logger: Logger): Mailer {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(email) {
      const { message: raw } = await builder.sendMail(message(email));
      // The messages hold names, addresses and case texts: for the service's user only.
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      // Named by the message id and renamed into place: a resend replaces the file, never adds one.
      const file = path.join(dir, `${email.messageId.replace(/^<|>$/g, '').replace(/[^\w.@+-]/g, '_')}.eml`);
      const partial = `${file}.${process.pid}.tmp`;
      await fs.writeFile(partial, raw, { mode: 0o600 });
      await fs.rename(partial, file);
      logger.info({ subject: email.subject, file: path.basename(file) }, 'email written to the drop directory');
    },
    async verify() {
      try {
        await fs.mkdir(dir, { recursive: true, mode: 0o700 });
        await fs.access(dir, fs.constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
    close: () => builder.close(),
  };
}

function message(email: OutgoingEmail) {
  return {
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: email.messageId,
    headers: email.language ? { 'Content-Language': email.language } : {},
  };
}

interface SmtpFailure { code?: string; responseCode?: number; permanent?: boolean; message?: string }

/**
 * Permanent: an SMTP 5xx reply to this message (nodemailer sets `permanent`, e.g. 550 for a refused
 * recipient). Everything else is transient: the server unreachable, timeouts, 4xx replies, and failed
 * authentication, which is the configuration's fault and not the message's.
 */
function classify(err: unknown): MailError {
  const e = (err ?? {}) as SmtpFailure;
  const permanent = e.permanent === true && e.code !== 'EAUTH';
  const text = [e.code, e.message ?? String(err)].filter(Boolean).join(': ');
  return new MailError(maskAddresses(text), permanent, e.responseCode);
}

/** Replaces email addresses in a text (an SMTP reply, an error) so it carries no personal data. */
export function maskAddresses(text: string): string {
  return text.replace(/[^\s<>()[\]",;:@]+@[^\s<>()[\]",;:@]+/g, '<address>');
}
