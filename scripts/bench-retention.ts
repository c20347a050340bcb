/**
 * Retention budget (R16, ARCHITECTURE.md "Budgets"): the nightly pass over every kind of record with a
 * period (returned loans, closed holds, program sign-ups, paid fines, gifts) across a library's whole
 * history runs as many short, Lambda-sized invocations with flat memory, in time close to a plain
 * parallel scan doing the same writes; and the purge of long-expired cards (scripts/bench-purge.ts).
 *
 *   npx tsx scripts/bench-retention.ts [records] [--patrons N] [--segments N] [--budget seconds] [--page N]
 *   (defaults: 100000 records, 5000 patrons (also the purge's), 8 segments, a 20 s budget per invocation, 500 items a page; not part of npm test)
 *
 * dynalite runs in memory in a child process, so the memory sampled here is the sweep's own. The
 * real workflows/retention.asl.json runs on aws-local-stepfunctions (the library the local engine
 * wraps) with every Task state, those inside the Map included, mapped to the real handlers, each
 * invocation given a Lambda context whose remaining time is the budget plus the handler's margin.
 * Prints elapsed time, peak RSS / heap, and how many invocations of each function the run took
 * and the longest one. Baselines: the same scan with the same writes done plainly (before the run),
 * and a plain scan with no writes (after it).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { buildDeps, createLogger, type Deps } from '../functions/lib/deps.ts';
import { recordKeys } from '../functions/adapters/dynamodb/keys.ts';
import { lambdaContext } from '../local/lambda-context.ts';
import { WORKFLOWS, type FunctionName } from '../workflows/index.ts';
import { isMain, measure, measured } from './bench-measure.ts';
import type { BenchRow } from './bench-row.ts';
import { benchPurge } from './bench-purge.ts';
import { printTable } from './bench-table.ts';
import {
  batchWrite,
  countPartition,
  scanInSegments,
  seedInBatches,
  withBenchTables,
  type Item,
  type ScanFilter,
} from './bench-support.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SEGMENTS = flag('segments', 8);
const BUDGET_S = flag('budget', 20);
const PAGE = flag('page', 500);
/** task-sweep-loans keeps this much of the Lambda's remaining time back (its SAFETY_MS). */
const HANDLER_MARGIN_MS = 15_000;
const RECORDS = 'library-records';
const REQUESTS = 'requests';
const TZ = 'America/New_York';
/** Run on 2026-11-28: the cutoff day (365 days) is 2025-11-28. */
const NOW = new Date('2026-11-28T17:00:00.000Z');
/** One patron in a hundred is under legal hold (R13). */
const heldPatron = (p: number) => p % 100 === 7;

/**
 * Every kind of record with a period, round-robin in twentieths: 12 returned loans, 3 closed holds,
 * 2 program sign-ups, 2 paid fines, 1 gift. Four in five of each kind are past their period (the
 * default policy: 365 days for library records, 7 years for fines and gifts), one in five within it.
 */
const KIND_OF = [
  'LOAN',
  'LOAN',
  'LOAN',
  'LOAN',
  'LOAN',
  'LOAN',
  'LOAN',
  'LOAN',
  'LOAN',
  'LOAN',
  'LOAN',
  'LOAN',
  'HOLD',
  'HOLD',
  'HOLD',
  'PROGRAM',
  'PROGRAM',
  'FINE',
  'FINE',
  'DONATION',
] as const;
const KINDS = ['LOAN', 'HOLD', 'PROGRAM', 'FINE', 'DONATION'] as const;

/** N records of every kind over PATRONS patrons. */
async function seed(
  db: DynamoDBDocumentClient,
  N: number,
  PATRONS: number,
): Promise<{ eligible: number; held: number }> {
  let eligible = 0;
  let held = 0;
  const record = (i: number): Item => {
    const p = i % PATRONS;
    const patronId = `B${String(p).padStart(6, '0')}`;
    const kind = KIND_OF[i % KIND_OF.length] ?? 'LOAN';
    // One in five of each kind within its period; never a held patron's (p % 100 === 7 falls on 0), so their records are all past it.
    const old = Math.floor(i / KIND_OF.length) % 5 !== 1;
    if (old && heldPatron(p)) held++;
    else if (old) eligible++;
    const id = `${kind[0]}${String(i).padStart(7, '0')}`;
    const keys = { ...recordKeys.record(patronId, kind, id), kind, id, patronId };
    // Library records: 2024 (past 365 days) or 2026; fines and gifts: 2018 (past 7 years) or 2026.
    const day = old ? (kind === 'FINE' || kind === 'DONATION' ? '2018-01-28' : '2024-01-28') : '2026-03-28';
    switch (kind) {
      case 'LOAN':
        return {
          ...keys,
          itemId: `I${i % 20_000}`,
          title: `A title of ordinary length, number ${i % 20_000}`,
          branch: ['Main Library', 'Cos Cob Branch', 'Byram Shubert'][i % 3],
          checkedOutAt: `${day}T13:00:00-05:00`,
          dueAt: `${day}T23:59:59-05:00`,
          returnedAt: `${day}T18:20:00-05:00`,
        };
      case 'HOLD':
        return {
          ...keys,
          title: `A title on hold, number ${i % 20_000}`,
          placedAt: `${day}T10:00:00-05:00`,
          status: 'fulfilled',
        };
      case 'PROGRAM':
        return { ...keys, title: 'Story time', date: day, attended: true };
      case 'FINE':
        return { ...keys, amount: 1.5, outstanding: 0, reason: 'overdue', createdAt: `${day}T10:00:00-05:00` };
      case 'DONATION':
        return { ...keys, amount: 25, date: day, campaign: 'Annual appeal' };
    }
  };
  await seedInBatches(db, RECORDS, N, record);
  await db.send(
    new PutCommand({ TableName: RECORDS, Item: { ...recordKeys.library, name: 'Bench Library', timezone: TZ } }),
  );
  return { eligible, held };
}

