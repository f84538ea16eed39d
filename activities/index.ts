// The worker's activities, built from real dependencies. The workflow proxies are typed from CaseActivities.
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { describeError } from '../platform/errors';
import type { Mailer } from '../platform/mailer';
import type { CaseActivities } from './contract';
import { createEmailPlanner, createNotificationActivities } from './notifications';
import { createPersistenceActivities } from './persistence';

export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  mail: Config['mail'];
}

export function createActivities({ db, mailer, mail }: ActivityDeps): CaseActivities {
  return withoutBoundValues({
    ...createPersistenceActivities({ db, planEmails: createEmailPlanner({ mail }) }),
    ...createNotificationActivities({ db, mailer, mail }),
  });
}

/**
 * A database error leaves an activity as its class, code and table only: its message holds the values the
 * statement was bound to (names, addresses, case texts), and an activity's failure is logged by the worker
 * and kept in the workflow's history. Still retryable, as the error it replaces.
 */
function withoutBoundValues<T extends object>(activities: T): T {
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, async (...args: unknown[]) => {
    try {
      return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
    } catch (err) {
      const described = describeError(err);
      if (!described.database) throw err;
      const where = [described.table && `table ${String(described.table)}`, described.constraint && `constraint ${String(described.constraint)}`].filter(Boolean).join(', ');
      throw ApplicationFailure.retryable(`${name}: database error ${String(described.code ?? 'unknown')}${where ? ` (${where})` : ''}`, String(described.type));
    }
  }])) as T;
}
