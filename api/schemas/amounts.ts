// Amounts in answers. Inputs take `sek` (workflows/inputs.ts): whole SEK within the bounds a case may ask
// for. Answers are whole SEK too, but a sum over cases, or what remains of a frame cut below its
// reservations, may pass those bounds.
import { z } from 'zod';
import { sek } from '../../workflows/inputs';

export const sekAmount = z.number().int().describe(sek.description ?? 'Whole SEK');

/** A portfolio's frame (ekonomisk ram) for one year, what granted cases reserve of it, and what remains. */
export const frameYearSchema = z.object({ year: z.number().int(), frame: sekAmount, reserved: sekAmount, remaining: sekAmount });
