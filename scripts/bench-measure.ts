import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MB = 1024 * 1024;

// A collection before each job, so that its peak heap is its own rather than what the last one left.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** What one job took: its result, seconds, and this process's peak RSS and peak heap in MB. */
export interface Measured<T> {
  value: T;
  seconds: number;
  peakRssMb: number;
  peakHeapMb: number;
  /** CPU seconds this process used, plus those `otherCpu` counted (a dynalite in its own process). */
  cpuSeconds: number;
}

/**
 * Runs `fn` once and prints its time, throughput over `items` and this process's memory, sampled
 * every 10 ms (start and peak RSS and heap): what the bench scripts compare against a floor.
 */
export async function measured<T>(
  label: string,
  items: number,
  fn: () => Promise<T>,
  otherCpu: () => number = () => 0,
): Promise<Measured<T>> {
  gc();
  const start = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const other0 = otherCpu();
  let peakRss = start.rss;
  let peakHeap = start.heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 10);
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    const used = process.cpuUsage(cpu0);
    const ownCpu = (used.user + used.system) / 1e6;
    const cpuSeconds = ownCpu + otherCpu() - other0;
    sample();
    console.log(
      `${label.padEnd(46)} ${(ms / 1000).toFixed(1).padStart(7)} s  ${((items / ms) * 1000).toFixed(0).padStart(6)} items/s  ` +
        `CPU ${cpuSeconds.toFixed(1).padStart(6)} s (own ${ownCpu.toFixed(1)})  RSS ${(start.rss / MB).toFixed(0)} -> peak ${(peakRss / MB).toFixed(0)} MB  heap ${(start.heapUsed / MB).toFixed(0)} -> peak ${(peakHeap / MB).toFixed(0)} MB`,
    );
    return { value, seconds: ms / 1000, peakRssMb: peakRss / MB, peakHeapMb: peakHeap / MB, cpuSeconds };
  } finally {
    clearInterval(timer);
  }
}

/** `measured`, keeping only the result. */
export async function measure<T>(
  label: string,
  items: number,
  fn: () => Promise<T>,
  otherCpu?: () => number,
): Promise<T> {
  return (await measured(label, items, fn, otherCpu)).value;
}

/** Whether the module at `url` is the script node was started with (not one `scripts/bench.ts` imported). */
export const isMain = (url: string): boolean =>
  process.argv[1] !== undefined && url === pathToFileURL(resolve(process.argv[1])).href;
