// Where the page tests' Chromium comes from: CHROMIUM_PATH first, then Debian's /usr/bin/chromium (which
// `npm run tools` installs as root when it is missing).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEBIAN_CHROMIUM, resolveChromium } from '../../tooling/chromium';

test('CHROMIUM_PATH wins when it is an executable file, and is refused by name when it is not', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-path-'));
  const exe = path.join(dir, 'chrome');
  fs.writeFileSync(exe, '#!/bin/sh\n', { mode: 0o755 });
  const plain = path.join(dir, 'not-executable');
  fs.writeFileSync(plain, '');
  try {
    expect(resolveChromium({ CHROMIUM_PATH: exe })).toBe(exe);
    expect(() => resolveChromium({ CHROMIUM_PATH: plain })).toThrow(`CHROMIUM_PATH=${plain}: not an executable file`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("without CHROMIUM_PATH, Debian's chromium", () => {
  expect(resolveChromium({})).toBe(DEBIAN_CHROMIUM);
});
