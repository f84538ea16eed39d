// A real SMTP server in-process: keeps every message it accepts (decoded enough to assert on), refuses
// recipients matching `refuse` with 550, and can be stopped and started again on the same port to play
// an outage.
import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  /** The SMTP envelope: who the message was actually delivered to. */
  from: string;
  to: string[];
  /** Lower-case header names; folded lines joined, encoded words decoded. */
  headers: Record<string, string>;
  subject: string;
  messageId: string;
  /** The Content-Language header. */
  language: string | undefined;
  text: string | undefined;
  html: string | undefined;
  raw: string;
}

export interface TestSmtpServer {
  port: number;
  url: string;
  received: ReceivedEmail[];
  /** Recipients matching this are refused with 550; change it at any time. */
  refuse: RegExp | undefined;
  /** Messages delivered to this address. */
  to(address: string): ReceivedEmail[];
  /** The server goes away: connections are refused until start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpServer(opts: { refuse?: RegExp } = {}): Promise<TestSmtpServer> {
  const received: ReceivedEmail[] = [];
  let server: SMTPServer | undefined;
  let port = 0;

  const handle: TestSmtpServer = {
    get port() { return port; },
    get url() { return `smtp://127.0.0.1:${port}`; },
    received,
    refuse: opts.refuse,
    to: (address) => received.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase())),
    async start() {
      if (server) return;
      const s = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onRcptTo(address, _session, callback) {
          if (handle.refuse?.test(address.address)) {
            callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: mailbox unavailable`), { responseCode: 550 }));
            return;
          }
          callback();
        },
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            const envelopeFrom = session.envelope.mailFrom;
            received.push({
              ...parseEmail(raw),
              from: envelopeFrom ? envelopeFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
            });
            callback();
          });
        },
      });
      await new Promise<void>((resolve, reject) => {
        s.server.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      const address = s.server.address();
      if (address && typeof address === 'object') port = address.port;
      server = s;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    close: () => handle.stop(),
  };
  await handle.start();
  return handle;
}

// ---- a minimal MIME reader: headers, encoded words, multipart, quoted-printable and base64 -------------

type Parsed = Omit<ReceivedEmail, 'from' | 'to'>;

export function parseEmail(raw: string): Parsed {
  const { headers, body } = splitEntity(raw);
  const parts = leafParts(headers, body);
  return {
    headers,
    subject: headers.subject ?? '',
    messageId: headers['message-id'] ?? '',
    language: headers['content-language'],
    text: parts.find((p) => p.type === 'text/plain')?.content,
    html: parts.find((p) => p.type === 'text/html')?.content,
    raw,
  };
}

function splitEntity(entity: string): { headers: Record<string, string>; body: string } {
  const m = /\r?\n\r?\n/.exec(entity);
  const head = m ? entity.slice(0, m.index) : entity;
  const body = m ? entity.slice(m.index + m[0].length) : '';
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = decodeWords(line.slice(i + 1).trim());
  }
  return { headers, body };
}

function leafParts(headers: Record<string, string>, body: string): { type: string; content: string }[] {
  const contentType = headers['content-type'] ?? 'text/plain';
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (!boundary) return [];
    const sections = body.split(`--${boundary}`).slice(1);
    return sections
      .filter((s) => !s.startsWith('--'))
      .flatMap((s) => {
        // The line break before a delimiter belongs to the delimiter, not to the part.
        const part = splitEntity(s.replace(/^\r?\n/, '').replace(/\r?\n$/, ''));
        return leafParts(part.headers, part.body);
      });
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const bytes = encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
    : encoding === 'quoted-printable' ? quotedPrintable(body.replace(/=\r?\n/g, ''))
      : Buffer.from(body, 'utf8');
  return [{ type, content: bytes.toString('utf8').replace(/\r\n/g, '\n') }];
}

function quotedPrintable(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047: adjacent encoded words are joined (the space between them is not part of the text). */
function decodeWords(value: string): string {
  const word = /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g;
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/(?:=\?[^?]+\?[QqBb]\?[^?]*\?=)+/g, (run) => {
      const bytes = [...run.matchAll(word)].map(([, , enc, data]) => (enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64')
        : quotedPrintable(data.replace(/_/g, ' '))));
      return Buffer.concat(bytes).toString('utf8');
    });
}
