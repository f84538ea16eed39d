// `npm run db:migrate`: brings the schema up to date and grants the application's role its rights, then
// exits; for deployments that keep the owner's credentials (DATABASE_OWNER_URL) out of the running service.
import { loadConfig } from '../config';
import { migrateConfigured, openConfiguredDatabase } from '../db/client';

async function main(): Promise<void> {
  const config = loadConfig();
  const database = openConfiguredDatabase(config);
  try {
    await migrateConfigured(config, database);
  } finally {
    await database.close();
  }
  console.log('The database schema is up to date.');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
