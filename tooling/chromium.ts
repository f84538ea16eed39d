// Finds the Chromium that the page tests drive through playwright-core: CHROMIUM_PATH, then Debian's
// /usr/bin/chromium, which is installed with apt-get when it is missing and this process is root (as on CI).
// Playwright's own browser download is never used.
import { spawnSync } from 'node:child_process';
import { isExecutable } from './binaries';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

const REMEDY = `Set CHROMIUM_PATH to a Chromium or Chrome binary, or install Debian's package (apt-get install chromium) as root.`;

/** Absolute path of the Chromium binary; installs Debian's package first when it is missing and we are root. */
export function resolveChromium(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.CHROMIUM_PATH;
  if (configured) {
    if (!isExecutable(configured)) throw new Error(`CHROMIUM_PATH=${configured}: not an executable file`);
    return configured;
  }
  if (isExecutable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  if (process.getuid?.() !== 0) throw new Error(`${DEBIAN_CHROMIUM} is missing and this user cannot install it. ${REMEDY}`);
  process.stderr.write(`Installing Debian's chromium into ${DEBIAN_CHROMIUM} (first use only)...\n`);
  // The package lists of a fresh machine may be empty or old: update them, only now that an install is needed.
  run('apt-get', ['update'], env);
  run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-liberation'], { ...env, DEBIAN_FRONTEND: 'noninteractive' });
  if (!isExecutable(DEBIAN_CHROMIUM)) throw new Error(`apt-get installed chromium but ${DEBIAN_CHROMIUM} is missing. ${REMEDY}`);
  return DEBIAN_CHROMIUM;
}

/**
 * Flags for a headless Chromium on a closed network: without the background-networking ones it keeps trying
 * to reach Google's services and its connections are refused.
 */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

function run(command: string, args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync(command, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status === 0) return;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
  throw new Error(`${command} ${args.join(' ')} failed. ${REMEDY}\n${result.error?.message ?? output}`);
}
