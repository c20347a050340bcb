import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll } from 'vitest';
import { createDocumentClient, queryAll } from '../../functions/adapters/dynamodb/client.ts';
import { ensureTable } from '../../local/tables.ts';

export interface EmbeddedDynamo {
  /** The endpoint, for a second client (a race, a fault). */
  endpoint: string;
  /** The document client the stores use. */
  db: DynamoDBDocumentClient;
}

/**
 * dynalite in memory for the enclosing `describe`, with `tables` in the app's key layout (the same
 * `ensureTable` the local runtime uses), stopped afterwards. Its fields are set once `beforeAll` has run.
 */
export function useDynalite(tables: readonly string[]): EmbeddedDynamo {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const embedded = {} as EmbeddedDynamo;
  let admin: DynamoDBClient | undefined;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    embedded.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    admin = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: embedded.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    for (const table of tables) await ensureTable(admin, table);
    embedded.db = createDocumentClient({ endpoint: embedded.endpoint });
  });
  afterAll(async () => {
    embedded.db?.destroy();
    admin?.destroy();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });
  return embedded;
}

type Item = Record<string, unknown>;

/** Writes items straight into a table, 25 to a batch (DynamoDB's limit), as a fixture. */
export async function putItems(db: DynamoDBDocumentClient, table: string, items: readonly Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    await db.send(
      new BatchWriteCommand({
        RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
}

/** Every item under one partition key, page by page, read consistently: what is really left there. */
export const partitionItems = (db: DynamoDBDocumentClient, table: string, pk: string): Promise<Item[]> =>
  queryAll(db, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk },
    ConsistentRead: true,
  });
