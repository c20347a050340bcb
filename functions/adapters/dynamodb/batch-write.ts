import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../domain/errors.ts';

/**
 * The batched writes bulk jobs (an erasure, the retention run) are built on: BatchWriteItem of at
 * most 25 requests, a few in flight at once, each retried with what DynamoDB left unprocessed.
 * BatchWriteItem has no conditions and no order: callers that need "the copy before the original
 * goes" write every copy of a group before any delete of it (`copyThenDelete`).
 */

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };
export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Key } };

/** DynamoDB's BatchWriteItem limit. */
export const MAX_BATCH = 25;
/** BatchWrites in flight at once by default: enough to hide a round trip, few enough not to throttle one partition. */
export const BATCHES_IN_FLIGHT = 4;
const MAX_ATTEMPTS = 8;

/** One BatchWriteItem, sent again with whatever DynamoDB left unprocessed, backing off with jitter. */
async function writeBatch(db: DynamoDBDocumentClient, table: string, batch: WriteRequest[]): Promise<void> {
  let pending = batch;
  for (let attempt = 1; ; attempt++) {
    const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
    pending = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
    if (pending.length === 0) return;
    if (attempt >= MAX_ATTEMPTS)
      throw new TransientError(
        `batch write incomplete: ${pending.length} writes unprocessed after ${MAX_ATTEMPTS} attempts`,
      );
    // Unprocessed items mean throttling.
    await sleep(Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
  }
}

/**
 * Writes `requests` as BatchWrites of 25, `inFlight` at a time. Resolves when every one is written;
 * on a failure, the batches already sent finish before the error is thrown, so a caller never
 * starts its next step while writes of this one are still landing.
 */
export async function batchWrite(
  db: DynamoDBDocumentClient,
  table: string,
  requests: readonly WriteRequest[],
  inFlight: number = BATCHES_IN_FLIGHT,
): Promise<void> {
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += MAX_BATCH) batches.push(requests.slice(i, i + MAX_BATCH));
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < batches.length) {
      const batch = batches[next++] as WriteRequest[];
      try {
        await writeBatch(db, table, batch);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(Math.max(1, inFlight), batches.length) }, worker),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

/**
 * Puts every copy, then deletes every original and every key in `deletes`: until its delete, an
 * original is whole, and once it is gone its copy is there. Both steps are repeatable (a copy is
 * written at a key a re-run derives again), so a crash anywhere is finished by running it again.
 */
export async function copyThenDelete(
  db: DynamoDBDocumentClient,
  table: string,
  group: { copies: readonly Item[]; deletes: readonly Key[] },
  inFlight: number = BATCHES_IN_FLIGHT,
): Promise<void> {
  await batchWrite(
    db,
    table,
    group.copies.map((Item) => ({ PutRequest: { Item } })),
    inFlight,
  );
  await batchWrite(
    db,
    table,
    group.deletes.map((Key) => ({ DeleteRequest: { Key } })),
    inFlight,
  );
}
