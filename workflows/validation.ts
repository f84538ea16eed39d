// Update bodies checked against the zod schemas of inputs.ts, loaded once per worker instead of once per case.
//
// This module is preloaded and shared by every case of a worker (SHARED_WORKFLOW_MODULES); the SDK then freezes
// what it exports, and a frozen zod schema throws on its first parse (zod caches lazily inside its schemas).
// So zod and the schemas are loaded on the first update the worker validates, and kept in this module's own
// variables, which nothing freezes. Loading them into every case cost ~10 ms of worker CPU and ~1.1 MB a case.
// The schemas are pure: which case loaded them does not change what they answer.
import type * as Inputs from './inputs';
import type { BodyRules } from './inputs';
import type { Validation } from './steps';
import type { ActionName } from './vocabulary';

let inputs: typeof Inputs | undefined;
const validations = new Map<string, Validation<ActionName>>();

/** The check of an action's body as a case of `edition` takes it: the parsed body, or each error with its path. */
export function validationOf<A extends ActionName>(action: A, edition: BodyRules): Validation<A> {
  const key = `${action}@${edition.number}`;
  let validation = validations.get(key);
  if (!validation) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, bundled all the same by the SDK's webpack
    inputs ??= require('./inputs') as typeof Inputs;
    const schema = inputs.actionInputOf(action, edition);
    validation = {
      parse(body) {
        const parsed = schema.safeParse(body);
        return parsed.success
          ? { success: true, data: parsed.data }
          : { success: false, errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
      },
    };
    validations.set(key, validation);
  }
  return validation as Validation<A>;
}