/** The plain parallel scan the baselines measure: every segment, four at a time, PAGE items a page. */
const scanRecords = (
  db: DynamoDBDocumentClient,
  filter: ScanFilter,
  page: Parameters<typeof scanInSegments>[2],
): Promise<void> =>
  scanInSegments(db, { table: RECORDS, totalSegments: SEGMENTS, inFlight: 4, pageSize: PAGE, filter }, page);

/** The baseline: the same parallel scan, 4 segments at a time, reading every item, writing nothing. */
async function plainScan(db: DynamoDBDocumentClient): Promise<number> {
  let read = 0;
  await scanRecords(db, {}, (res) => {
    read += res.Count ?? 0;
  });
  return read;
}

/**
 * The baseline with the same writes: the same parallel scan, filtered to the records past their
 * period, and for each one a put (a copy under another partition) and a delete (of that copy), 25 a
 * batch, 4 segments at a time; no hold checks, no key derivation, no Step Functions.
 */
async function plainScanAndWrite(db: DynamoDBDocumentClient): Promise<number> {
  let written = 0;
  const write = (requests: unknown[]) => batchWrite(db, RECORDS, requests);
  const filter = {
    FilterExpression:
      '(begins_with(sk, :loan) AND returnedAt < :days) OR (begins_with(sk, :hold) AND placedAt < :days) OR ' +
      '(begins_with(sk, :program) AND #date < :days) OR (begins_with(sk, :fine) AND createdAt < :years) OR ' +
      '(begins_with(sk, :gift) AND #date < :years)',
    ExpressionAttributeNames: { '#date': 'date' },
    ExpressionAttributeValues: {
      ':loan': 'LOAN#',
      ':hold': 'HOLD#',
      ':program': 'PROGRAM#',
      ':fine': 'FINE#',
      ':gift': 'DONATION#',
      ':days': '2025-11-30',
      ':years': '2019-11-30',
    },
  };
  await scanRecords(db, filter, async (res) => {
    const items = res.Items ?? [];
    for (let i = 0; i < items.length; i += 25) {
      const keys = items
        .slice(i, i + 25)
        .map((it) => ({ pk: 'BASELINE#COPY', sk: `${String(it.pk)}#${String(it.sk)}` }));
      await write(keys.map((k, j) => ({ PutRequest: { Item: { ...items[i + j], ...k } } })));
      await write(keys.map((Key) => ({ DeleteRequest: { Key } })));
      written += keys.length;
    }
  });
  return written;
}

type Stats = { count: number; maxMs: number; totalMs: number };

