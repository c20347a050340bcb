/**
 * Erasure budget (ARCHITECTURE.md "Budgets"): a patron with 100,000 records is erased with memory
 * that stays flat, in time close to a floor that does the same writes and nothing else.
 *
 *   npx tsx scripts/bench-erasure.ts [records]     (default 100000; not part of npm test)
 *
 * dynalite runs in memory in a child process, so the memory sampled here is the erasure's own
 * (the table's contents live in the child). Three patrons with the same loans are seeded; the
 * floor (a paginated read, a put of a copy and a delete of every loan, batched) runs on one before
 * and on another after the erasure (collect the facts, execute the plan, verify) of the third.
 * Prints elapsed time, CPU time (this process and dynalite's) and peak RSS / heap for each, then
 * the table row.
 */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildDeletionPlan } from '../functions/domain/deletion-plan.ts';
import { buildDeps, createLogger } from '../functions/lib/deps.ts';
import {
  BATCHES_IN_FLIGHT,
  ERASURE_PAGE_SIZE,
  collectDeletionFacts,
  executeDeletionPlan,
  verifyErasure,
} from '../functions/connectors/records-table/erasure.ts';
import { recordKeys } from '../functions/adapters/dynamodb/keys.ts';
import { isMain, measure, measured } from './bench-measure.ts';
import type { BenchRow } from './bench-row.ts';
import { printTable } from './bench-table.ts';
import { countPartition, seedInBatches, withBenchTables, writeInBatches, type Item } from './bench-support.ts';

const RECORDS = 'library-records';
const REQUESTS = 'requests';
const TZ = 'America/New_York';

async function seed(db: DynamoDBDocumentClient, patronId: string, records: number): Promise<void> {
  await db.send(
    new PutCommand({
      TableName: RECORDS,
      Item: {
        ...recordKeys.patron(patronId),
        gsi1pk: recordKeys.byCard(`99${patronId.replace(/\D/g, '').padStart(10, '0')}`),
        gsi1sk: 'PROFILE',
        kind: 'PATRON',
        id: patronId,
        firstName: 'Bench',
        lastName: 'Patron',
        dateOfBirth: '1980-01-01',
        securityQuestions: [],
      },
    }),
  );
  const loan = (i: number): Item => ({
    ...recordKeys.record(patronId, 'LOAN', `L${String(i).padStart(7, '0')}`),
    kind: 'LOAN',
    id: `L${i}`,
    patronId,
    itemId: `I${i % 5000}`,
    title: `A title of ordinary length, number ${i % 5000}`,
    branch: 'Main Library',
    checkedOutAt: '2024-01-10T13:00:00-05:00',
    dueAt: '2024-01-31T23:59:59-05:00',
    returnedAt: '2024-01-28T18:20:00-05:00',
  });
  await seedInBatches(db, RECORDS, records, loan);
}

/**
 * The floor: the writes the plan must do and nothing else, on the same data. Page through the
 * patron's loans as the erasure does (same page size), and for each page put a copy of every loan
 * under another partition, then delete the originals: BatchWrites of 25, as many in flight as
 * the erasure allows. No plan, no hold checks, no key derivation, no decisions.
 *
 * The copies' sort keys are spread as the erasure's are (an HMAC is uniformly spread, 32 hex
 * digits), not in the originals' order: the store inserts keys in order more cheaply (in dynalite,
 * about a tenth less of its CPU at 40,000 records), which made the floor cheaper than the same
 * writes. A multiplicative hash of a counter spreads them at no cost, and never twice the same.
 */
