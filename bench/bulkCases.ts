// Loads the read model with many cases straight into `cases` (generate_series), for the list and read
// benchmarks: no workflows behind them. Each row's view is a realistic CaseView for its stage (a running
// project carries its reports, a finished one all ~38 of them), spread over stages, portfolios,
// organisations and six years of creation dates the way a mature project office would have them.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { SEED_ORGANISATIONS } from '../db/seed';
import { DEFAULT_RULES } from '../workflows/defaults';
import { endOfStockholmDay, startOfStockholmDay } from '../workflows/calendar';
import { calendarReports, makeReport, sixWeekReport } from '../workflows/reportCalendar';
import { LATEST } from '../workflows/editions';
import { applicantStatus } from '../workflows/status';
import { TERMINAL_STAGES, type CaseView, type Report, type RuleSet, type Stage } from '../workflows/types';

/** Share of cases per stage, in per mille: most of six years' cases have ended one way or another. */
const STAGE_WEIGHTS: Record<Stage, number> = {
  completed: 280, execution: 150, rejected: 120, followUp: 80, redirected: 50, lapsed: 50, application: 40, preparation: 40,
  closure: 30, idea: 30, withdrawn: 30, decision: 30, council: 20, terminated: 20, completion: 10,
};
const PORTFOLIO_WEIGHTS = { p1: 30, p2: 25, p3: 20, p4: 15, p5: 10 };
const ORGANISATION_WEIGHTS = [25, 20, 15, 15, 10, 10, 5];

/** Words of case titles: `q=` searches hit a realistic share of them. */
export const TITLE_HEADS = ['E-tjänst för', 'Digital', 'Automatiserad', 'Ny plattform för', 'Mobil app för', 'Samordnad', 'Öppna data om', 'Självservice för'];
export const TITLE_SUBJECTS = [
  'skolval', 'bygglov', 'färdtjänst', 'bostadsanpassning', 'försörjningsstöd', 'parkeringstillstånd', 'felanmälan', 'förskoleplats',
  'avfallshantering', 'serveringstillstånd', 'hemtjänst', 'vattenmätning', 'ledningsrätt', 'fiberanslutning', 'kulturstöd', 'idrottsbokning',
  'ärendehantering', 'fakturering', 'diarieföring', 'rekrytering',
];

const slots = <K extends string>(weights: Record<K, number>): K[] =>
  (Object.entries(weights) as [K, number][]).flatMap(([k, n]) => Array<K>(n).fill(k));

const withApplication = (stage: Stage) => !['idea', 'application', 'redirected', 'lapsed', 'withdrawn'].includes(stage);
const decided = (stage: Stage) => ['execution', 'closure', 'followUp', 'completed', 'terminated', 'rejected'].includes(stage);
const granted = (stage: Stage) => ['execution', 'closure', 'followUp', 'completed', 'terminated'].includes(stage);

const RULES: RuleSet = { version: 1, ...DEFAULT_RULES };
const at = (date: string) => `${date}T09:00:00.000Z`;

/** A three-year project's reports as they stand in the given stage. */
function reportsFor(stage: Stage): Report[] {
  if (!granted(stage)) return [];
  const start = startOfStockholmDay('2027-01-01');
  const end = endOfStockholmDay('2029-12-31');
  const all: Report[] = [];
  for (let k = 1; ; k++) {
    const r = sixWeekReport(k, { first: 1, startAt: start }, end, RULES);
    if (!r) break;
    all.push(r);
  }
  all.push(...calendarReports(start, end, RULES).filter((r) => r.id !== 'Y-2029'));
  all.sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  const received = (r: Report): Report => ({
    ...r, status: 'received', receivedAt: r.dueAt,
    content: { time: 'green', cost: 'green', scope: 'yellow', spentToDate: 1_500_000, forecastTotalCost: 5_000_000, forecastEndDate: '2029-12-31', risks: 'Leverantörens bemanning' },
  });
  const final = makeReport('F', 'final', start, end, endOfStockholmDay('2030-02-11'), false);
  const effect = (id: string, due: string) => makeReport(id, 'effect', endOfStockholmDay('2030-03-01'), endOfStockholmDay(due), endOfStockholmDay(due), false);
  switch (stage) {
    case 'execution': return all.slice(0, 18).map((r, i) => (i < 15 ? received(r) : i === 15 ? { ...r, status: 'due' } : r));
    case 'terminated': return [...all.slice(0, 8).map(received), received(final)];
    case 'closure': return [...all.map(received), { ...final, status: 'due' }];
    case 'followUp': return [...all.map(received), received(final), received(effect('E1', '2030-09-01')), effect('E2', '2031-03-01')];
    default: return [...all.map(received), received(final), received(effect('E1', '2030-09-01')), received(effect('E2', '2031-03-01'))];
  }
}

