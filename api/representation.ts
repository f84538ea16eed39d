// The same answer as JSON, as CSV for a spreadsheet, or as a printable HTML page, chosen by the Accept header.
// JSON when the caller names none of those offered.
import { stringify } from 'csv-stringify/sync';
import type { Request, Response } from 'express';

export const MEDIA = { json: 'application/json', csv: 'text/csv', html: 'text/html' } as const;
export type Representation = keyof typeof MEDIA;

export function representation<R extends Representation>(req: Request, offered: readonly R[]): R {
  const chosen = req.accepts(offered.map((r) => MEDIA[r]));
  return (offered.find((r) => MEDIA[r] === chosen) ?? offered[0]);
}

/**
 * A CSV document (RFC 4180, UTF-8 with a byte order mark so spreadsheets read å, ä and ö) as a download, by
 * csv-stringify as the audit export: a cell a spreadsheet would take for a formula (=, +, -, @, tab, CR first)
 * gets a leading apostrophe.
 */
export function sendCsv(res: Response, filename: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): void {
  const body = stringify([columns, ...rows] as unknown[][], { bom: true, record_delimiter: 'windows', escape_formulas: true, cast: { number: String, boolean: String } });
  res.attachment(filename);
  res.status(200).type('text/csv; charset=utf-8').send(body);
}

export function sendHtml(res: Response, html: string): void {
  res.status(200).type('text/html; charset=utf-8').send(html);
}
