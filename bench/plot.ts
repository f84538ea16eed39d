// bench/growth.svg from a run's growth figures: small line charts drawn as plain SVG, no dependencies.
// Panels: actions per s and p99 against open cases; the same against the cache size; GET p99 against the
// read model's size. One line per back end (and for GET, the bare route beside ours).
import type { BackendResult } from './report';

interface Series { name: string; color: string; dashed?: boolean; points: [number, number][] }
interface Panel { title: string; x: string; y: string; logX: boolean; series: Series[] }

const W = 330;
const H = 250;
const PAD = { left: 52, right: 12, top: 30, bottom: 62 };
const COLORS = { postgres: '#1f77b4', pglite: '#d62728' };

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const short = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1_000 ? `${n / 1_000}k` : `${Math.round(n * 10) / 10}`);

/** Round ticks from 0 up to the first at or above max. */
function ticks(max: number): number[] {
  const step = 10 ** Math.floor(Math.log10(max || 1));
  const unit = [1, 2, 5, 10].map((m) => m * step).find((u) => max / u <= 5) ?? step * 10;
  return Array.from({ length: Math.ceil(max / unit) + 1 }, (_, i) => i * unit);
}

function panel(p: Panel, ox: number): string {
  const all = p.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const body = [`<text x="${ox + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`];
  if (all.length === 0) return [...body, `<text x="${ox + W / 2}" y="${H / 2}" text-anchor="middle">not measured</text>`].join('');
  const xs = all.map(([x]) => x);
  const [x0, x1] = p.logX ? [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))] : [0, Math.max(...xs)];
  const yTicks = ticks(Math.max(...all.map(([, y]) => y)) * 1.1);
  const yMax = yTicks[yTicks.length - 1] || 1;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const sx = (x: number) => ox + PAD.left + (x1 === x0 ? plotW / 2 : (((p.logX ? Math.log10(x) : x) - x0) / (x1 - x0)) * plotW);
  const sy = (y: number) => PAD.top + plotH - (y / yMax) * plotH;
  body.push(`<rect x="${ox + PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (const t of yTicks) body.push(`<text x="${ox + PAD.left - 4}" y="${sy(t) + 4}" text-anchor="end">${short(t)}</text><line x1="${ox + PAD.left}" x2="${ox + W - PAD.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) body.push(`<text x="${sx(x)}" y="${PAD.top + plotH + 14}" text-anchor="middle">${short(x)}</text>`);
  body.push(`<text x="${ox + PAD.left + plotW / 2}" y="${PAD.top + plotH + 30}" text-anchor="middle">${esc(p.x)}</text>`);
  body.push(`<text transform="translate(${ox + 12},${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(p.y)}</text>`);
  p.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    const dash = s.dashed ? ' stroke-dasharray="5,3"' : '';
    if (pts.length > 1) body.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) body.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = H - 18 + (i % 2) * 12;
    const lx = ox + PAD.left + Math.floor(i / 2) * 140;
    body.push(`<line x1="${lx}" x2="${lx + 16}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${dash}/><text x="${lx + 20}" y="${ly}">${esc(s.name)}</text>`);
  });
  return body.join('');
}

export function growthSvg(results: BackendResult[]): string {
  const label = (r: BackendResult) => (r.backend === 'postgres' ? 'PostgreSQL' : 'PGlite');
  const opened = (r: BackendResult) => r.growth.filter((g) => g.startsPerSecond !== undefined && g.actions);
  const byCache = (r: BackendResult) => {
    const level = r.growth[0]?.openCases;
    return r.growth.filter((g) => g.openCases === level && g.actions);
  };
  const panels: Panel[] = [
    {
      title: 'Actions against open cases', x: 'open cases (log)', y: 'actions/s (solid), p99 ms / 10 (dashed)', logX: true,
      series: results.flatMap((r) => [
        { name: `${label(r)} /s`, color: COLORS[r.backend], points: opened(r).map((g): [number, number] => [g.openCases, g.actions!.perSecond]) },
        { name: `${label(r)} p99/10`, color: COLORS[r.backend], dashed: true, points: opened(r).map((g): [number, number] => [g.openCases, g.actions!.p99 / 10]) },
      ]),
    },
    {
      title: `Actions against cache size (${results.map(byCache).find((g) => g.length)?.[0]?.openCases ?? '?'} open)`,
      x: 'cached cases', y: 'actions/s (solid), p99 ms / 10 (dashed)', logX: false,
      series: results.filter((r) => byCache(r).length > 1).flatMap((r) => [
        { name: `${label(r)} /s`, color: COLORS[r.backend], points: byCache(r).map((g): [number, number] => [g.cachedCases, g.actions!.perSecond]) },
        { name: `${label(r)} p99/10`, color: COLORS[r.backend], dashed: true, points: byCache(r).map((g): [number, number] => [g.cachedCases, g.actions!.p99 / 10]) },
      ]),
    },
    {
      title: 'GET p99 against the read model', x: 'cases in the read model (log)', y: 'p99 ms', logX: true,
      series: results.filter((r) => r.readGrowth.length > 0).flatMap((r) => [
        { name: `${label(r)} GET /cases/{id}`, color: COLORS[r.backend], points: r.readGrowth.filter((g) => g.get).map((g): [number, number] => [g.rows, g.get!.p99]) },
        { name: `${label(r)} bare route`, color: COLORS[r.backend], dashed: true, points: r.readGrowth.filter((g) => g.ceiling).map((g): [number, number] => [g.rows, g.ceiling!.p99]) },
      ]),
    },
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H}" font-family="sans-serif" font-size="11">`
    + `<rect width="100%" height="100%" fill="white"/>${panels.map((p, i) => panel(p, i * W)).join('')}</svg>\n`;
}
