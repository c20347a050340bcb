/** One row of the benchmark table (`npm run bench`): a job, its time and its floor in seconds, their ratio, peak memory. */
export type BenchRow = {
  job: string;
  time?: number;
  floor?: number;
  ratio?: number;
  peakMemoryMb?: number;
  note?: string;
};
