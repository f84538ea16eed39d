// The newest signed checkpoint, kept outside the database as well. Someone able to rewrite the database
// could remove its newest checkpoints and then rewrite the rows after the last one left, and the chain
// would still match what the table holds; the copy here is out of their reach, and verification compares
// the chain with it too. Only a newer checkpoint replaces it, written whole (a temporary file renamed over
// it), so a crash leaves the old one or the new one, never half of either.
import fs from 'node:fs';
import path from 'node:path';
import type { Checkpoint } from './chain';

export function readSignedHead(file: string): Checkpoint | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return JSON.parse(text) as Checkpoint;
}

/** Keeps the checkpoint unless the file already holds a later one (another process may sign too). */
export function keepSignedHead(file: string, checkpoint: Checkpoint): void {
  const kept = readSignedHead(file);
  if (kept && kept.seq > checkpoint.seq) return;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}
