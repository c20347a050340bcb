/**
 * What the storage benchmarks share: a dynalite of their own, seeding in parallel batches, and the
 * plain reads their baselines are measured against. Not part of npm test; nothing in functions/
 * imports it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  QueryCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
  type ScanCommandInput,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamodb/client.ts';
import { ensureTable } from '../local/tables.ts';

export type Item = Record<string, unknown>;

/** dynalite in memory, in its own process, on a free port: the memory sampled here is the benchmark's own. */
async function startDynalite(): Promise<{ endpoint: string; child: ChildProcess }> {
  const code = `const d=require('dynalite')({createTableMs:0,deleteTableMs:0,updateTableMs:0});d.listen(0,'127.0.0.1',()=>console.log('PORT '+d.address().port));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.on('data', (b: Buffer) => {
      const m = /PORT (\d+)/.exec(b.toString());
      if (m) resolve(Number(m[1]));
    });
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

/** CPU seconds (user + system) a process has used so far, from /proc; 0 where there is no /proc. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks, counted after the parenthesised command name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100;

/**
 * Runs `bench` against a fresh dynalite holding `tables`, then stops it whatever happened. `cpu`
 * reads the CPU seconds the dynalite process has used, for `measured`: on a shared machine, CPU
 * time moves less with other people's load than elapsed time does.
 */
export async function withBenchTables(
  tables: readonly string[],
  bench: (db: DynamoDBDocumentClient, cpu: () => number) => Promise<void>,
): Promise<void> {
  const { endpoint, child } = await startDynalite();
  const base = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const table of tables) await ensureTable(base, table);
    const db = createDocumentClient({ endpoint });
    await bench(db, () => processCpuSeconds(child.pid));
    db.destroy();
  } finally {
    base.destroy();
    child.kill();
  }
}

/** One BatchWrite of up to 25 requests, sent again with whatever the table left unprocessed. */
export async function batchWrite(db: DynamoDBDocumentClient, table: string, requests: unknown[]): Promise<void> {
  let pending = requests;
  while (pending.length > 0) {
    const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending as never } }));
    pending = out.UnprocessedItems?.[table] ?? [];
  }
}

/** Puts items 0..n-1 of `item` in batches of 25, eight batches at a time. */
export async function seedInBatches(
  db: DynamoDBDocumentClient,
  table: string,
  n: number,
  item: (i: number) => Item,
): Promise<void> {
  const batches = Math.ceil(n / 25);
  let next = 0;
  const worker = async () => {
    for (let b = next++; b < batches; b = next++) {
      const requests = [];
      for (let i = b * 25; i < Math.min(n, b * 25 + 25); i++) requests.push({ PutRequest: { Item: item(i) } });
      await batchWrite(db, table, requests);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** How many items one partition holds, counted page by page. */
export async function countPartition(db: DynamoDBDocumentClient, table: string, pk: string): Promise<number> {
  let n = 0;
  let start: Item | undefined;
  do {
    const res = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      }),
    );
    n += res.Count ?? 0;
    start = res.LastEvaluatedKey;
  } while (start);
  return n;
}

/** `requests` as BatchWrites of 25, `inFlight` of them at a time, each retried with what the table left unprocessed. */
export async function writeInBatches(
  db: DynamoDBDocumentClient,
  table: string,
  requests: unknown[],
  inFlight: number,
): Promise<void> {
  const batches = Math.ceil(requests.length / 25);
  let next = 0;
  const worker = async () => {
    for (let b = next++; b < batches; b = next++) await batchWrite(db, table, requests.slice(b * 25, b * 25 + 25));
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, batches) }, worker));
}

/** What a plain scan may narrow: the filter and the attributes read. */
export type ScanFilter = Pick<
  ScanCommandInput,
  'FilterExpression' | 'ExpressionAttributeValues' | 'ExpressionAttributeNames' | 'ProjectionExpression'
>;

/**
 * The plain parallel scan the floors measure: every key-range segment of `table`, `inFlight`
 * segments at a time, page by page (`pageSize` items evaluated a page), each page given to `page`.
 */
export async function scanInSegments(
  db: DynamoDBDocumentClient,
  options: { table: string; totalSegments: number; inFlight: number; pageSize: number; filter?: ScanFilter },
  page: (res: ScanCommandOutput) => Promise<void> | void,
): Promise<void> {
  const one = async (segment: number) => {
    let start: Item | undefined;
    do {
      const res = await db.send(
        new ScanCommand({
          TableName: options.table,
          Segment: segment,
          TotalSegments: options.totalSegments,
          Limit: options.pageSize,
          ExclusiveStartKey: start,
          ...options.filter,
        }),
      );
      await page(res);
      start = res.LastEvaluatedKey;
    } while (start);
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(options.inFlight, options.totalSegments) }, async () => {
      for (let s = next++; s < options.totalSegments; s = next++) await one(s);
    }),
  );
}
