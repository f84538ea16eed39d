// The shape every list shares: a page of items and the cursor to the next, and the paging parameters
// (keyset paging, db/paging.ts).
import { z } from 'zod';

export const listOf = <T extends z.ZodType>(item: T, id: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last') }).meta({ id });

/** Paging parameters shared by every list. */
export const paging = {
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size, at most 200'),
  cursor: z.string().max(500).optional().describe("Opaque: the previous page's nextCursor; a string this list did not give out is a 400 naming query.cursor"),
};
