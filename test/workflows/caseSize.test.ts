// The bounds on a case's size, without a server: texts counted in bytes (against Node's own UTF-8 encoder),
// the project's length by the rule set (against the calendar as a person counts it), and the check of what
// the workflow would hold. Cases of earlier editions replay with what they accepted.
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { checkHeldSize, latestPlannedEnd, MAX_HELD_BYTES } from '../../workflows/caseSize';
import { newCase } from '../../workflows/caseState';
import { DEFAULT_RULES } from '../../workflows/defaults';
import { edition as editionNumbered, LATEST } from '../../workflows/editions';
import { actionInputOf, text } from '../../workflows/inputs';
import { validateStep, type Validation } from '../../workflows/steps';
import type { CaseInput } from '../../workflows/types';
import { utf8Bytes } from '../../workflows/utf8';
import type { ActionName } from '../../workflows/vocabulary';
import { application, idea, people } from './harness';

const rules = { version: 1, ...DEFAULT_RULES };
const input: CaseInput = { caseId: 'PK-2026-9002', idea, actor: people.applicant, ruleSet: rules, portfolios: ['p1'], experimentalPortfolios: [] };

const schemaOf = <A extends ActionName>(action: A, edition = LATEST): Validation<A> => ({
  parse(body) {
    const parsed = actionInputOf(action, edition).safeParse(body);
    return parsed.success ? { success: true, data: parsed.data } : { success: false, errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
  },
});

function refusal(fn: () => unknown): { type?: string; message: string; details: unknown[] } | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof ApplicationFailure) return { type: err.type ?? undefined, message: err.message, details: err.details ?? [] };
    throw err;
  }
}

/** The case in its application stage, as the applicant meets it. */
function applying(edition = LATEST) {
  const state = newCase(input, Date.now(), edition);
  state.view.stage = 'application';
  return state;
}

const submit = (state: ReturnType<typeof applying>, body: unknown, edition = LATEST) =>
  refusal(() => validateStep('submit-application', { view: state.view, edition, input, rules, actor: people.applicant, now: Date.now }, body, schemaOf('submit-application', edition)));

describe('texts are counted in bytes', () => {
  test('as UTF-8 counts them, for any string (lone surrogates included)', () => {
    const unit = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }));
    fc.assert(fc.property(unit, (s) => utf8Bytes(s) === Buffer.byteLength(s, 'utf8')));
  });

  test('a text within its characters but past its bytes is refused once, saying bytes; past its characters, once, saying characters', () => {
    const messages = (value: string) => text(100).safeParse(value).error?.issues.map((i) => i.message) ?? [];
    expect(messages('ä'.repeat(50))).toEqual([]);
    expect(messages('ä'.repeat(51))).toEqual(['must be at most 100 bytes in UTF-8 (å, ä and ö take two)']);
    expect(messages('a'.repeat(101))).toHaveLength(1);
    expect(messages('a'.repeat(101))[0]).toMatch(/100 characters/);
  });

  test('a case of an earlier edition replays what it accepted: its bodies count characters only', () => {
    const body = application({ realisationPlan: 'ö'.repeat(9_000) });
    expect(submit(applying(), body)).toMatchObject({ details: [{ errors: [{ path: 'realisationPlan', message: expect.stringContaining('bytes') }] }] });
    expect(submit(applying(editionNumbered(2)), body, editionNumbered(2))).toBeNull();
  });
});

describe("the project's length", () => {
  test('the latest planned end is the start date that many years on, as a person counts years', () => {
    const date = fc.record({ y: fc.integer({ min: 1990, max: 2900 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }) });
    fc.assert(fc.property(date, fc.integer({ min: 1, max: 30 }), ({ y, m, d }, years) => {
      const pad = (n: number) => String(n).padStart(2, '0');
      return latestPlannedEnd({ maxProjectLength: `P${years}Y` }, `${y}-${pad(m)}-${pad(d)}`) === `${y + years}-${pad(m)}-${pad(d)}`;
    }));
  });

  test('an application may plan five years by default; a day more is refused naming the rule and the last allowed day', () => {
    const start = `${new Date().getUTCFullYear() + 1}-03-01`;
    const fiveYears = `${Number(start.slice(0, 4)) + 5}-03-01`;
    expect(submit(applying(), application({ plannedStart: start, plannedEnd: fiveYears }))).toBeNull();
    const refused = submit(applying(), application({ plannedStart: start, plannedEnd: `${Number(start.slice(0, 4)) + 5}-03-02` }));
    expect(refused).toMatchObject({ details: [{ rule: 'project-too-long', latest: fiveYears }] });
    expect(refused?.message).toContain('project-too-long');
    // An application ending in 2990, accepted before the bound.
    expect(submit(applying(), application({ plannedStart: start, plannedEnd: '2990-12-31' }))).toMatchObject({ details: [{ rule: 'project-too-long' }] });
  });

  test("the rule set's own bound applies", () => {
    const start = `${new Date().getUTCFullYear() + 1}-01-15`;
    const short = { ...rules, maxProjectLength: 'P2Y' };
    const body = application({ plannedStart: start, plannedEnd: `${Number(start.slice(0, 4)) + 3}-01-15` });
    const state = applying();
    const check = () => validateStep('submit-application', { view: state.view, edition: LATEST, input, rules: short, actor: people.applicant, now: Date.now }, body, schemaOf('submit-application'));
    expect(refusal(check)).toMatchObject({ details: [{ rule: 'project-too-long', latest: `${Number(start.slice(0, 4)) + 2}-01-15` }] });
  });
});

describe('what the workflow holds', () => {
  test('a step that would take the case past the bound is refused naming it, and changes nothing', () => {
    const state = applying();
    state.view.idea = { ...state.view.idea, need: 'x'.repeat(MAX_HELD_BYTES) };
    const before = JSON.stringify(state);
    expect(submit(state, application())).toMatchObject({ details: [{ rule: 'case-too-large', limit: MAX_HELD_BYTES }] });
    expect(JSON.stringify(state)).toBe(before);
    expect(refusal(() => checkHeldSize(applying().view, application()))).toBeNull();
  });
});
