/**
 * Export benchmark (ARCHITECTURE.md budgets, R8a): a patron with a long history is exported with
 * memory that stays flat, in time close to a plain paginated read of the same items.
 *
 *   npx tsx scripts/bench-export.ts [loans=100000]
 *
 * Starts the local runtime in memory (dynalite, local SES), writes a patron and their loans
 * straight into the records table with BatchWrite (adapters/dynamodb/keys.ts layout), then for a small and
 * the full history: a plain paginated read, and the export handler (records → zip → file store),
 * sampling RSS and heap every 20 ms. The zip is checked by reading it back with yauzl. Not part
 * of `npm test`; numbers depend on the machine.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { openPromise } from 'yauzl';
import { defaultPolicy } from '../functions/domain/policy.ts';
import { dueDate, type RequestRecord } from '../functions/domain/request.ts';
import { hashSecret, newSecret } from '../functions/domain/tokens.ts';
import { createHandler as createBuildExport } from '../functions/handlers/task-build-export.ts';
import { planSystems } from '../functions/app/systems/plan-systems.ts';
import { reachSystem } from '../functions/app/systems/reach-system.ts';
import { createExportZip } from '../functions/render/export-zip.ts';
import type { Loan } from '../functions/domain/dataset.ts';
import { recordKeys } from '../functions/adapters/dynamodb/keys.ts';
import { lambdaContext } from '../local/lambda-context.ts';
import { RECORDS_TABLE, startRuntime, type Runtime } from '../local/runtime.ts';
import { isMain } from './bench-measure.ts';
import type { BenchRow } from './bench-row.ts';
import { printTable } from './bench-table.ts';
import { medianBy } from './bench-stats.ts';

const PAGE_SIZE = 1000; // as the export handler reads
const DATASET = fileURLToPath(new URL('../local/demo-dataset.json', import.meta.url));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const TITLES = [
  'The Difference Engine',
  'Hidden Figures',
  'Code: The Hidden Language of Computer Hardware and Software',
  'Klara and the Sun',
  'The Innovators',
  'A Brief History of Time',
  'Pride and Prejudice',
  'Moby-Dick; or, The Whale',
  'The "Annotated" Alice',
  '=SUM(A1:A9) and other spreadsheet tricks',
];
const BRANCHES = ['Main Library', 'Cos Cob Branch', 'Byram Shubert Library'];

function loanItem(patronId: string, i: number): Record<string, unknown> {
  const out = new Date(Date.UTC(2000, 0, 1) + i * 3_600_000);
  const id = `L${String(i).padStart(7, '0')}`;
  return {
    ...recordKeys.record(patronId, 'LOAN', id),
    kind: 'LOAN',
    id,
    patronId,
    itemId: `I${(i * 7919) % 1_000_003}`,
    title: `${TITLES[i % TITLES.length]} (copy ${i % 97})`,
    branch: BRANCHES[i % BRANCHES.length],
    checkedOutAt: out.toISOString(),
    dueAt: new Date(out.getTime() + 21 * 86_400_000).toISOString(),
    returnedAt: i % 50 === 0 ? null : new Date(out.getTime() + 14 * 86_400_000).toISOString(),
  };
}

/** Writes the items 25 at a time (BatchWrite's limit), a few batches in flight, retrying unprocessed ones. */
async function batchWrite(db: DynamoDBDocumentClient, items: Record<string, unknown>[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const start = next;
      next += 25;
      if (start >= items.length) return;
      let pending = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const res = await db.send(new BatchWriteCommand({ RequestItems: { [RECORDS_TABLE]: pending } }));
        pending = (res.UnprocessedItems?.[RECORDS_TABLE] ?? []).flatMap((w) =>
          w.PutRequest?.Item ? [{ PutRequest: { Item: w.PutRequest.Item } }] : [],
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function loadPatron(rt: Runtime, loans: number): Promise<string> {
  const patronId = `PBENCH${loans}`;
  const cardNumber = String(90_000_000_000_000 + loans);
  await batchWrite(rt.db, [
    {
      ...recordKeys.patron(patronId),
      gsi1pk: recordKeys.byCard(cardNumber),
      gsi1sk: 'PROFILE',
      kind: 'PATRON',
      id: patronId,
      cardNumber,
      firstName: 'Bench',
      lastName: 'Reader',
      dateOfBirth: '1980-01-01',
      email: `bench${loans}@example.org`,
      guarantorIds: [],
      username: 'bench',
      passwordHash: '$2b$12$benchbenchbenchbenchbenchbenchbenchbenchbenchbenchbe',
      securityQuestions: [],
      paymentMethods: [{ type: 'card', last4: '1111' }],
      linkedAccounts: [],
    },
  ]);
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < loans; i++) items.push(loanItem(patronId, i));
  await batchWrite(rt.db, items);
  return patronId;
}

/** A verified export request for the patron, as the workflow leaves it before BuildExport. */
async function verifiedRequest(rt: Runtime, patronId: string): Promise<string> {
  const now = new Date();
  const requestId = randomUUID();
  const record: RequestRecord = {
    requestId,
    kind: 'export',
    status: 'verifying',
    version: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    dueAt: dueDate(now, 30),
    statusKeyHash: hashSecret(newSecret()),
    patronId,
    matched: true,
    verification: { method: 'email-link', verifiedAt: now.toISOString() },
  };
  await rt.deps.requests.create(record);
  // R19: the export is assembled from what each system answered, as the workflow's Map leaves it.
  const { items } = await planSystems(rt.deps, requestId);
  for (const item of items) if (!item.manual) await reachSystem(rt.deps, requestId, item.systemId);
  return requestId;
}

interface Sampled<T> {
  value: T;
  ms: number;
  baseline: { rss: number; heap: number };
  peak: { rss: number; heap: number };
}

/**
 * Runs `fn` after a GC, sampling memory every 20 ms; peaks are reported above the baseline.
 * `live`: a GC before each sample (every 100 ms), so the peak is what is reachable, not garbage
 * not yet collected; that slows the run, so its time is not reported.
 */
async function sampled<T>(fn: () => Promise<T>, live = false): Promise<Sampled<T>> {
  gc();
  const m0 = process.memoryUsage();
  const baseline = { rss: m0.rss, heap: m0.heapUsed };
  const peak = { ...baseline };
  const sample = () => {
    if (live) gc();
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  };
  const timer = setInterval(sample, live ? 100 : 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    sample();
    return { value, ms: performance.now() - t0, baseline, peak };
  } finally {
    clearInterval(timer);
  }
}

async function plainRead(rt: Runtime, patronId: string): Promise<number> {
  let n = 0;
  for await (const page of rt.deps.records.records(patronId, 'LOAN', PAGE_SIZE)) n += page.length;
  return n;
}

/** How often `marker` occurs in a stream, reading it chunk by chunk. */
async function countIn(stream: NodeJS.ReadableStream, marker: string): Promise<number> {
  stream.setEncoding('utf8');
  let count = 0;
  let carry = '';
  for await (const chunk of stream) {
    const text = carry + (chunk as string);
    count += text.split(marker).length - 1;
    // Too short to hold a whole marker, so nothing is counted twice; long enough for one split across chunks.
    carry = text.slice(Math.max(0, text.length - marker.length + 1));
  }
  return count;
}

/** Streams the zip back (never whole in memory) and counts the loan rows in the JSON and the CSV. */
async function checkZip(path: string): Promise<{ entries: number; csvLoans: number; jsonLoans: number }> {
  const zip = await openPromise(path, { lazyEntries: true });
  const out = { entries: 0, csvLoans: 0, jsonLoans: 0 };
  for await (const entry of zip.eachEntry()) {
    out.entries++;
    const stream = await zip.openReadStreamPromise(entry);
    if (entry.fileName === 'export.json') out.jsonLoans = await countIn(stream, '"checkedOutAt":');
    else if (entry.fileName === 'library-records.csv') out.csvLoans = await countIn(stream, '\r\nloan,');
    else await finished(stream.resume());
  }
  zip.close();
  return out;
}

/** The export's own work (JSON, CSV, spool, deflate) from an in-memory source to a null sink: no database. */
async function inMemoryExport(n: number): Promise<number> {
  const patronId = 'PMEM';
  const loans = Array.from({ length: n }, (_, i) => {
    const { pk: _pk, sk: _sk, kind: _kind, ...loan } = loanItem(patronId, i);
    return loan as unknown as Loan;
  });
  const t0 = performance.now();
  const zip = createExportZip({
    policy: defaultPolicy,
    library: { name: 'Bench Library' },
    generatedAt: new Date().toISOString(),
    requestId: randomUUID(),
    patron: {
      id: patronId,
      cardNumber: '900000000',
      firstName: 'Bench',
      lastName: 'Reader',
      dateOfBirth: '1980-01-01',
      guarantorIds: [],
      securityQuestions: [],
      paymentMethods: [],
      linkedAccounts: [],
    },
    verification: { method: 'email-link', verifiedAt: new Date().toISOString() },
    source: {
      async *records(kind) {
        if (kind !== 'LOAN') return;
        for (let i = 0; i < loans.length; i += PAGE_SIZE) yield loans.slice(i, i + PAGE_SIZE) as never;
      },
    },
  });
  await Promise.all([pipeline(zip.stream, new Writable({ write: (_c, _e, cb) => cb() })), zip.done]);
  return performance.now() - t0;
}

/** Read-and-export pairs timed at each size. */
const TIMED_PAIRS = 3;

/** Exports a patron with `LOANS` loans (and a tenth of that) against a plain read: one row for `npm run bench`. */
export async function benchExport(LOANS: number): Promise<BenchRow[]> {
  const SMALL = Math.max(1, Math.round(LOANS / 10));
  const out: BenchRow[] = [];
  const filesDir = await mkdtemp(join(tmpdir(), 'privacy-desk-bench-'));
  // No schedules: the daily retention run would anonymise the benchmark's old loans while they are being read.
  const rt = await startRuntime({
    port: 0,
    mailPort: 0,
    filesDir,
    datasetPath: DATASET,
    logLevel: 'ERROR',
    schedules: [],
  });
  const buildExport = createBuildExport(rt.deps);
  try {
    console.log(
      `Export benchmark: Node ${process.version}, ${LOANS} loans (and ${SMALL} for comparison), pages of ${PAGE_SIZE}`,
    );
    const rows: string[][] = [
      [
        'loans',
        'plain read',
        'export',
        'export/read',
        'in-memory export',
        'peak RSS Δ',
        'peak heap Δ read/export',
        'live heap Δ read/export',
        'zip size',
        'zip check',
      ],
    ];
    for (const n of [SMALL, LOANS]) {
      const t0 = performance.now();
      const patronId = await loadPatron(rt, n);
      console.log(`  loaded ${n} loans with BatchWrite in ${secs(performance.now() - t0)}`);

      // Three pairs, read and export interleaved, so that a load that moves during the job weighs on
      // both; the medians are compared (one pair alone moved between 1.09 and 1.37 within minutes).
      const pairs: { read: Sampled<number>; exp: Sampled<unknown>; requestId: string }[] = [];
      for (let k = 0; k < TIMED_PAIRS; k++) {
        const read = await sampled(() => plainRead(rt, patronId));
        if (read.value !== n) throw new Error(`read ${read.value} of ${n}`);
        const requestId = await verifiedRequest(rt, patronId);
        const exp = await sampled(() => buildExport({ requestId }, lambdaContext('BuildExport', 900_000)));
        pairs.push({ read, exp, requestId });
      }
      const read = medianBy(
        pairs.map((p) => p.read),
        (s) => s.ms,
      );
      const exp = medianBy(
        pairs.map((p) => p.exp),
        (s) => s.ms,
      );
      const { requestId } = pairs[0] as (typeof pairs)[number];
      const readLive = await sampled(() => plainRead(rt, patronId), true);
      const second = await verifiedRequest(rt, patronId);
      const expLive = await sampled(
        () => buildExport({ requestId: second }, lambdaContext('BuildExport', 900_000)),
        true,
      );
      const memory = await inMemoryExport(n);

      const dir = join(filesDir, 'exports', requestId);
      const [file] = await readdir(dir);
      const path = join(dir, file as string);
      const size = (await stat(path)).size;
      const check = await checkZip(path);
      if (check.csvLoans !== n || check.jsonLoans !== n || check.entries !== 9)
        throw new Error(`zip check failed: ${JSON.stringify(check)}`);
      console.log(
        `  ${n} loans: read ${secs(read.ms)}; export ${secs(exp.ms)}, RSS ${MB(exp.baseline.rss)} → peak ${MB(exp.peak.rss)}, heap ${MB(exp.baseline.heap)} → peak ${MB(exp.peak.heap)} (live peak ${MB(expLive.peak.heap)})`,
      );
      if (n === LOANS)
        out.push({
          job: `export (${n} loans)`,
          time: exp.ms / 1000,
          floor: read.ms / 1000,
          ratio: exp.ms / read.ms,
          peakMemoryMb: exp.peak.heap / 1024 / 1024,
          note: `plain paginated read of the same items, median of ${TIMED_PAIRS} interleaved (export ${pairs.map((p) => secs(p.exp.ms)).join(', ')}; read ${pairs.map((p) => secs(p.read.ms)).join(', ')}); zip checked (${check.entries} files)`,
        });
      rows.push([
        String(n),
        secs(read.ms),
        secs(exp.ms),
        (exp.ms / read.ms).toFixed(2),
        secs(memory),
        MB(exp.peak.rss - exp.baseline.rss),
        `${MB(read.peak.heap - read.baseline.heap)} / ${MB(exp.peak.heap - exp.baseline.heap)}`,
        `${MB(readLive.peak.heap - readLive.baseline.heap)} / ${MB(expLive.peak.heap - expLive.baseline.heap)}`,
        MB(size),
        `ok: ${check.entries} files, ${check.jsonLoans} loans in the JSON and the CSV`,
      ]);
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
    console.log('');
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
    console.log(
      '\nΔ = above the baseline measured (after a GC) just before the run; the in-process dynalite holding the table is in the baseline.',
    );
  } finally {
    await rt.stop();
    await rm(filesDir, { recursive: true, force: true });
  }
  return out;
}

if (isMain(import.meta.url)) printTable(await benchExport(Number(process.argv[2] ?? 100_000)));
