/**
 * A value built on first use and kept: what a module would otherwise build at import. A function's
 * cold start runs every imported module's top level, so a zod schema or a parsed constant that only
 * one of its paths reads is built when that path first runs instead (README, Bundle size and cold
 * start). Schemas other modules take as schemas are wrapped in zod's own `z.lazy`, which does the
 * same and stays a schema; this is for the parts they are built from and for plain values.
 */
export function lazy<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
