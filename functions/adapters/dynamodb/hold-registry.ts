import { GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../../domain/zod.ts';
import { mapInParallel } from '../in-parallel.ts';
import { isConditionalCheckFailed } from './client.ts';
import { requestKeys } from './keys.ts';

/**
 * R13: the legal-hold registry, one item in the requests table listing every patron who has (or
 * may have) a hold. Holds live one partition per patron with no index over them, so without it a
 * nightly pass asks one query per patron; with it, one consistent GetItem tells a page of patrons
 * apart, and only the patrons it lists get the precise per-patron query (`LegalHolds.active`).
 *
 * Why it stays a superset of the held patrons, with no transaction (dynalite has none):
 *
 * - `LegalHolds.place` adds the patron here first, and only then puts the hold. A crash in between
 *   leaves a patron listed without a hold, which costs one precise query and never frees a record;
 *   a retried place adds the patron again (and moves its timestamp on).
 * - Holds placed before the registry existed are not in it, so it is trusted only once `complete`
 *   is set, by `backfillRegistry`: a background-only, resumable Scan of the requests table for
 *   `kind = LEGAL_HOLD` that adds every hold's patron and sets `complete` at the end of the table.
 *   A hold placed while it runs adds itself. Until then the readers check every patron, as before.
 * - The readers read it consistently just before each batch of writes, as they checked each
 *   patron before: a hold placed mid-run (registry first) is seen by the next batch.
 *
 * - `pruneRegistry` takes a patron out only when nothing holds them any more (see there), so the
 *   item lists the patrons held now and lately, not every patron ever held.
 *
 * An entry is a patron id and an ISO timestamp (about 60 bytes): the item's 400 KB hold some six
 * thousand patrons held at once, where a library places a handful of holds a year. Ids only (R5).
 */

export interface RegistryState {
  /** Every hold's patron is listed: a patron not listed holds nothing. */
  complete: boolean;
  patrons: ReadonlySet<string>;
}

const KIND = 'LEGAL_HOLD_REGISTRY';
const storedKey = z.object({ pk: z.string(), sk: z.string() });
const registryItem = z.object({
  patrons: z.optional(z.record(z.string(), z.string())),
  complete: z.optional(z.string()),
  backfillCursor: z.optional(storedKey),
});
type RegistryItem = z.infer<typeof registryItem>;

/**
 * Entries set by one UpdateItem: an update expression is at most 4 KB, and each entry takes
 * about 25 characters of it (`patrons.#p99 = :at, `).
 */
const ENTRIES_PER_UPDATE = 100;

async function readItem(db: DynamoDBDocumentClient, table: string): Promise<RegistryItem> {
  const res = await db.send(new GetCommand({ TableName: table, Key: requestKeys.holdRegistry, ConsistentRead: true }));
  return res.Item ? registryItem.parse(res.Item) : {};
}

/** R13: the registry as it is now (one consistent read). */
export async function readRegistry(db: DynamoDBDocumentClient, table: string): Promise<RegistryState> {
  const item = await readItem(db, table);
  return { complete: item.complete !== undefined, patrons: new Set(Object.keys(item.patrons ?? {})) };
}

/**
 * R13: lists the patrons, stamped `at`. Patron ids go in as attribute names (ExpressionAttributeNames),
 * never into the expression itself. The map must exist before a path into it can be set: the first
 * add ever creates it, then sets the entries.
 */
export async function addToRegistry(
  db: DynamoDBDocumentClient,
  table: string,
  patronIds: readonly string[],
  at: string,
): Promise<void> {
  const unique = [...new Set(patronIds)];
  for (let i = 0; i < unique.length; i += ENTRIES_PER_UPDATE) {
    const chunk = unique.slice(i, i + ENTRIES_PER_UPDATE);
    const names: Record<string, string> = { '#patrons': 'patrons', '#kind': 'kind' };
    chunk.forEach((p, j) => (names[`#p${j}`] = p));
    const update = new UpdateCommand({
      TableName: table,
      Key: requestKeys.holdRegistry,
      UpdateExpression: `SET ${chunk.map((_, j) => `#patrons.#p${j} = :at`).join(', ')}, #kind = :kind`,
      ConditionExpression: 'attribute_exists(#patrons)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':at': at, ':kind': KIND },
    });
    try {
      await db.send(update);
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: requestKeys.holdRegistry,
          UpdateExpression: 'SET #patrons = if_not_exists(#patrons, :empty), #kind = :kind',
          ExpressionAttributeNames: { '#patrons': 'patrons', '#kind': 'kind' },
          ExpressionAttributeValues: { ':empty': {}, ':kind': KIND },
        }),
      );
      await db.send(update);
    }
  }
}

export interface BackfillResult {
  complete: boolean;
  /** Patrons this call added (ids are never returned: R5). */
  added: number;
}

/**
 * R13: the back-fill that makes the registry complete. Background only (the retention run's plan
 * step; never a request path): a consistent Scan of the requests table, page by page, each page's
 * hold patrons added before the page's end is saved as the cursor, so a call cut short by
 * `deadline` (epoch ms, checked between pages) is resumed by the next one, and `complete` is set
 * only after the last page's patrons are in. Two calls at once each add what they read, and each
 * saves a cursor only past pages it added itself, so whichever sets `complete` has added, or
 * started from a cursor past, every page. Once complete, a call is one read.
 */
