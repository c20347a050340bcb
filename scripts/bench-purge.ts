/**
 * The purge of long-expired cards (R16, R8; app/purge-expired.ts) at library size: PATRONS patrons,
 * most of them expired years ago, each with a few returned loans and a paid fine, one in a hundred
 * under legal hold, one in fifty with an item still out, one in ten with an active card. The purge
 * task's own code runs over the records table's key-range segments two at a time (the ASL's
 * MaxConcurrency), each segment one invocation after another with a 20 s budget, through the
 * records-table connector's batched path (each candidate's partition read once for its blockers and
 * plan, then BatchWrites across patrons in groups of at most 100 records, each group's legal holds
 * checked just before its writes, the erasure memory) with an audit event per patron. The legal-hold
 * registry is back-filled first, as the retention run's plan step does before its purge.
 *
 *   npx tsx scripts/bench-purge.ts [patrons]   (default 5000; not part of npm test)
 *
 * Floor, measured in the same run on the same data: the same parallel scan for expired profiles,
 * then for each patron the purge deletes, a Query of its partition and the same number of writes
 * (a put of a copy and a delete of every item), BatchWrites of 25, as many patrons in flight as
 * the purge; nothing else (no blocker checks, no plan, no verification, no audit).
 */
import { randomBytes } from 'node:crypto';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordKeys } from '../functions/adapters/dynamodb/keys.ts';
import { purgeExpiredSegment } from '../functions/app/purge-expired.ts';
import { datasetToItems, parseDataset } from '../functions/connectors/records-table/load-dataset.ts';
import { defaultPolicy, policySchema } from '../functions/domain/policy.ts';
import { buildDeps, createLogger } from '../functions/lib/deps.ts';
import { LocalAuditKey } from '../local/audit-key.ts';
import { LocalFingerprinter } from '../local/fingerprinter.ts';
import { isMain, measure, measured } from './bench-measure.ts';
import type { BenchRow } from './bench-row.ts';
import { printTable } from './bench-table.ts';
import { batchWrite, scanInSegments, withBenchTables, writeInBatches } from './bench-support.ts';

const RECORDS = 'library-records';
const REQUESTS = 'requests';
const AUDIT = 'audit';
const TZ = 'America/New_York';
const NOW = new Date('2026-11-28T17:00:00.000Z');
/** Cards that expired before 2023-11-29 go (1095 days). */
const AFTER_DAYS = 1095;
const EXPIRED_BEFORE = '2023-11-29';
const SEGMENTS = 8;
const IN_FLIGHT_SEGMENTS = 2;
const PATRONS_IN_FLIGHT = 4;
const PAGE = 500;
const BUDGET_MS = 20_000;

const held = (p: number) => p % 100 === 7;
const onLoan = (p: number) => p % 50 === 3;
const active = (p: number) => p % 10 === 5;
const idOf = (p: number) => `X${String(p).padStart(6, '0')}`;

function dataset(PATRONS: number) {
  const patrons = Array.from({ length: PATRONS }, (_, p) => ({
    id: idOf(p),
    cardNumber: `29${String(p).padStart(12, '0')}`,
    firstName: 'Bench',
    lastName: `Patron${p}`,
    dateOfBirth: '1960-05-06',
    email: `patron${p}@bench.example`,
    enrolledOn: '2010-01-01',
    expiresOn: active(p) ? '2030-01-01' : '2020-06-30',
  }));
  const loans = patrons.flatMap((x, p) =>
    Array.from({ length: 4 }, (_, k) => ({
      id: `L${p}-${k}`,
      patronId: x.id,
      itemId: `I${(p * 4 + k) % 20_000}`,
      title: `A title of ordinary length, number ${k}`,
      checkedOutAt: '2020-01-02T10:00:00Z',
      dueAt: '2020-01-23T10:00:00Z',
      ...(k === 0 && onLoan(p) ? {} : { returnedAt: '2020-01-20T10:00:00Z' }),
    })),
  );
  const fines = patrons.map((x, p) => ({
    id: `F${p}`,
    patronId: x.id,
    amount: 1.5,
    outstanding: 0,
    reason: 'overdue',
    createdAt: '2020-02-01T10:00:00Z',
  }));
  return parseDataset({
    library: { name: 'Bench Library', timezone: TZ },
    staff: [{ name: 'Bench Staff', email: 'staff@bench.example', roles: ['privacy-officer'] }],
    patrons,
    loans,
    fines,
  });
}

/** Segments `IN_FLIGHT_SEGMENTS` at a time, as the purge Map runs them. */
async function bySegment(work: (segment: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT_SEGMENTS }, async () => {
      for (let s = next++; s < SEGMENTS; s = next++) await work(s);
    }),
  );
}

