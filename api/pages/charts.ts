// Plots as inline SVG for the printable pages: horizontal bars, one row per label, each row one or more
// segments side by side from zero. No script, no external file: the page prints as it shows.
import { escapeHtml } from '../../activities/templates/render';

export interface Segment { value: number; kind: string; title: string }
export interface BarRow { label: string; segments: Segment[]; note?: string }

const ROW = 26;
const LABEL = 230;
const WIDTH = 720;
const NOTE = 150;

/** Stacked horizontal bars; a negative segment is drawn as zero (its note tells the number). */
export function barChart(title: string, rows: BarRow[], legend: { kind: string; text: string }[]): string {
  const plot = WIDTH - LABEL - NOTE;
  const max = Math.max(1, ...rows.map((r) => r.segments.reduce((n, s) => n + Math.max(0, s.value), 0)));
  const height = rows.length * ROW + 34;
  const bars = rows.map((r, i) => {
    const y = 8 + i * ROW;
    let x = LABEL;
    const rects = r.segments.map((s) => {
      const w = (Math.max(0, s.value) / max) * plot;
      const rect = `<rect class="${escapeHtml(s.kind)}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 8}"><title>${escapeHtml(s.title)}</title></rect>`;
      x += w;
      return rect;
    }).join('');
    return `<text x="${LABEL - 8}" y="${y + ROW / 2}" text-anchor="end">${escapeHtml(r.label)}</text>${rects}`
      + (r.note ? `<text x="${WIDTH - NOTE + 8}" y="${y + ROW / 2}">${escapeHtml(r.note)}</text>` : '');
  }).join('');
  const keys = legend.map((l, i) => `<rect class="${escapeHtml(l.kind)}" x="${LABEL + i * 170}" y="${height - 20}" width="12" height="12"/>`
    + `<text x="${LABEL + i * 170 + 18}" y="${height - 10}">${escapeHtml(l.text)}</text>`).join('');
  return `<svg class="chart" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${WIDTH} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">`
    + `<title>${escapeHtml(title)}</title>${bars}${keys}</svg>`;
}
