/**
 * One line of the benchmark table (`npm run bench`): every bench script's measuring function
 * returns these. Times in seconds; `ratio` is time over floor, both measured in the same run.
 */
export interface BenchRow {
  job: string;
  time?: number;
  floor?: number;
  ratio?: number;
  peakMemoryMb?: number;
  note?: string;
}