/** The floor: the scan, and per patron to delete a partition Query and the same number of puts and deletes. */
async function floor(db: DynamoDBDocumentClient, purgeable: Set<string>): Promise<number> {
  let written = 0;
  const filter = {
    FilterExpression: 'sk = :profile AND expiresOn < :cutoff',
    ExpressionAttributeValues: { ':profile': recordKeys.patron('').sk, ':cutoff': EXPIRED_BEFORE },
    ProjectionExpression: 'pk',
  };
  const segments = { table: RECORDS, totalSegments: SEGMENTS, inFlight: IN_FLIGHT_SEGMENTS, pageSize: PAGE, filter };
  await scanInSegments(db, segments, async (res) => {
    const ids = (res.Items ?? [])
      .map((i) => String(i.pk).slice(recordKeys.patronPartition('').length))
      .filter((id) => purgeable.has(id));
    let next = 0;
    await Promise.all(
      Array.from({ length: PATRONS_IN_FLIGHT }, async () => {
        for (let i = next++; i < ids.length; i = next++) {
          const pk = recordKeys.patronPartition(ids[i] ?? '');
          const items =
            (
              await db.send(
                new QueryCommand({
                  TableName: RECORDS,
                  KeyConditionExpression: 'pk = :pk',
                  ExpressionAttributeValues: { ':pk': pk },
                }),
              )
            ).Items ?? [];
          // Copies elsewhere, then those copies deleted: the same count of writes, the data kept for the real run.
          const copies = items.map((it) => ({ ...it, pk: 'BASELINE#PURGE', sk: `${pk}#${String(it.sk)}` }));
          await writeInBatches(
            db,
            RECORDS,
            copies.map((Item) => ({ PutRequest: { Item } })),
            1,
          );
          await writeInBatches(
            db,
            RECORDS,
            copies.map((c) => ({ DeleteRequest: { Key: { pk: c.pk, sk: c.sk } } })),
            1,
          );
          written += copies.length * 2;
        }
      }),
    );
  });
  return written;
}

export async function benchPurge(PATRONS: number): Promise<BenchRow[]> {
  let rows: BenchRow[] = [];
  await withBenchTables([RECORDS, REQUESTS, AUDIT], async (db, dynaliteCpu) => {
    console.log(
      `Node ${process.version}; ${PATRONS} patrons (4 loans and a fine each), cards expired before ${EXPIRED_BEFORE} purged; ` +
        `${SEGMENTS} segments, ${IN_FLIGHT_SEGMENTS} at a time; dynalite (memory) in a child process\n`,
    );
    const data = dataset(PATRONS);
    const items = datasetToItems(data);
    await measure('seed', items.length, async () => {
      for (let i = 0; i < items.length; i += 25)
        await batchWrite(
          db,
          RECORDS,
          items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
        );
    });
    const purgeable = new Set(
      Array.from({ length: PATRONS }, (_, p) => p)
        .filter((p) => !active(p) && !held(p) && !onLoan(p))
        .map(idOf),
    );
    const base = await measured('floor: scan + the same writes', PATRONS, () => floor(db, purgeable), dynaliteCpu);
    console.log(`  wrote ${base.value} items for ${purgeable.size} patrons\n`);

    const deps = buildDeps({
      db,
      tables: { requests: REQUESTS, records: RECORDS, audit: AUDIT },
      baseUrl: 'http://localhost',
      clock: () => NOW,
      logger: createLogger('WARN'),
      policy: policySchema.parse({
        ...structuredClone(defaultPolicy),
        retention: { ...defaultPolicy.retention, expiredPatronAfterDays: AFTER_DAYS },
      }),
      auditKey: new LocalAuditKey(randomBytes(32)),
      fingerprinter: new LocalFingerprinter(randomBytes(32)),
    });
    for (let p = 0; p < PATRONS; p++)
      if (held(p))
        await deps.holds.place({
          holdId: `H${p}`,
          patronId: idOf(p),
          placedBy: 'counsel@library.example',
          nondisclosure: false,
        });
    // R13: the legal-hold registry completed, as the retention run's plan step does before its purge.
    await deps.holds.backfillRegistry(Number.MAX_SAFE_INTEGER);

    const totals = { expired: 0, purged: 0, kept: 0, invocations: 0 };
    const run = await measured(
      'purge (app/purge-expired.ts)',
      PATRONS,
      () =>
        bySegment(async (segment) => {
          let input = {
            runId: 'bench',
            systemId: 'records',
            expiredBefore: EXPIRED_BEFORE,
            segment,
            totalSegments: SEGMENTS,
            pageSize: PAGE,
            budgetSeconds: BUDGET_MS / 1000,
            cursor: null as { pk: string; sk: string } | null,
            progress: { scanned: 0, expired: 0, purged: 0, kept: 0, pages: 0, invocations: 0 },
          };
          for (;;) {
            const out = await purgeExpiredSegment(deps, input, Date.now() + BUDGET_MS);
            if (!out.hasMore) {
              totals.expired += out.progress.expired;
              totals.purged += out.progress.purged;
              totals.kept += out.progress.kept;
              totals.invocations += out.progress.invocations;
              return;
            }
            input = { ...out, cursor: out.cursor };
          }
        }),
      dynaliteCpu,
    );
    console.log(`  ${JSON.stringify(totals)}`);
    const keptExpected = Array.from({ length: PATRONS }, (_, p) => p).filter(
      (p) => !active(p) && (held(p) || onLoan(p)),
    ).length;
    if (totals.purged !== purgeable.size || totals.kept !== keptExpected)
      throw new Error(`expected ${purgeable.size} purged and ${keptExpected} kept; got ${JSON.stringify(totals)}`);
    console.log(`  checked: ${purgeable.size} purged, ${keptExpected} kept (legal hold, item on loan)\n`);
    rows = [
      {
        job: `purge of expired cards (${PATRONS} patrons; ${purgeable.size} purged)`,
        time: run.seconds,
        floor: base.seconds,
        ratio: run.seconds / base.seconds,
        peakMemoryMb: run.peakHeapMb,
        note:
          `floor: the scan + a partition Query and the same count of puts and deletes per patron; CPU (both processes) ` +
          `${run.cpuSeconds.toFixed(1)} s vs ${base.cpuSeconds.toFixed(1)} s (${(run.cpuSeconds / base.cpuSeconds).toFixed(2)}x)`,
      },
    ];
  });
  return rows;
}

if (isMain(import.meta.url)) printTable(await benchPurge(Number(process.argv[2] ?? 5000)));
