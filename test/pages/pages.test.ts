// The printable pages in a real browser: Debian's Chromium driven by playwright-core opens the meeting pack,
// the running projects and the dashboard as a person would, and this test checks what that person sees. A
// screenshot of each (and the pack as a PDF, as it prints) is kept in test-artifacts/.
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { formatAmount } from '../../activities/templates/format';
import { frameReservations } from '../../db/schema';
import { CHROMIUM_ARGS, resolveChromium } from '../../tooling/chromium';
import { stockholmYear } from '../../workflows/calendar';
import { apiHarness, type ApiHarness, type CallerName } from '../api/support';
import { actors, application, CaseStory } from '../support/steps';

const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');
const Y = stockholmYear(Date.now());
const M = 'UR-2026-05-20';
const kr = (n: number) => formatAmount(n, 'sv');

let h: ApiHarness;
let server: Server;
let base: string;
let browser: BrowserContext;
let profile: string;

/** A case on the meeting's agenda with the council's priority, asking this year's money of p1. */
async function ranked(id: string, organisation: string, cost: number, priority: number) {
  const story = new CaseStory(id, { organisation, title: `Ärende ${id}` });
  await h.record(story.started());
  await h.record(story.screen('approve'));
  await h.record(story.submitApplication(application({ totalCost: cost, costPerYear: { [Y]: cost }, plannedStart: `${Y}-03-01`, plannedEnd: `${Y}-12-31`, savingsClaims: [] })));
  await h.record(story.recommend());
  await h.record(story.scheduleCouncil(M));
  await h.record(story.step('council-opinion', { actor: actors.council, view: { stage: 'decision', council: { meetingId: M, opinion: 'recommend', priority, by: 'rolf', at: story.nextAt } } }));
}

beforeAll(async () => {
  h = await apiHarness();
  expect((await h.post('/api/v1/council/meetings', 'officer', { date: '2026-05-20', title: 'Utvecklingsrådet maj' })).status).toBe(201);
  await h.database.db.insert(frameReservations).values({ caseId: 'PK-2025-0999', portfolioId: 'p1', year: Y, amount: 5_000_000 });
  // Recorded in the opposite order of their priority: the page sorts them.
  await ranked('PK-2026-0301', 'utbildning', 30_000_000, 2);
  await ranked('PK-2026-0302', 'stadsbyggnad', 15_000_000, 1);

  const running = new CaseStory('PK-2026-0303', { title: 'Försörjningsstöd digitalt' });
  for (const s of running.toExecution()) await h.record(s);
  const [r1, ...rest] = running.view.reports;
  await h.record(running.step('submit-report', {
    actor: actors.applicant,
    view: { reports: [{ ...r1, status: 'received', receivedAt: r1.dueAt, content: { time: 'green', cost: 'red', scope: 'yellow', spentToDate: 1_400_000, forecastTotalCost: 3_100_000, forecastEndDate: '2027-08-31' } }, ...rest] },
  }));
  await h.record(running.reportOverdue('r2'));

  server = h.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1`;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  browser = await chromium.launchPersistentContext(profile, { executablePath: resolveChromium(), headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await h?.close();
});

/** Opens a page as the caller would, with their token; the browser asks for HTML as browsers do. */
async function open(url: string, who: CallerName): Promise<Page> {
  const page = await browser.newPage();
  await page.setExtraHTTPHeaders({ Authorization: await h.auth(who) });
  const res = await page.goto(`${base}${url}`);
  expect(res?.status()).toBe(200);
  expect(res?.headers()['content-type']).toContain('text/html');
  return page;
}

test("the meeting pack: the meeting's cases in priority order with the frame left after the cases ahead", async () => {
  const page = await open(`/council/meetings/${M}/pack`, 'council');
  await expect(page.title()).resolves.toBe(`Underlag ${M}`);
  expect(await page.locator('h1').innerText()).toBe('Utvecklingsrådet – underlag för mötet 20 maj 2026');
  const rows = page.locator('section[data-portfolio="p1"] tr.case');
  expect(await rows.locator('td:nth-child(2) strong').allInnerTexts()).toEqual(['PK-2026-0302', 'PK-2026-0301']);
  expect(await rows.locator('td:nth-child(1)').allInnerTexts()).toEqual(['1', '2']);
  // 40 mnkr this year, 5 held by another case: 35 left before the first case, 20 after it; the second does not fit.
  expect(await rows.locator('td.frame-left').allInnerTexts()).toEqual([
    `${Y}: ${kr(35_000_000)} → ${kr(20_000_000)}`,
    `${Y}: ${kr(20_000_000)} → ${kr(-10_000_000)}\nRyms inte`,
  ]);
  expect(await rows.nth(0).locator('td:nth-child(3)').innerText()).toBe('Stadsbyggnadskontoret');
  const chart = page.locator('section[data-portfolio="p1"] svg.chart');
  expect((await chart.boundingBox())?.width).toBeGreaterThan(300);
  expect(await chart.locator('rect.over').count()).toBeGreaterThan(0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'meeting-pack.png'), fullPage: true });
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ path: path.join(ARTIFACTS, 'meeting-pack.pdf'), landscape: true, printBackground: true });
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  await page.close();
});

test('running projects: traffic lights, spent against grant, late reports', async () => {
  const page = await open('/running-projects', 'officer');
  const row = page.locator('tr.project[data-case="PK-2026-0303"]');
  expect(await row.locator('td:nth-child(3)').innerText()).toContain('Kostnad: röd');
  expect(await row.locator('.light.red').count()).toBe(1);
  expect(await row.locator('td:nth-child(4)').innerText()).toBe(`${kr(1_400_000)} / ${kr(2_800_000)}\n50 %`);
  expect(await row.locator('td:nth-child(9)').innerText()).toBe('r2, senast 15 september 2026');
  await page.screenshot({ path: path.join(ARTIFACTS, 'running-projects.png'), fullPage: true });
  await page.close();
});

test('the dashboard: lead times and frame use as plots', async () => {
  const page = await open('/dashboard', 'council');
  expect(await page.locator('svg.chart').count()).toBe(2);
  expect(await page.locator('section.lead-times svg.chart rect.city').count()).toBeGreaterThan(0);
  expect(await page.locator('section.lead-times table.by-stage').innerText()).toContain('Beredning');
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  await page.close();
});