export async function backfillRegistry(
  db: DynamoDBDocumentClient,
  table: string,
  options: { now: () => Date; deadline: number; elapsedNow?: () => number; pageSize?: number },
): Promise<BackfillResult> {
  const clock = options.elapsedNow ?? Date.now;
  const item = await readItem(db, table);
  if (item.complete !== undefined) return { complete: true, added: 0 };
  let cursor: z.infer<typeof storedKey> | undefined = item.backfillCursor;
  let added = 0;
  for (;;) {
    const res = await db.send(
      new ScanCommand({
        TableName: table,
        ExclusiveStartKey: cursor,
        ...(options.pageSize ? { Limit: options.pageSize } : {}),
        // A hold written just before the scan reaches its key must be read.
        ConsistentRead: true,
        FilterExpression: '#kind = :hold',
        ProjectionExpression: '#patronId',
        ExpressionAttributeNames: { '#kind': 'kind', '#patronId': 'patronId' },
        ExpressionAttributeValues: { ':hold': 'LEGAL_HOLD' },
      }),
    );
    const patrons = (res.Items ?? []).flatMap((i) =>
      typeof i.patronId === 'string' && i.patronId.length > 0 ? [i.patronId] : [],
    );
    await addToRegistry(db, table, patrons, options.now().toISOString());
    added += new Set(patrons).size;
    cursor = res.LastEvaluatedKey ? storedKey.parse(res.LastEvaluatedKey) : undefined;
    if (!cursor) {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: requestKeys.holdRegistry,
          UpdateExpression: 'SET #complete = :at, #kind = :kind REMOVE #cursor',
          ExpressionAttributeNames: { '#complete': 'complete', '#cursor': 'backfillCursor', '#kind': 'kind' },
          ExpressionAttributeValues: { ':at': options.now().toISOString(), ':kind': KIND },
        }),
      );
      return { complete: true, added };
    }
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: requestKeys.holdRegistry,
        UpdateExpression: 'SET #cursor = :cursor, #kind = :kind',
        ExpressionAttributeNames: { '#cursor': 'backfillCursor', '#kind': 'kind' },
        ExpressionAttributeValues: { ':cursor': cursor, ':kind': KIND },
      }),
    );
    if (clock() >= options.deadline) return { complete: false, added };
  }
}

/**
 * How long an entry stays at least, whatever its patron's holds: far longer than a placing takes
 * between listing the patron and putting the hold, so an entry is never taken out from under one.
 */
export const KEEP_LISTED_MS = 24 * 60 * 60 * 1000;

export interface PruneResult {
  /** Every entry was looked at before the deadline. */
  complete: boolean;
  /** Entries taken out by this call (counts only: R5). */
  removed: number;
}

/**
 * R13: takes out the entries of patrons nothing holds any more, so that the registry lists the
 * patrons held now and lately rather than everyone ever held (its item has a size limit). Background
 * only (the retention run's plan step). An entry goes only if it was listed more than
 * `KEEP_LISTED_MS` ago, its patron's precise query (`isHeld`, consistent) finds no hold in force,
 * and its timestamp is still the one read: a hold placed meanwhile lists its patron first, with a
 * new timestamp, so either this removal fails its condition or the placing lists the patron again
 * after it. A released hold never holds again and a lapsed one never un-lapses (a hold has no
 * extension), so a patron taken out is held again only through a new placing, which lists them.
 * An entry whose timestamp cannot be read stays. `deadline` (epoch ms) is checked before each patron.
 */
export async function pruneRegistry(
  db: DynamoDBDocumentClient,
  table: string,
  options: {
    now: () => Date;
    deadline: number;
    isHeld: (patronId: string) => Promise<boolean>;
    /** Precise queries in flight at once (the hold store's own figure). */
    inFlight: number;
  },
): Promise<PruneResult> {
  const listedBefore = options.now().getTime() - KEEP_LISTED_MS;
  const stale = Object.entries((await readItem(db, table)).patrons ?? {}).filter(([, at]) => {
    const t = Date.parse(at);
    return Number.isFinite(t) && t < listedBefore;
  });
  let complete = true;
  const removed = await mapInParallel(stale, options.inFlight, async ([patronId, at]) => {
    if (Date.now() >= options.deadline) {
      complete = false;
      return 0;
    }
    if (await options.isHeld(patronId)) return 0;
    try {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: requestKeys.holdRegistry,
          UpdateExpression: 'REMOVE #patrons.#p',
          ConditionExpression: '#patrons.#p = :at',
          ExpressionAttributeNames: { '#patrons': 'patrons', '#p': patronId },
          ExpressionAttributeValues: { ':at': at },
        }),
      );
      return 1;
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      return 0; // listed again since it was read: a hold is being placed
    }
  });
  return { complete, removed: removed.reduce<number>((a, b) => a + b, 0) };
}
