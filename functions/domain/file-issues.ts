import * as z from './zod.ts';
import { InvalidInputError } from './errors.ts';

/** A key name is echoed back only when it looks like a field name, never arbitrary input (R5). */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Zod's own messages carry no input values, except `unrecognized_keys`, which lists the keys as
 * given; a hostile or mistaken file could put personal data in a key, so that one is rewritten.
 */
export function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const named = issue.keys.filter((k) => FIELD_NAME.test(k));
    return named.length === issue.keys.length ? `unknown field(s): ${named.join(', ')}` : 'unknown field(s)';
  }
  return issue.message;
}

export function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map((p) => (typeof p === 'symbol' ? '?' : String(p))).join('.');
}

/**
 * Validates a whole configuration or data file before anything uses it (CONTRACT: a bad file is
 * refused whole). The error names the first bad field's path; `issues` list all; no value is echoed (R5).
 */
export function parseFile<T extends z.core.$ZodType>(schema: T, raw: unknown, what: string): z.infer<T> {
  const result = z.safeParse(schema, raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: issuePath(i.path), message: issueMessage(i) }));
  const first = issues[0] ?? { path: '(root)', message: 'invalid' };
  throw new InvalidInputError(`${what} is invalid at ${first.path}: ${first.message}`, issues);
}

/**
 * A file's text, parsed as JSON and then validated whole. A syntax error says only that: its
 * message would quote the file around the error (R5). A leading byte-order mark, which Windows
 * editors and exports write and JSON.parse rejects, is dropped.
 */
export function parseJsonFile<T extends z.core.$ZodType>(schema: T, text: string, what: string): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new InvalidInputError(`${what} is not valid JSON`);
  }
  return parseFile(schema, raw, what);
}
