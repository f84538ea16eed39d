// The cases' search attributes (workflows/searchAttributes.ts) on the engine's side: a case upserts them at every
// step, and an upsert of an attribute the namespace lacks fails the step's workflow task, so a worker makes sure
// they are registered before it takes any task, and refuses to start, saying how, where it may not register them.
import type { OperatorService } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const NAMES = Object.values(SEARCH_ATTRIBUTES).map((key) => key.name);

/** gRPC UNIMPLEMENTED: the time-skipping test server registers attributes but cannot list them. */
const UNIMPLEMENTED = 12;

export async function ensureSearchAttributes(operator: OperatorService, namespace: string): Promise<void> {
  let registered: string[] = [];
  try {
    registered = Object.keys((await operator.listSearchAttributes({ namespace })).customAttributes ?? {});
  } catch (err) {
    if ((err as { code?: number }).code !== UNIMPLEMENTED) throw err;
  }
  const missing = NAMES.filter((name) => !registered.includes(name));
  if (missing.length === 0) return;
  try {
    await operator.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])) });
  } catch (err) {
    const create = missing.map((name) => `--name ${name} --type Keyword`).join(' ');
    throw new Error(`The namespace ${namespace} lacks the search attributes ${missing.join(', ')} and they could not be registered `
      + `(${(err as Error).message}); register them once: temporal operator search-attribute create --namespace ${namespace} ${create}`);
  }
}
