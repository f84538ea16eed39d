// Edition 3: bounds on a case's size (caseSize.ts): the project's length by the rule set, texts counted in
// bytes, each step checked against what the workflow would then hold.
import type { Edition } from './edition';
import { rulesAtTheEdges } from './rulesAtTheEdges';

export const sizeBounds: Edition = { ...rulesAtTheEdges, number: 3, boundsSize: true };
