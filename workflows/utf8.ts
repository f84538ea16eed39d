// A text's size as the engine and the database count it. Its own module, free of zod: the workflow bundle
// loads the schemas (inputs.ts) only when a step is first validated.

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
