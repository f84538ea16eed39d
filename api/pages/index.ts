// The printable pages: server-rendered HTML in Swedish from the same figures the JSON answers give, with
// eta templates (templates/*.eta, HTML-escaped by default) and plots as inline SVG (charts.ts). A page
// needs no script and no other file: it reads on a screen and prints on paper as it is.
import path from 'node:path';
import { Eta } from 'eta';
import { formatAmount, formatDate, formatDateTime } from '../../activities/templates/format';
import type { Stage } from '../../workflows/types';
import { barChart } from './charts';

const eta = new Eta({ views: path.join(__dirname, 'templates'), cache: true, autoEscape: true, autoTrim: [false, 'nl'] });

const STAGE: Record<Stage, string> = {
  idea: 'Idéskiss', application: 'Ansökan', preparation: 'Beredning', completion: 'Komplettering', council: 'Utvecklingsrådet',
  decision: 'Beslut', execution: 'Genomförande', closure: 'Avslut', followUp: 'Effekthemtagning', completed: 'Avslutat',
  rejected: 'Avslaget', redirected: 'Hänvisat', lapsed: 'Förfallet', withdrawn: 'Återkallat', terminated: 'Avbrutet',
};

/** What every template may use to write numbers, dates and codes the Swedish way. */
const sv = {
  sek: (n: number | null | undefined) => (n === null || n === undefined ? '–' : formatAmount(n, 'sv')),
  date: (d: string | null | undefined) => (d ? formatDate(d, 'sv') : '–'),
  dateTime: (d: string) => formatDateTime(d, 'sv'),
  days: (n: number | null | undefined) => (n === null || n === undefined ? '–' : `${new Intl.NumberFormat('sv-SE', { maximumFractionDigits: 1 }).format(n)} d`),
  percent: (n: number | null | undefined) => (n === null || n === undefined ? '–' : `${n} %`),
  share: (n: number | null | undefined) => (n === null || n === undefined ? '–' : `${Math.round(n * 100)} %`),
  stage: (s: Stage) => STAGE[s] ?? s,
  kind: (k: string | null) => (k === 'feasibility' ? 'Förstudie' : k === 'implementation' ? 'Genomförande' : '–'),
  light: (l: string) => ({ green: 'grön', yellow: 'gul', red: 'röd' })[l] ?? l,
};

export type PageName = 'meeting-pack' | 'running-projects' | 'dashboard';

/** A whole HTML document; `data` is the endpoint's JSON answer. */
export function renderPage(name: PageName, title: string, data: object, now = new Date()): string {
  return eta.render(`./${name}`, { ...data, title, sv, chart: barChart, printedAt: sv.dateTime(now.toISOString()) });
}
