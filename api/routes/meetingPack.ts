// A council meeting's pack: every case on the agenda side by side, as JSON or as a printable page.
import { z } from 'zod';
import { packSources } from '../../db/councilPack';
import { meetingPack } from '../../oversight/pack';
import type { AppDeps } from '../services';
import { defineOperation, type Operation } from '../operation';
import { renderPage } from '../pages';
import { HttpProblem } from '../problems';
import { representation, sendHtml } from '../representation';
import { meetingPackSchema } from '../schemas/oversight';

export function meetingPackOperations({ db }: AppDeps): Operation[] {
  return [
    defineOperation({
      id: 'meetingPack', method: 'get', path: '/council/meetings/{id}/pack', tag: 'Council', access: ['officer', 'council', 'auditor'],
      summary: "The meeting's cases side by side, per portfolio in priority order, with the frame left after the cases ahead",
      description: 'Per case: organisation, portfolio, kind, amount applied for, central valuation, the preparation\'s recommendation, double-count flags, '
        + "the council's priority and opinion, and per year what is left of the portfolio's frame before and after it. Accept: text/html gives the printable page (Swedish).",
      params: z.strictObject({ id: z.string().min(1).max(100).describe('The meeting, e.g. UR-2026-12-10') }),
      success: {
        status: 200, description: 'The pack', schema: meetingPackSchema,
        alternatives: [{ contentType: 'text/html', schema: z.string().describe('The printable page') }],
      },
      problems: ['not-found'],
      handler: async ({ req, res, params }) => {
        const sources = await packSources(db, params.id);
        if (!sources) throw new HttpProblem('not-found', `No council meeting ${params.id}`);
        const pack = meetingPack(sources);
        if (representation(req, ['json', 'html']) === 'json') return pack;
        sendHtml(res, renderPage('meeting-pack', `Underlag ${pack.meeting.id}`, pack));
        return undefined;
      },
    }),
  ];
}
