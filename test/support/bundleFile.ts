import os from 'node:os';
import path from 'node:path';

/** Where the run's workflows bundle is kept: one per user and checkout, so parallel checkouts do not share it. */
export const BUNDLE_FILE = path.join(os.tmpdir(), `projektkontoret-bundle-${process.getuid?.() ?? 0}`, `${Buffer.from(path.resolve(__dirname, '../..')).toString('base64url')}.js`);
