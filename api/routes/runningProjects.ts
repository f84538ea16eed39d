// The running projects per portfolio, as the council follows them: JSON, CSV or a printable page.
import { z } from 'zod';
import { portfolioNames, runningCases } from '../../db/oversight';
import { runningProjects } from '../../oversight/runningProjects';
import type { AppDeps } from '../services';
import { defineOperation, type Operation } from '../operation';
import { boundedCases } from '../overviews';
import { renderPage } from '../pages';
import { representation, sendCsv, sendHtml } from '../representation';
import { runningProjectsSchema } from '../schemas/oversight';

const CSV_COLUMNS = [
  'portfolio', 'caseId', 'title', 'organisation', 'stage', 'terminated', 'grantedAmount', 'spentToDate', 'spentOfGrantPercent', 'forecastTotalCost',
  'forecastEndDate', 'plannedEnd', 'lastReport', 'time', 'cost', 'scope', 'openDeviations', 'openChangeRequests', 'lateReports',
] as const;

export function runningProjectOperations({ db, config }: AppDeps): Operation[] {
  return [
    defineOperation({
      id: 'runningProjects', method: 'get', path: '/running-projects', tag: 'Follow-up', access: ['officer', 'council', 'auditor'],
      summary: 'Running projects per portfolio: last traffic lights, spent against grant, forecast, open deviations and change requests, late reports',
      description: 'Running: in execution, or in closure with the final report not yet approved. Accept: text/csv gives one row per project, text/html the printable page (Swedish). '
        + 'More running projects than OVERVIEW_MAX_CASES in one answer is a 422 (overview-too-broad): name a portfolio.',
      query: z.strictObject({ portfolio: z.string().min(1).max(50).optional() }),
      success: {
        status: 200, description: 'The overview', schema: runningProjectsSchema,
        alternatives: [
          { contentType: 'text/csv', schema: z.string().describe(`Columns: ${CSV_COLUMNS.join(', ')}`) },
          { contentType: 'text/html', schema: z.string().describe('The printable page') },
        ],
      },
      problems: ['rule-violation'],
      handler: async ({ req, res, query }) => {
        const [rows, portfolios] = await Promise.all([
          boundedCases(config, (limit) => runningCases(db, query, limit), 'name a portfolio'), portfolioNames(db),
        ]);
        const items = runningProjects(rows, portfolios);
        const as = representation(req, ['json', 'csv', 'html']);
        if (as === 'json') return { items };
        if (as === 'html') {
          sendHtml(res, renderPage('running-projects', 'Pågående projekt', { items }));
          return undefined;
        }
        sendCsv(res, 'pagaende-projekt.csv', CSV_COLUMNS, items.flatMap((p) => p.projects.map((x) => [
          p.portfolio.id, x.caseId, x.title, x.organisation, x.stage, x.terminated, x.grantedAmount, x.spentToDate, x.spentOfGrantPercent, x.forecastTotalCost,
          x.forecastEndDate, x.plannedEnd, x.lastReport?.id, x.lastReport?.time, x.lastReport?.cost, x.lastReport?.scope,
          x.openDeviations.length, x.openChangeRequests.length, x.lateReports.map((r) => r.id).join(' '),
        ])));
        return undefined;
      },
    }),
  ];
}
