// The catalogue: what every organisation develops, open to every signed-in user, applicants included. Only
// what is open to all (db/catalogue.ts): no valuations, budget remarks, council opinions or contact details.
import { z } from 'zod';
import { listCatalogue } from '../../db/catalogue';
import { STAGES } from '../../workflows/types';
import type { AppDeps } from '../services';
import { defineOperation, type Operation } from '../operation';
import { catalogueEntrySchema } from '../schemas/oversight';
import { listOf, paging } from '../schemas/lists';

export function catalogueOperations({ db }: AppDeps): Operation[] {
  return [
    defineOperation({
      id: 'catalogue', method: 'get', path: '/catalogue', tag: 'Cases', access: 'authenticated',
      summary: 'What all organisations develop: title, organisation, portfolio, stage, need, idea, expected benefits, project leader, outcome',
      description: 'Newest first. Open to every signed-in user; the case list (GET /cases) stays limited to an applicant\'s own organisation.',
      query: z.strictObject({
        q: z.string().max(200).optional().describe('Words of the case number, title, need, idea or expected benefits (prefix match)'),
        portfolio: z.string().max(50).optional(),
        organisation: z.string().max(100).optional(),
        stage: z.enum(STAGES).optional(),
        ...paging,
      }),
      success: { status: 200, description: 'A page of the catalogue', schema: listOf(catalogueEntrySchema, 'Catalogue') },
      handler: ({ query }) => listCatalogue(db, query, { limit: query.limit, cursor: query.cursor }),
    }),
  ];
}