/** The case view of a typical case in this stage; id, title, organisation, portfolio and dates are set per row. */
export function templateView(stage: Stage): CaseView {
  const applied = withApplication(stage);
  const view: CaseView = {
    id: '', title: '', organisation: '', portfolio: applied ? 'p1' : null, kind: applied ? 'implementation' : null, stage,
    applicantStatus: { code: '', text: { sv: '', en: '' } },
    idea: {
      title: '', need: 'Handläggningen sker på papper och tar veckor', idea: 'En e-tjänst med automatisk kontroll mot registren',
      expectedBenefits: 'Kortare handläggningstid och färre fel', roughCost: 5_000_000, organisation: '',
      contact: { name: 'Anna Andersson', email: 'anna@utbildning.example' }, language: 'sv',
      ...(stage === 'idea' ? {} : { screening: { outcome: stage === 'redirected' ? 'redirect' : 'approve', coach: 'Carl Coach', by: 'karin', at: at('2026-01-20') } }),
    },
    application: applied ? {
      portfolio: 'p1', kind: 'implementation', totalCost: 5_000_000, costPerYear: { 2027: 2_000_000, 2028: 2_000_000, 2029: 1_000_000 },
      plannedStart: '2027-01-01', plannedEnd: '2029-12-31', projectLeader: 'Lena Projektledare',
      benefits: { citizenBenefit: 3_000_000, businessBenefit: 1_500_000, developmentCost: 5_000_000, operationCost: 300_000, expectedUsers: 20_000 },
      savingsClaims: [{ key: 'utbildning:pappershantering', description: 'Pappershantering', amountPerYear: 400_000 }],
      owner: { name: 'Förvaltningsdirektören', managementObject: 'Ärendehantering', operationCostAccepted: true },
      realisationPlan: 'Mäts via e-tjänstens statistik', accessibility: 'WCAG 2.1 AA', security: 'Säkerhetsklass 2',
      submittedAt: at('2026-03-01'), round: 1,
    } : null,
    assignment: applied ? { coach: 'Carl Coach', preparationGroup: 'Beredningsgrupp 2' } : null,
    valuation: applied && stage !== 'preparation' ? { citizenBenefit: 2_500_000, businessBenefit: 1_200_000, developmentCost: 5_100_000, operationCost: 300_000, by: 'vera', at: at('2026-03-20') } : null,
    doubleCount: [],
    completionRequests: stage === 'completion' ? [{ missing: ['Driftkostnad per år'], dueDate: '2026-04-10', dueAt: at('2026-04-10'), requestedAt: at('2026-03-20'), by: 'petra' }] : [],
    preparation: decided(stage) || ['council', 'decision'].includes(stage) ? { recommendation: 'support', motivation: 'God nytta för medborgarna', by: 'petra', at: at('2026-04-01') } : null,
    council: decided(stage) || stage === 'decision' ? { meetingId: 'UR-2026-05', opinion: 'recommend', priority: 2, by: 'rolf', at: at('2026-05-20') } : null,
    budgetCheck: decided(stage) ? { outcome: 'ok', by: 'berit', at: at('2026-06-01') } : null,
    decision: decided(stage) ? {
      outcome: stage === 'rejected' ? 'reject' : 'approve', motivation: 'Hög nytta i förhållande till kostnaden', tier: 'stadsdirektor', by: 'stina', at: at('2026-06-15'),
      ...(stage === 'rejected' ? {} : { grantedAmount: 5_000_000, conditions: 'Rapportera enligt plan', projectStart: '2027-01-01' }),
    } : null,
    grantedAmount: granted(stage) ? 5_000_000 : null,
    decisionTier: applied ? 'stadsdirektor' : null,
    grantTier: granted(stage) ? 'stadsdirektor' : null,
    terminated: stage === 'terminated' ? { by: 'stina', at: at('2028-02-01'), motivation: 'Verksamheten har ändrat inriktning' } : null,
    plannedEnd: applied ? '2029-12-31' : null,
    reports: reportsFor(stage),
    deviations: [],
    changeRequests: granted(stage) && stage !== 'execution' ? [{
      id: 'C1', requestedBy: 'anna', requestedAt: at('2028-03-01'), reason: 'Leverantören försenad', newEndDate: '2029-12-31',
      tier: 'stadsdirektor', status: 'approved', decidedAt: at('2028-03-15'), decidedBy: 'stina', motivation: 'Rimligt',
    }] : [],
    finalReport: ['followUp', 'completed', 'terminated'].includes(stage) ? {
      outcome: 'E-tjänsten är i drift', finalCost: 4_900_000, deliveredAgainstPlan: 'Enligt plan', handoverConfirmed: true,
      supportArrangement: 'Förvaltningsobjekt', followUpPlan: 'Effekthemtagning efter 6 och 12 månader', submittedAt: at('2030-01-20'),
    } : null,
    closure: ['followUp', 'completed'].includes(stage) ? { by: 'karin', at: at('2030-03-01'), comment: 'Godkänd' } : null,
    deadlines: [],
    ruleSetVersion: 1, language: 'sv', createdAt: '', updatedAt: '', closedAt: TERMINAL_STAGES.includes(stage) ? at('2030-03-01') : null,
    seq: 12,
  };
  view.deadlines = view.reports.filter((r) => r.status !== 'received').map((r) => ({ what: `report ${r.id}`, from: 'applicant' as const, by: r.dueAt }));
  if (stage === 'application') view.deadlines = [{ what: 'application', from: 'applicant', by: at('2026-04-20') }];
  view.applicantStatus = applicantStatus(view, LATEST);
  view.seq = 8 + view.reports.filter((r) => r.status !== 'scheduled').length * 2;
  return view;
}

