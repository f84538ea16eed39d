// A text's size as the engine and the database count it, and what the database cannot store. Its own
// module, free of zod: the workflow bundle loads the schemas (inputs.ts) only when a step is first validated.

/** The length of a string in UTF-8. */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair: one code point of four bytes.
      bytes += 4;
      i += 1;
    } else bytes += 3; // the rest of the first plane, and a lone surrogate (written as U+FFFD)
  }
  return bytes;
}

/** A NUL or a UTF-16 surrogate that is not half of a pair: PostgreSQL refuses both (text and jsonb). */
const unstorable = (text: string): boolean => text.includes('\u0000') || /\p{Cs}/u.test(text);

/**
 * Strings anywhere in a body that the database could not store, by path. Accepted, they would fail the
 * write after the answer (a case whose every step fails to record), so they are refused with the other
 * field errors.
 */
export function unstorableText(value: unknown, path: string[] = []): { path: string; message: string }[] {
  if (typeof value === 'string') return unstorable(value) ? [{ path: path.join('.'), message: 'text must not hold NUL characters or unpaired UTF-16 surrogates' }] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => unstorableText(v, [...path, k]));
}
