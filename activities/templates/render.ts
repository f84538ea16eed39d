// The email templates and their renderer. Per template and language two files beside this one:
// <template>.<lang>.txt (first line `Subject: ...`, then the plain-text body) and <template>.<lang>.html
// (the HTML body). _footer.<lang>.{txt,html} ends every email; labels.<lang>.json holds the words for codes
// (what was submitted, report types, steps). All are read once, at first use, and a missing file stops start-up.
//
// Syntax: {{name}} inserts a value (HTML-escaped in the HTML part; a list becomes "- " lines or <ul>; a table
// becomes aligned columns or a <table>);
// {{#name}}...{{/name}} keeps its content only when the value is present, {{^name}}...{{/name}} only when not.
// A name outside VARIABLES stops loading (a typo shows at start-up); a value missing at render time is left
// empty, so an intent short of data degrades one sentence and never blocks the step that sends it.
import fs from 'node:fs';
import path from 'node:path';
import type { Language } from '../../workflows/types';
import { EMAIL_TEMPLATES, type EmailTemplate } from '../../workflows/vocabulary';

/** Every template of the vocabulary: the loader requires each one's files. */
export const TEMPLATES: readonly EmailTemplate[] = EMAIL_TEMPLATES;
export const LANGUAGES: Language[] = ['sv', 'en'];

const VARIABLES = [
  'caseNumber', 'title', 'link', 'status', 'organisation', 'portfolio', 'what', 'next', 'handlingTime', 'period',
  'receivedAt', 'createdAt', 'dueDate', 'missing', 'reasons', 'reason', 'step', 'returned', 'keys', 'meeting',
  'requested', 'newTotal', 'newEnd', 'granted', 'projectStart', 'conditions', 'changeOutcome', 'failures',
  'evaluation', 'savingsEvaluation', 'expectations', 'evaluationLink',
] as const;

/** A table of text cells; `numeric` columns are right-aligned. */
export interface Table { columns: readonly string[]; rows: readonly (readonly string[])[]; numeric?: readonly boolean[] }
type Value = string | readonly string[] | Table;

export type Vars = Partial<Record<(typeof VARIABLES)[number], Value>>;

export interface RenderedEmail { subject: string; text: string; html: string }

export interface Templates {
  render(template: EmailTemplate, language: Language, vars: Vars): RenderedEmail;
  /** The word or sentence for a code, e.g. label('sv', 'what', 'idea') = 'idéskiss'; undefined when there is none. */
  label(language: Language, group: string, code: string): string | undefined;
}

interface Source { subject: string; text: string; html: string }

const loaded = new Map<string, Templates>();

export function loadTemplates(dir: string = __dirname): Templates {
  const cached = loaded.get(dir);
  if (cached) return cached;
  const read = (file: string) => {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const [, name] of source.matchAll(/\{\{[#^/]?([^}]*)\}\}/g)) {
      if (!(VARIABLES as readonly string[]).includes(name)) throw new Error(`${file}: unknown value {{${name}}}`);
    }
    return source;
  };
  const sources = new Map<string, Source>();
  const footers = new Map<Language, { text: string; html: string }>();
  const labels = new Map<Language, Record<string, Record<string, string>>>();
  for (const language of LANGUAGES) {
    footers.set(language, { text: read(`_footer.${language}.txt`), html: read(`_footer.${language}.html`) });
    labels.set(language, JSON.parse(read(`labels.${language}.json`)) as Record<string, Record<string, string>>);
    for (const template of TEMPLATES) {
      const file = `${template}.${language}.txt`;
      const [first, ...body] = read(file).split('\n');
      const subject = /^Subject: (.+)$/.exec(first)?.[1];
      if (!subject) throw new Error(`${file}: the first line must be "Subject: ..."`);
      sources.set(`${template}.${language}`, { subject, text: body.join('\n'), html: read(`${template}.${language}.html`) });
    }
  }

  const templates: Templates = {
    render(template, language, vars) {
      const source = sources.get(`${template}.${language}`);
      const footer = footers.get(language);
      if (!source || !footer) throw new Error(`no email template ${template}.${language}`);
      // A header is one line: a newline in a title, or a gap left by a missing value, must not show in it.
      const subject = fill(source.subject, vars, 'subject').replace(/\s+/g, ' ').trim();
      const text = tidy(`${fill(source.text, vars, 'text')}\n\n${fill(footer.text, vars, 'text')}`);
      const body = `${fill(source.html, vars, 'html').trim()}\n${fill(footer.html, vars, 'html').trim()}`;
      return { subject, text, html: page(language, subject, body) };
    },
    label: (language, group, code) => labels.get(language)?.[group]?.[code],
  };
  loaded.set(dir, templates);
  return templates;
}

type Part = 'subject' | 'text' | 'html';

function fill(source: string, vars: Vars, part: Part): string {
  const value = (name: string) => vars[name as keyof Vars];
  const section = /\{\{([#^])(\w+)\}\}([\s\S]*?)\{\{\/\2\}\}/g;
  let out = source;
  for (let before = ''; before !== out;) {
    before = out;
    out = out.replace(section, (_, kind: string, name: string, inner: string) => (present(value(name)) === (kind === '#') ? inner : ''));
  }
  return out.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const v = value(name);
    return present(v) ? format(v, part) : '';
  });
}

function present(value: Value | undefined): value is Value {
  if (value === undefined) return false;
  return isTable(value) ? value.rows.length > 0 : value.length > 0;
}

const isTable = (value: Value): value is Table => typeof value === 'object' && 'columns' in value;

function format(value: Value, part: Part): string {
  if (typeof value === 'string') return part === 'html' ? escapeHtml(value) : value;
  if (isTable(value)) return part === 'html' ? htmlTable(value) : part === 'text' ? textTable(value) : value.columns.join(', ');
  if (part === 'html') return `<ul>${value.map((v) => `<li>${escapeHtml(v)}</li>`).join('')}</ul>`;
  return part === 'subject' ? value.join(', ') : value.map((v) => `- ${v}`).join('\n');
}

/** Columns padded to their widest cell, numbers to the right: readable in a fixed-width mail reader and fine in others. */
function textTable({ columns, rows, numeric = [] }: Table): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function htmlTable({ columns, rows, numeric = [] }: Table): string {
  const cell = (tag: 'th' | 'td', text: string, i: number) =>
    `<${tag} style="border: 1px solid #bbb; padding: 4px 8px; text-align: ${numeric[i] ? 'right' : 'left'};">${escapeHtml(text)}</${tag}>`;
  return `<table style="border-collapse: collapse;"><thead><tr>${columns.map((c, i) => cell('th', c, i)).join('')}</tr></thead>`
    + `<tbody>${rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('')}</tbody></table>`;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Sections leave blank lines behind: at most one empty line in a row, no trailing spaces. */
function tidy(text: string): string {
  return `${text.split('\n').map((l) => l.trimEnd()).join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

function page(language: Language, subject: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<title>${escapeHtml(subject)}</title>
</head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.5; color: #1a1a1a;">
${body}
</body>
</html>
`;
}