/** The retention run over `N` records of `PATRONS` patrons against the same scan with the same writes. */
export async function benchRetention(N: number, PATRONS: number): Promise<BenchRow[]> {
  let rows: BenchRow[] = [];
  await withBenchTables([RECORDS, REQUESTS], async (db, dynaliteCpu) => {
    console.log(
      `Node ${process.version}; ${N} records of every kind with a period over ${PATRONS} patrons; ${SEGMENTS} segments, ${BUDGET_S} s budget per invocation, ${PAGE} items a page; dynalite (memory) in a child process\n`,
    );

    const expected = await measure('seed', N, () => seed(db, N, PATRONS), dynaliteCpu);
    const floor = await measured('baseline: parallel scan + same writes', N, () => plainScanAndWrite(db), dynaliteCpu);
    console.log(`  wrote and deleted ${floor.value} copies\n`);
    // The retention run sends no email, starts no workflow and touches no file: those ports stay withheld.
    const deps = buildDeps({
      db,
      tables: { requests: REQUESTS, records: RECORDS },
      baseUrl: 'http://localhost',
      clock: () => NOW,
      logger: createLogger('WARN'),
    });
    for (let p = 0; p < PATRONS; p++) {
      if (heldPatron(p))
        await deps.holds.place({
          holdId: `H${p}`,
          patronId: `B${String(p).padStart(6, '0')}`,
          placedBy: 'counsel@library.example',
          nondisclosure: false,
        });
    }

    // The real definition, every Task (the Map's included) mapped to the real handler.
    const wf = WORKFLOWS.retention;
    let text = readFileSync(new URL(`../workflows/${wf.file}`, import.meta.url), 'utf8');
    for (const [placeholder, fn] of Object.entries(wf.functions))
      text = text.replaceAll(`\${${placeholder}}`, `arn:aws:lambda:us-east-1:000000000000:function:privacy-desk-${fn}`);
    const definition = JSON.parse(text) as {
      States: Record<
        string,
        {
          Type: string;
          Resource?: string;
          ItemProcessor?: { States: Record<string, { Type: string; Resource?: string }> };
        }
      >;
    };
    const stats = new Map<FunctionName, Stats>();
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const states = Object.entries(definition.States).flatMap(([name, s]) => [
      [name, s] as const,
      ...Object.entries(s.ItemProcessor?.States ?? {}),
    ]);
    for (const [name, state] of states) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      const fnName = state.Resource.split(':function:privacy-desk-')[1] as FunctionName;
      const mod = (await import(`../functions/handlers/${fnName}.ts`)) as {
        createHandler: (d: Deps) => (e: unknown, c: unknown) => Promise<unknown>;
      };
      const fn = mod.createHandler(deps);
      handlers[name] = async (input) => {
        const t0 = performance.now();
        const out = await fn(input, lambdaContext(fnName, BUDGET_S * 1000 + HANDLER_MARGIN_MS));
        const ms = performance.now() - t0;
        const s = stats.get(fnName) ?? { count: 0, maxMs: 0, totalMs: 0 };
        stats.set(fnName, { count: s.count + 1, maxMs: Math.max(s.maxMs, ms), totalMs: s.totalMs + ms });
        return out;
      };
    }
    const machine = new StateMachine(definition as unknown as StateMachineDefinition);
    const input = {
      runId: 'bench',
      asOf: NOW.toISOString(),
      totalSegments: SEGMENTS,
      pageSize: PAGE,
      pagesPerInvocation: 0,
      budgetSeconds: BUDGET_S,
    };
    const run = await measured(
      'retention run (retention.asl.json)',
      N,
      () => machine.run(input, { overrides: { taskResourceLocalHandlers: handlers as never } }).result,
      dynaliteCpu,
    );
    const output = run.value as { result: Record<string, unknown> };
    console.log(`  result ${JSON.stringify(output.result)}`);
    for (const [fn, s] of stats)
      console.log(
        `  ${fn.padEnd(26)} ${String(s.count).padStart(4)} invocations, longest ${(s.maxMs / 1000).toFixed(1)} s, total ${(s.totalMs / 1000).toFixed(1)} s`,
      );
    const total = [...stats.values()].reduce((n, s) => n + s.count, 0);
    console.log(`  ${'all functions'.padEnd(26)} ${String(total).padStart(4)} invocations\n`);

    let copies = 0;
    for (const kind of KINDS) copies += await countPartition(db, RECORDS, recordKeys.anonymised(kind, '').pk);
    if (
      output.result.anonymised !== expected.eligible ||
      copies !== expected.eligible ||
      output.result.heldLoans !== expected.held
    ) {
      throw new Error(
        `expected ${expected.eligible} anonymised and ${expected.held} held; got ${JSON.stringify(output.result)}, ${copies} copies`,
      );
    }
    console.log(`  checked: ${copies} anonymised copies, ${expected.held} records of held patrons kept\n`);

    const read = await measure('baseline: plain parallel scan, no writes', N, () => plainScan(db), dynaliteCpu);
    console.log(`  read ${read} items`);
    rows = [
      {
        job: `retention run, every category (${N} records, ${PATRONS} patrons; ${expected.eligible} anonymised)`,
        time: run.seconds,
        floor: floor.seconds,
        ratio: run.seconds / floor.seconds,
        peakMemoryMb: run.peakHeapMb,
        note:
          `floor: parallel scan + the same puts and deletes; CPU (both processes) ${run.cpuSeconds.toFixed(1)} s ` +
          `vs ${floor.cpuSeconds.toFixed(1)} s (${(run.cpuSeconds / floor.cpuSeconds).toFixed(2)}x); ` +
          `${[...stats.values()].reduce((n, s) => n + s.count, 0)} invocations`,
      },
    ];
  });
  return rows;
}

if (isMain(import.meta.url)) {
  const rows = await benchRetention(
    Number(args[0] && !args[0].startsWith('--') ? args[0] : 100_000),
    flag('patrons', 5000),
  );
  printTable(rows);
  // The nightly pass's other half: the purge of long-expired cards, at `--patrons`.
  printTable([...rows, ...(await benchPurge(flag('patrons', 5000)))]);
}
