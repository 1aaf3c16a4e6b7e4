// jsonb columns come back parsed from PGlite and from pg, but as text where a query builds them with SQL functions
// (`jsonb_agg` in a sub-select, on some drivers): read either.
export function fromJson<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
