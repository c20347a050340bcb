import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../../domain/zod.ts';
import { parseIsoDate } from '../../domain/age.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import { isConditionalCheckFailed, queryAll } from './client.ts';
import { putNew } from './conditional-put.ts';
import { entity } from './entity.ts';
import {
  addToRegistry,
  backfillRegistry,
  pruneRegistry,
  readRegistry,
  type BackfillResult,
  type PruneResult,
} from './hold-registry.ts';
import { requestKeys } from './keys.ts';
import { mapInParallel } from '../in-parallel.ts';

/**
 * R13: a legal hold on a patron's records. While one is active, no deletion or anonymisation
 * touches them. Holds live in the requests table, one item each under `HOLD#<patronId>`, so
 * "is this patron held" is one consistent query by key. A pass over many patrons asks the
 * registry first (hold-registry.ts: one read for all of them). A hold carries ids only (R5).
 */
export interface LegalHold {
  holdId: string;
  patronId: string;
  /** The court order that caused the hold (R12), when there is one. */
  orderId?: string;
  /** Who placed it: a staff or counsel identity, or `system`. */
  placedBy: string;
  placedAt: string;
  /** The order forbids telling the patron (R13a). */
  nondisclosure: boolean;
  /**
   * When the hold lapses by itself: an ISO 8601 instant, or a day `YYYY-MM-DD`. A day is held
   * through its end in every time zone (until 12:00 UTC the next day): a hold errs on the side of holding.
   */
  lapsesOn?: string;
  releasedAt?: string;
  releasedBy?: string;
}

export interface PlaceHoldInput {
  holdId: string;
  patronId: string;
  orderId?: string;
  placedBy: string;
  nondisclosure: boolean;
  lapsesOn?: string;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The instant a hold stops holding, or undefined for a hold that never lapses by itself. */
function lapseInstant(lapsesOn: string | undefined): number | undefined {
  if (lapsesOn === undefined) return undefined;
  if (ISO_INSTANT.test(lapsesOn)) {
    const t = Date.parse(lapsesOn);
    if (!Number.isNaN(t)) return t;
  } else {
    const d = parseIsoDate(lapsesOn, 'lapsesOn');
    // The last time zone to finish that day is UTC-12: its next midnight is 12:00 UTC.
    return Date.UTC(d.year, d.month - 1, d.day + 1, 12);
  }
  throw new InvalidInputError('lapsesOn is not a date or an ISO 8601 instant');
}

/** R13: a hold, under its patron's partition, tagged `LEGAL_HOLD`. */
export const legalHoldEntity = entity<LegalHold>({
  name: 'legal hold',
  schema: z.lazy(() =>
    z.object({
      holdId: z.string(),
      patronId: z.string(),
      orderId: z.optional(z.string()),
      placedBy: z.string(),
      placedAt: z.string(),
      nondisclosure: z.boolean(),
      // Read as stored: an unreadable lapse date is judged by `active`, which never frees records for it.
      lapsesOn: z.optional(z.string()),
      releasedAt: z.optional(z.string()),
      releasedBy: z.optional(z.string()),
    }),
  ),
  keys: (h) => ({ ...requestKeys.hold(h.patronId, h.holdId), kind: 'LEGAL_HOLD' }),
  extraAttributes: ['kind'],
});

export class LegalHolds {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Places a hold. Placing the same hold again (a retried step) returns the stored one and
   * changes nothing; a different hold under the same id is a conflict.
   */
  async place(input: PlaceHoldInput): Promise<LegalHold> {
    if (!input.holdId || !input.patronId || !input.placedBy)
      throw new InvalidInputError('a hold needs a holdId, a patronId and placedBy');
    lapseInstant(input.lapsesOn); // validates before anything is written
    const hold: LegalHold = {
      holdId: input.holdId,
      patronId: input.patronId,
      ...(input.orderId !== undefined ? { orderId: input.orderId } : {}),
      placedBy: input.placedBy,
      placedAt: this.clock().toISOString(),
      nondisclosure: input.nondisclosure,
      ...(input.lapsesOn !== undefined ? { lapsesOn: input.lapsesOn } : {}),
    };
    // R13: the registry first, then the hold: a crash in between lists a patron with no hold (safe);
    // the other way round would leave a hold the registry's readers skip.
    await addToRegistry(this.db, this.table, [input.patronId], hold.placedAt);
    if (await putNew(this.db, this.table, legalHoldEntity.item(hold))) return hold;
    const existing = await this.get(input.patronId, input.holdId);
    if (
      existing &&
      existing.orderId === input.orderId &&
      existing.placedBy === input.placedBy &&
      existing.nondisclosure === input.nondisclosure &&
      existing.lapsesOn === input.lapsesOn
    ) {
      return existing;
    }
    throw new ConflictError('a different hold with this id exists');
  }

