import type { BenchRow } from './bench-row.ts';

const secs = (s: number | undefined) => (s === undefined ? '–' : `${s.toFixed(2)} s`);

/** The rows as one Markdown table: job, time, floor, ratio, peak memory, note. */
export function formatTable(rows: readonly BenchRow[]): string {
  const lines = [
    '| job | time | floor | ratio | peak memory | note |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.job} | ${secs(r.time)} | ${secs(r.floor)} | ${r.ratio === undefined ? '–' : r.ratio.toFixed(2)} | ` +
        `${r.peakMemoryMb === undefined ? '–' : `${r.peakMemoryMb.toFixed(0)} MB`} | ${r.note ?? ''} |`,
    ),
  ];
  return lines.join('\n');
}

export function printTable(rows: readonly BenchRow[]): void {
  console.log(`\n${formatTable(rows)}\n`);
}
