// The rule set in force until an admin posts another: the defaults of docs/domain.md.
import { DEFAULT_MAX_PROJECT_LENGTH } from './caseSize';
import type { RuleSet } from './types';

export const DEFAULT_RULES: Omit<RuleSet, 'version'> = {
  // Stadsdirektören up to 15 mnkr per decision, above that KS ekonomiutskott.
  delegation: [
    { tier: 'stadsdirektor', upTo: 15_000_000 },
    { tier: 'ks-ekonomiutskott', upTo: null },
  ],
  ideaScreeningDeadline: 'P14D',
  applicationDeadline: 'P90D',
  applicationReminderAfter: 'P60D',
  completionDeadline: 'P21D',
  reportInterval: 'P6W',
  reminderBefore: 'P5D',
  escalationAfter: 'P10D',
  tertialDueDates: ['05-15', '09-15'],
  yearEndDueDate: '01-31',
  lightReportingBelow: 1_000_000,
  deviation: { costTolerance: 0.1, endDateSlip: 'P8W' },
  followUpOffsets: ['P12M'],
  maxProjectLength: DEFAULT_MAX_PROJECT_LENGTH,
};
