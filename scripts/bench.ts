/**
 * Every benchmark, one table (issue #15): job, time, floor, ratio, peak memory.
 *
 *   npm run bench              sizes that finish in a few minutes (10,000 records)
 *   npm run bench -- --full    100,000 records (and 5,000 patrons for the retention run and the purge)
 *
 * Each job prints its own lines as it goes and the table is printed again after every job, so a
 * run stopped part way still leaves the rows it measured. Times are elapsed seconds of one run on
 * whatever machine this is: on a shared machine, read the ratios (the job and its floor measured
 * in the same run) rather than the seconds. Peak memory is this process's peak heap during the
 * job (after a collection before it). Not part of npm test.
 */
import { measureBundles } from './bench-bundles.ts';
import { measureColdStarts } from './bench-cold-start.ts';
import { benchErasure } from './bench-erasure.ts';
import { benchExport } from './bench-export.ts';
import { benchFanOut } from './bench-fan-out.ts';
import { benchKohaRead } from './bench-koha-read.ts';
import { benchPurge } from './bench-purge.ts';
import { benchRetention } from './bench-retention.ts';
import type { BenchRow } from './bench-row.ts';
import { formatTable } from './bench-table.ts';

const full = process.argv.includes('--full');
const RECORDS = full ? 100_000 : 10_000;
const PATRONS = full ? 5000 : 500;

const jobs: [string, () => Promise<BenchRow[]>][] = [
  ['export', () => benchExport(RECORDS)],
  ['erasure', () => benchErasure(RECORDS)],
  ['retention', () => benchRetention(RECORDS, PATRONS)],
  ['purge', () => benchPurge(PATRONS)],
  ['fan-out', () => benchFanOut(3)],
  ['Koha read', () => benchKohaRead(RECORDS)],
  ['bundles', () => measureBundles()],
  ['cold start', () => measureColdStarts()],
];

const rows: BenchRow[] = [];
const started = new Date();
for (const [name, job] of jobs) {
  console.log(`\n=== ${name} ===`);
  try {
    rows.push(...(await job()));
  } catch (e) {
    rows.push({ job: name, note: `failed: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}` });
    process.exitCode = 1;
  }
  console.log(`\n${formatTable(rows)}\n`);
}
console.log(
  `${full ? 'full' : 'quick'} run, ${RECORDS} records; started ${started.toISOString()}, ` +
    `${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min; Node ${process.version}`,
);
