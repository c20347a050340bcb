import { isDeepStrictEqual } from 'node:util';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './client.ts';

/**
 * The conditional writes every store builds on: dynalite has no transactions, so each change is
 * one whole-item put whose condition says what it expects to find (ARCHITECTURE.md "State").
 */

/** What a conditional put answers when its condition failed: another writer got there first. */
export const LOST_RACE = Symbol('lost race');

/** How many times a read-change-write is tried before a lost race is the caller's error. */
const UPDATE_ATTEMPTS = 5;

/** Whether the item stored under the key is the one this put wrote (see `isAlreadyStored`). */
export type IsOurWrite = (stored: Record<string, unknown>, written: Record<string, unknown>) => boolean;

// As JSON: the client drops undefined fields on the way in.
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const unchanged: IsOurWrite = (stored, written) => isDeepStrictEqual(plain(stored), plain(written));

async function conditionalPut(
  db: DynamoDBDocumentClient,
  input: {
    TableName: string;
    Item: Record<string, unknown>;
    ConditionExpression: string;
    ExpressionAttributeValues?: Record<string, unknown>;
  },
  isOurs: IsOurWrite = unchanged,
): Promise<boolean> {
  try {
    await db.send(new PutCommand(input));
    return true;
  } catch (e) {
    if (!isConditionalCheckFailed(e)) throw e;
    return isAlreadyStored(db, input.TableName, input.Item, isOurs);
  }
}

/**
 * Faults: a put whose answer was lost (a reset, a timeout) is tried again by the SDK, and then
 * fails its own condition against the item it wrote. By default the item stored being exactly this
 * one (it carries its own version and moment) means the write was ours, not another writer's; a
 * store whose items others may change in the meantime says how it knows its own (`isOurs`).
 */
async function isAlreadyStored(
  db: DynamoDBDocumentClient,
  table: string,
  item: Record<string, unknown>,
  isOurs: IsOurWrite,
): Promise<boolean> {
  const res = await db.send(
    new GetCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }),
  );
  return res.Item !== undefined && isOurs(res.Item, item);
}

/** Writes `item` only where nothing is stored under its key yet; false when something is. */
export const putNew = (
  db: DynamoDBDocumentClient,
  table: string,
  item: Record<string, unknown>,
  isOurs?: IsOurWrite,
): Promise<boolean> =>
  conditionalPut(db, { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }, isOurs);

/** Writes `item` only if the stored item is still at `version` (optimistic locking); false when it is not. */
export const putIfVersion = (
  db: DynamoDBDocumentClient,
  table: string,
  item: Record<string, unknown>,
  version: number,
): Promise<boolean> =>
  conditionalPut(db, {
    TableName: table,
    Item: item,
    ConditionExpression: 'version = :v',
    ExpressionAttributeValues: { ':v': version },
  });

/**
 * Read, change, conditional write: `attempt` does one round and answers what it wrote (or what it
 * found, when there was nothing to change), or LOST_RACE when the write lost to another writer; it
 * is run again from the read, and after the last lost race `lost()` is thrown. Each round re-reads,
 * so its change must be a pure function of the record it is given.
 */
export async function retryLostRaces<T>(attempt: () => Promise<T | typeof LOST_RACE>, lost: () => Error): Promise<T> {
  for (let i = 0; i < UPDATE_ATTEMPTS; i++) {
    const result = await attempt();
    if (result !== LOST_RACE) return result;
  }
  throw lost();
}
