import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client.ts';
import { startStoreProcess } from '../../local/store-process.ts';
import { REQUESTS_TABLE } from '../../local/runtime.ts';
import { ensureTable } from '../../local/tables.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe("npm start's store in a process of its own (local/store-process.ts)", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('keeps what was written across a stop and a start on the same folder, as `npm start` promises ("state is kept")', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'privacy-desk-store-'));
    dirs.push(dir);
    const first = await startStoreProcess({ path: dir });
    const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: first.endpoint, credentials });
    await ensureTable(raw, REQUESTS_TABLE);
    raw.destroy();
    const db = createDocumentClient({ endpoint: first.endpoint });
    await db.send(new PutCommand({ TableName: REQUESTS_TABLE, Item: { pk: 'KEPT', sk: 'A', n: 1 } }));
    db.destroy();
    await first.stop();

    const second = await startStoreProcess({ path: dir });
    const again = createDocumentClient({ endpoint: second.endpoint });
    const { Item } = await again.send(new GetCommand({ TableName: REQUESTS_TABLE, Key: { pk: 'KEPT', sk: 'A' } }));
    again.destroy();
    await second.stop();
    expect(Item).toEqual({ pk: 'KEPT', sk: 'A', n: 1 });
  });

  it('listens on 127.0.0.1 only, and answers nothing once stopped', async () => {
    const store = await startStoreProcess();
    expect(new URL(store.endpoint).hostname).toBe('127.0.0.1');
    await store.stop();
    await expect(fetch(store.endpoint, { method: 'POST' })).rejects.toThrow();
  });
});
