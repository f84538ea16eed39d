// Canonical JSON, the text that the audit trail's hash chain and the Idempotency-Key request hash are
// taken over.

/**
 * JSON with object keys sorted at every depth and undefined members dropped: the same value gives
 * the same text however it was built or however jsonb reordered it. Hashes of stored audit rows
 * depend on this exact text: change it and verifyAuditChain reports every row as broken.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
