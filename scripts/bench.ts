/**
 * Every benchmark, one table (issue #15): job, time, floor, ratio, peak memory.
 *
 *   npm run bench              sizes that finish in a few minutes (10,000 records)
 *   npm run bench -- --full    100,000 records (and 5,000 patrons for the retention run and the purge)
 *
 * Each job runs in a Node process of its own, as each runs alone (`npm run bench:*`) and as each is a
 * Lambda of its own in AWS: in one shared process the jobs measured late in the run (the retention
 * run, the purge) paid for the heap the earlier ones left (export, erasure: some 750 MB of RSS), and
 * came out 1.4 times their floors where the same code alone measured 1.06 to 1.14.
 *
 * Each job prints its own lines as it goes and the table is printed again after every job, so a
 * run stopped part way still leaves the rows it measured. Times are elapsed seconds of one run on
 * whatever machine this is: on a shared machine, read the ratios (the job and its floor measured
 * in the same run) rather than the seconds. Peak memory is the job's process's peak heap during the
 * job (after a collection before it). Not part of npm test.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './bench-row.ts';
import { formatTable } from './bench-table.ts';

const args = process.argv.slice(2);
const full = args.includes('--full');
const RECORDS = full ? 100_000 : 10_000;
const PATRONS = full ? 5000 : 500;

/** Each job imports its script only in its own process. */
const JOBS: Record<string, () => Promise<BenchRow[]>> = {
  export: async () => (await import('./bench-export.ts')).benchExport(RECORDS),
  erasure: async () => (await import('./bench-erasure.ts')).benchErasure(RECORDS),
  retention: async () => (await import('./bench-retention.ts')).benchRetention(RECORDS, PATRONS),
  purge: async () => (await import('./bench-purge.ts')).benchPurge(PATRONS),
  'fan-out': async () => (await import('./bench-fan-out.ts')).benchFanOut(3),
  'Koha read': async () => (await import('./bench-koha-read.ts')).benchKohaRead(RECORDS),
  bundles: async () => (await import('./bench-bundles.ts')).measureBundles(),
  'cold start': async () => (await import('./bench-cold-start.ts')).measureColdStarts(),
};

/** In a job's own process: run it and leave its rows, as JSON, where the parent said. */
async function runJob(name: string, out: string): Promise<void> {
  const job = JOBS[name];
  if (!job) throw new Error(`no such job: ${name}`);
  writeFileSync(out, JSON.stringify(await job()));
}

/** The job in a fresh Node process (this script again, with tsx), its output shown as it comes. */
function jobInProcess(name: string, out: string): Promise<number | null> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), ...(full ? ['--full'] : []), '--job', name, '--out', out],
    { stdio: 'inherit' },
  );
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

async function runAll(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const rows: BenchRow[] = [];
  const started = new Date();
  try {
    for (const name of Object.keys(JOBS)) {
      console.log(`\n=== ${name} ===`);
      const out = join(dir, 'rows.json');
      rmSync(out, { force: true });
      const code = await jobInProcess(name, out);
      try {
        rows.push(...(JSON.parse(readFileSync(out, 'utf8')) as BenchRow[]));
        if (code !== 0) process.exitCode = 1;
      } catch {
        rows.push({ job: name, note: `failed: its process ended with code ${String(code)} and no rows` });
        process.exitCode = 1;
      }
      console.log(`\n${formatTable(rows)}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `${full ? 'full' : 'quick'} run, ${RECORDS} records, each job in a process of its own; started ` +
      `${started.toISOString()}, ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min; Node ${process.version}`,
  );
}

const jobAt = args.indexOf('--job');
if (jobAt >= 0) {
  const outAt = args.indexOf('--out');
  await runJob(String(args[jobAt + 1]), String(args[outAt + 1]));
} else {
  await runAll();
}