let copies = 0;
const spreadKey = (): string => {
  const n = copies++;
  return ((Math.imul(n, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0') + n.toString(16)).padEnd(32, '0');
};

async function sameWritesFloor(db: DynamoDBDocumentClient, patronId: string): Promise<number> {
  let written = 0;
  let start: Item | undefined;
  do {
    const res = await db.send(
      new QueryCommand({
        TableName: RECORDS,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :loan)',
        ExpressionAttributeValues: { ':pk': recordKeys.patronPartition(patronId), ':loan': 'LOAN#' },
        Limit: ERASURE_PAGE_SIZE,
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    const items = res.Items ?? [];
    await writeInBatches(
      db,
      RECORDS,
      items.map((it) => ({
        PutRequest: { Item: { ...it, pk: 'FLOOR#LOAN', sk: spreadKey() } },
      })),
      BATCHES_IN_FLIGHT,
    );
    await writeInBatches(
      db,
      RECORDS,
      items.map((it) => ({ DeleteRequest: { Key: { pk: it.pk, sk: it.sk } } })),
      BATCHES_IN_FLIGHT,
    );
    written += items.length;
    start = res.LastEvaluatedKey;
  } while (start);
  return written;
}

/** Erases a patron with `records` returned loans and measures it against the same-writes floor. */
export async function benchErasure(records: number): Promise<BenchRow[]> {
  let rows: BenchRow[] = [];
  await withBenchTables([RECORDS, REQUESTS], async (db, dynaliteCpu) => {
    const now = new Date();
    const { holds, recordsDb, policy } = buildDeps({
      db,
      tables: { requests: REQUESTS, records: RECORDS },
      baseUrl: 'http://localhost',
      clock: () => now,
      logger: createLogger('WARN'),
    });
    console.log(
      `Node ${process.version}; ${records} returned loans per patron; dynalite (memory) in a child process\n`,
    );

    // Every patron first, so the floors and the erasure each run against a table of the same size.
    await measure('seed patrons A, B and C', 3 * records, async () => {
      for (const p of ['BENCH-A', 'BENCH-B', 'BENCH-C']) await seed(db, p, records);
    });
    // A floor before the erasure and one after, their mean its floor: on a shared machine the load
    // moves during a run of minutes, and the erasure meets what both floors met between them.
    const floors = [
      await measured(
        'floor 1: paginated read + same puts and deletes',
        records,
        () => sameWritesFloor(db, 'BENCH-B'),
        dynaliteCpu,
      ),
    ];
    if (floors[0]?.value !== records) throw new Error(`floor wrote ${floors[0]?.value}, expected ${records}`);

    const facts = await measured(
      'collectDeletionFacts (paginated read)',
      records,
      () => collectDeletionFacts(recordsDb, holds, 'BENCH-A', now, TZ, policy),
      dynaliteCpu,
    );
    if (facts.value.returnedLoans !== records)
      throw new Error(`expected ${records} returned loans, counted ${facts.value.returnedLoans}`);
    const plan = buildDeletionPlan({ patronId: 'BENCH-A', now, timezone: TZ, policy, facts: facts.value });
    const executed = await measured(
      'executeDeletionPlan (anonymise all)',
      records,
      () => executeDeletionPlan({ ...recordsDb, patronId: 'BENCH-A', plan, holds, policy }),
      dynaliteCpu,
    );
    const verified = await measured(
      'verifyErasure',
      records,
      () => verifyErasure({ ...recordsDb, patronId: 'BENCH-A', plan }),
      dynaliteCpu,
    );
    floors.push(
      await measured(
        'floor 2: the same, after the erasure',
        records,
        () => sameWritesFloor(db, 'BENCH-C'),
        dynaliteCpu,
      ),
    );
    const mean = (f: (m: (typeof floors)[number]) => number) => floors.reduce((a, m) => a + f(m), 0) / floors.length;
    const floor = { seconds: mean((m) => m.seconds), cpuSeconds: mean((m) => m.cpuSeconds) };
    const copies = await countPartition(db, RECORDS, 'ANON#LOAN');
    console.log(
      `  result ${JSON.stringify(executed.value)}; verify ok=${verified.value.ok}; anonymised copies ${copies}\n`,
    );
    if (!verified.value.ok || copies !== records || executed.value.anonymised !== records)
      throw new Error('erasure incomplete');

    const time = facts.seconds + executed.seconds;
    rows = [
      {
        job: `erasure: facts + execute (${records} loans)`,
        time,
        floor: floor.seconds,
        ratio: time / floor.seconds,
        peakMemoryMb: Math.max(facts.peakHeapMb, executed.peakHeapMb),
        note:
          `execute alone ${(executed.seconds / floor.seconds).toFixed(2)}x; ` +
          `CPU (both processes) ${(facts.cpuSeconds + executed.cpuSeconds).toFixed(1)} s vs floor ${floor.cpuSeconds.toFixed(1)} s ` +
          `(${((facts.cpuSeconds + executed.cpuSeconds) / floor.cpuSeconds).toFixed(2)}x); ` +
          `floor the mean of ${floors.map((m) => `${m.seconds.toFixed(1)} s`).join(' before and ')} after; ` +
          `peak RSS ${Math.max(facts.peakRssMb, executed.peakRssMb).toFixed(0)} MB; verify ${verified.seconds.toFixed(1)} s`,
      },
    ];
  });
  return rows;
}

if (isMain(import.meta.url)) printTable(await benchErasure(Number(process.argv[2] ?? 100_000)));
