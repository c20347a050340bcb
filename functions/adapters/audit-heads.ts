import * as z from '../domain/zod.ts';
import type { ChainHead } from '../domain/audit.ts';

/** One copied head as stored (a line of a copy): ids and a MAC only (R5). */
export const chainHeadSchema = z.lazy(() =>
  z.strictObject({
    requestId: z.string().check(z.minLength(1), z.maxLength(100)),
    seq: z.number().check(z.int(), z.positive()),
    hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  }),
);

/** A copy of heads: one JSON object per line, so a copy can be appended to a file as it is. */
export const headsToLines = (heads: readonly ChainHead[]): string =>
  heads.map((h) => `${JSON.stringify({ requestId: h.requestId, seq: h.seq, hash: h.hash })}\n`).join('');

/** A line that is not a head is refused by its place, never its content (R5). */
export class HeadCopyError extends Error {
  override name = 'HeadCopyError';
}

export function headsFromLines(text: string, source: string): ChainHead[] {
  const out: ChainHead[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    const head = chainHeadSchema.safeParse(parsed);
    if (!head.success) throw new HeadCopyError(`${source}: line ${i + 1} is not a chain head`);
    out.push(head.data);
  }
  return out;
}
