import { isoDateIn } from './age.ts';
import type { RequestKind } from './request.ts';

/**
 * R7: one request of a kind per patron is open at a time. The slot a request holds while open:
 * whose it is (the patron the emails go to) and which kind. A guardian's request is the guardian's,
 * one per child they name, so a guardian of two children may ask for each. A court order is
 * counsel's, not the patron's, and holds none.
 */
export interface RepeatSlot {
  ownerId: string;
  slot: string;
}

export function repeatSlot(
  kind: RequestKind,
  ids: { patronId?: string | undefined; requesterPatronId?: string | undefined },
): RepeatSlot | undefined {
  if (kind === 'court-order') return undefined;
  if (kind === 'guardian-access')
    return ids.requesterPatronId
      ? { ownerId: ids.requesterPatronId, slot: `${kind}#${ids.patronId ?? 'unknown-child'}` }
      : undefined;
  return ids.patronId ? { ownerId: ids.patronId, slot: kind } : undefined;
}

/** R7: the library day a request was made on, in the library's time zone: the daily cap's unit. */
export const libraryDay = (createdAt: Date, timezone: string): string => isoDateIn(createdAt, timezone);

/** R7: a day's counter is kept a little past the day, then TTL removes it (epoch seconds). */
export const dailyCounterExpiry = (createdAt: Date): number => Math.floor(createdAt.getTime() / 1000) + 3 * 86_400;

/** What the match step does with a matched request: go on, or close it quietly (R7). */
export type Admission =
  | { admitted: true }
  | { admitted: false; reason: 'repeat'; openRequestId: string }
  | { admitted: false; reason: 'daily-cap' };
