// The same answer as JSON, as CSV for a spreadsheet, or as a printable HTML page, chosen by the Accept header.
// JSON when the caller names none of those offered.
import type { Request, Response } from 'express';

export const MEDIA = { json: 'application/json', csv: 'text/csv', html: 'text/html' } as const;
export type Representation = keyof typeof MEDIA;

export function representation<R extends Representation>(req: Request, offered: readonly R[]): R {
  const chosen = req.accepts(offered.map((r) => MEDIA[r]));
  return (offered.find((r) => MEDIA[r] === chosen) ?? offered[0]);
}

/**
 * A CSV document (RFC 4180, UTF-8 with a byte order mark so spreadsheets read å, ä and ö) as a download. A cell
 * that a spreadsheet would take for a formula (=, +, -, @ first) is prefixed with an apostrophe.
 */
export function sendCsv(res: Response, filename: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): void {
  const field = (value: unknown) => {
    let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : String(value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const body = [columns, ...rows].map((r) => r.map(field).join(',')).join('\r\n');
  res.attachment(filename);
  res.status(200).type('text/csv; charset=utf-8').send(`\uFEFF${body}\r\n`);
}

export function sendHtml(res: Response, html: string): void {
  res.status(200).type('text/html; charset=utf-8').send(html);
}
