import * as z from '../../domain/zod.ts';
import { IntegrityError } from '../../domain/errors.ts';
import { TABLE_KEYS } from './keys.ts';

/** The attributes the table adds to every item for its keys, indexes and expiry: never part of an entity's value. */
const TABLE_ATTRIBUTES = [
  TABLE_KEYS.partitionKey,
  TABLE_KEYS.sortKey,
  ...TABLE_KEYS.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  TABLE_KEYS.ttlAttribute,
] as const;

/**
 * One entity of the single table, declared once (ElectroDB's model, without the dependency): its
 * name, the zod schema of its attributes, and the attributes the table adds around them. Every item
 * read back goes through `parse`, so a store returns typed and checked values, never a cast.
 */
export interface Entity<T> {
  readonly name: string;
  /** The item to write: its keys (and `extra`, such as an expiry), then the value. */
  item(value: T, extra?: Record<string, unknown>): Record<string, unknown>;
  /** The item as read: the table's own attributes stripped, the rest validated. */
  parse(item: Record<string, unknown>): T;
}

/** A stored item that does not match its entity. Names the entity and the fields, never a value (R5). */
export function malformed(name: string, issues: readonly z.core.$ZodIssue[]): IntegrityError {
  const fields = [...new Set(issues.map((i) => i.path.map(String).join('.') || '(item)'))];
  return new IntegrityError(`stored ${name} is malformed at ${fields.join(', ')}`);
}

export function entity<T>(declaration: {
  name: string;
  schema: z.core.$ZodType<T>;
  /** The key and index attributes of a value (pk, sk, gsi…), and any entity tag: written before the value. */
  keys: (value: T) => Record<string, unknown>;
  /** Attributes the store writes beside the value (an entity tag, say), stripped like the keys. */
  extraAttributes?: readonly string[];
}): Entity<T> {
  const strip = new Set<string>([...TABLE_ATTRIBUTES, ...(declaration.extraAttributes ?? [])]);
  return {
    name: declaration.name,
    item: (value, extra = {}) => ({ ...declaration.keys(value), ...extra, ...value }),
    parse(item) {
      const value = Object.fromEntries(Object.entries(item).filter(([k]) => !strip.has(k)));
      const res = z.safeParse(declaration.schema, value);
      if (!res.success) throw malformed(declaration.name, res.error.issues);
      return res.data;
    },
  };
}
