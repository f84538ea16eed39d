// The worker's activities, built from real dependencies. The workflow proxies are typed from CaseActivities.
import type { Config } from '../config';
import type { Db } from '../db/client';
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
  return {
    ...createPersistenceActivities({ db, planEmails: createEmailPlanner({ mail }) }),
    ...createNotificationActivities({ db, mailer, mail }),
  };
}