  async get(patronId: string, holdId: string): Promise<LegalHold | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: requestKeys.hold(patronId, holdId), ConsistentRead: true }),
    );
    return res.Item ? legalHoldEntity.parse(res.Item) : undefined;
  }

  /** Releases a hold; releasing a released hold again changes nothing and returns it. */
  async release(patronId: string, holdId: string, by: string): Promise<LegalHold> {
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: requestKeys.hold(patronId, holdId),
          UpdateExpression: 'SET releasedAt = :at, releasedBy = :by',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(releasedAt)',
          ExpressionAttributeValues: { ':at': this.clock().toISOString(), ':by': by },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return legalHoldEntity.parse(res.Attributes ?? {});
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
    const existing = await this.get(patronId, holdId);
    if (!existing) throw new NotFoundError('no such hold');
    return existing;
  }

  /** Every hold of the patron, released or not (a patron has a handful). */
  async list(patronId: string): Promise<LegalHold[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': requestKeys.holdsOfPatron(patronId), ':prefix': requestKeys.holdPrefix },
      // A hold placed a moment ago must stop a deletion now: read the latest write.
      ConsistentRead: true,
    });
    return items.map(legalHoldEntity.parse);
  }

  /** R13: the holds in force now: not released and not lapsed. */
  async active(patronId: string): Promise<LegalHold[]> {
    const now = this.clock().getTime();
    return (await this.list(patronId)).filter((h) => {
      if (h.releasedAt !== undefined) return false;
      let lapse: number | undefined;
      try {
        lapse = lapseInstant(h.lapsesOn);
      } catch {
        return true; // an unreadable lapse date never frees records
      }
      return lapse === undefined || now < lapse;
    });
  }

  async isHeld(patronId: string): Promise<boolean> {
    return (await this.active(patronId)).length > 0;
  }

  /**
   * R13: the active holds of those of `patronIds` who have any, read just now: the registry once
   * (consistent), then the precise query for each patron it lists. While the registry is not
   * complete, every patron is queried, as before it existed.
   */
  async activeAmong(patronIds: readonly string[]): Promise<Map<string, LegalHold[]>> {
    const out = new Map<string, LegalHold[]>();
    if (patronIds.length === 0) return out;
    const registry = await readRegistry(this.db, this.table);
    const maybe = registry.complete ? patronIds.filter((p) => registry.patrons.has(p)) : patronIds;
    await mapInParallel([...new Set(maybe)], QUERIES_IN_FLIGHT, async (p) => {
      const active = await this.active(p);
      if (active.length > 0) out.set(p, active);
    });
    return out;
  }

  /**
   * R13: which of `patronIds` are held now (`activeAmong`). `checked`: the answers of this
   * invocation's earlier calls, kept and reused only while the registry is incomplete (each patron
   * then costs a query, and was checked once an invocation before the registry); with a complete
   * registry every call reads it afresh, so a hold placed since the last call is seen.
   */
  async heldAmong(patronIds: readonly string[], checked?: Map<string, boolean>): Promise<Set<string>> {
    if (patronIds.length === 0) return new Set();
    const registry = await readRegistry(this.db, this.table);
    if (registry.complete) {
      const listed = patronIds.filter((p) => registry.patrons.has(p));
      const held = await mapInParallel([...new Set(listed)], QUERIES_IN_FLIGHT, async (p) =>
        (await this.isHeld(p)) ? [p] : [],
      );
      return new Set(held.flat());
    }
    const unknown = [...new Set(patronIds.filter((p) => !checked?.has(p)))];
    const answers = await mapInParallel(unknown, QUERIES_IN_FLIGHT, (p) => this.isHeld(p));
    const known = checked ?? new Map<string, boolean>();
    unknown.forEach((p, i) => known.set(p, answers[i] === true));
    return new Set(patronIds.filter((p) => known.get(p) === true));
  }

  /** R13: makes the registry complete (hold-registry.ts `backfillRegistry`); background only. */
  backfillRegistry(deadline: number, options: { pageSize?: number } = {}): Promise<BackfillResult> {
    return backfillRegistry(this.db, this.table, { now: this.clock, deadline, ...options });
  }

  /** R13: takes out the registry's patrons nothing holds any more (hold-registry.ts `pruneRegistry`); background only. */
  pruneRegistry(deadline: number): Promise<PruneResult> {
    return pruneRegistry(this.db, this.table, {
      now: this.clock,
      deadline,
      isHeld: (p) => this.isHeld(p),
      inFlight: QUERIES_IN_FLIGHT,
    });
  }
}

/** Queries in flight at once: enough to hide latency, few enough not to throttle the table. */
const QUERIES_IN_FLIGHT = 4;
