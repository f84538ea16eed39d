// `npm run token -- --role officer --sub anna [--role auditor] [--org utbildning] [--email a@b.se] [--name "Anna A"] [--expires 12h]`
// prints a bearer token for the embedded default (signed with JWT_SECRET, or the secret kept under data/).
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { signToken } from '../api/auth';
import { loadConfig } from '../config';

const USAGE = 'usage: npm run token -- --role <role> [--role <role>...] --sub <id> [--org <organisation>] [--email <address>] [--name <name>] [--expires 12h]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string', multiple: true },
      sub: { type: 'string' },
      org: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      expires: { type: 'string', default: '12h' },
    },
  });
  if (!values.sub || !values.role?.length) throw new Error(USAGE);
  const config = loadConfig();
  if (config.jwt.jwksUrl) throw new Error('JWT_JWKS_URL is set: tokens come from the identity provider, not from this script');
  const token = await signToken(config.jwt, {
    sub: values.sub, roles: values.role, name: values.name, email: values.email, org: values.org,
  }, values.expires);
  console.log(token);
}

main().catch((err: unknown) => {
  console.error(err instanceof z.ZodError ? z.prettifyError(err) : err instanceof Error ? err.message : err);
  process.exit(1);
});
