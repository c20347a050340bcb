const MB = 1024 * 1024;

/**
 * Runs `fn` once and prints its time, throughput over `items` and this process's memory, sampled
 * every 10 ms (start and peak RSS and heap): what the bench scripts compare against a baseline.
 */
export async function measure<T>(label: string, items: number, fn: () => Promise<T>): Promise<T> {
  globalThis.gc?.();
  const start = process.memoryUsage();
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
    return await fn();
  } finally {
    const ms = performance.now() - t0;
    clearInterval(timer);
    sample();
    console.log(
      `${label.padEnd(46)} ${(ms / 1000).toFixed(1).padStart(7)} s  ${((items / ms) * 1000).toFixed(0).padStart(6)} items/s  ` +
        `RSS ${(start.rss / MB).toFixed(0)} -> peak ${(peakRss / MB).toFixed(0)} MB  heap ${(start.heapUsed / MB).toFixed(0)} -> peak ${(peakHeap / MB).toFixed(0)} MB`,
    );
  }
}