/**
 * Inserts `count` cases, rows first..first+count-1, with ids PK-<year of creation>-<nnnnnn> (years before any
 * live case's), newest last. The stage, portfolio, organisation and title of row n come from independent hashes of n.
 */
/** Rows inserted by one statement. */
const LOAD_SLICE = 50_000;

export async function loadCases(db: Db, count: number, first = 1): Promise<void> {
  const stages = Object.keys(STAGE_WEIGHTS) as Stage[];
  const templates = stages.map((s) => JSON.stringify(templateView(s)));
  const organisations = ORGANISATION_WEIGHTS.flatMap((n, i) => Array<string>(n).fill(SEED_ORGANISATIONS[i].id as string));
  const pick = (list: readonly string[], salt: number) => sql`(${sql.raw(pgArray(list))})[1 + abs(hashint4(n + ${salt}::int)::bigint) % ${list.length}::int]`;
  const end = first + count;
  // In slices, each well inside the statement timeout the application's connections keep (30 s by default).
  for (let from = first; from < end; from += LOAD_SLICE) {
    await insertSlice(from, Math.min(from + LOAD_SLICE, end) - 1);
  }

  async function insertSlice(from: number, to: number): Promise<void> {
    await db.execute(sql`
      WITH spec AS (
        SELECT n,
          ${pick(slots(STAGE_WEIGHTS), 0)} AS stage,
          ${pick(slots(PORTFOLIO_WEIGHTS), 7_000_001)} AS portfolio,
          ${pick(organisations, 14_000_003)} AS organisation,
          ${pick(TITLE_HEADS, 21_000_007)} || ' ' || ${pick(TITLE_SUBJECTS, 28_000_009)} AS title,
          -- six years of cases up to a month ago, oldest first
          now() - interval '30 days' - (${end}::int - n) * (interval '6 years' / ${end}::int) AS created
        FROM generate_series(${from}::int, ${to}::int) AS n
      ), template AS (
        SELECT * FROM unnest(${sql.raw(pgArray(stages))}::text[], ${sql.raw(pgArray(templates))}::jsonb[]) AS t(stage, view)
      ), rows AS (
        SELECT spec.*, 'PK-' || extract(year FROM created)::int || '-' || lpad(n::text, greatest(6, length(n::text)), '0') AS id,
          CASE WHEN template.view->'application' = 'null'::jsonb THEN NULL ELSE spec.portfolio END AS chosen_portfolio,
          template.view
        FROM spec JOIN template USING (stage)
      )
      INSERT INTO cases (id, title, organisation, portfolio, kind, stage, applicant_status, rule_set_version, granted_amount, view, seq,
        created_at, updated_at, application_at, decision_at, project_start, closed_at)
      SELECT id, title, organisation, chosen_portfolio, view->>'kind', stage, view#>>'{applicantStatus,code}', 1,
        (view->>'grantedAmount')::bigint,
        view || jsonb_build_object('id', id, 'title', title, 'organisation', organisation, 'portfolio', chosen_portfolio,
          'createdAt', to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'updatedAt', to_char((created + interval '20 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'idea', (view->'idea') || jsonb_build_object('title', title, 'organisation', organisation)),
        (view->>'seq')::int, created, created + interval '20 days',
        CASE WHEN view->'application' <> 'null'::jsonb THEN created + interval '40 days' END,
        CASE WHEN view->'decision' <> 'null'::jsonb THEN created + interval '120 days' END,
        CASE WHEN view->'grantedAmount' <> 'null'::jsonb THEN (created + interval '200 days')::date END,
        CASE WHEN view->'closedAt' <> 'null'::jsonb THEN created + interval '3 years' END
      FROM rows
    `);
  }
  await db.execute(sql`ANALYZE cases`);
}

/** A literal SQL array of text: the values are ours (stage names, JSON templates), quoted for SQL anyway. */
function pgArray(values: readonly string[]): string {
  return `ARRAY[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')}]`;
}
