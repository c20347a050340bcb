/** The benchmarks' one statistic: medians, which one slow run on a shared machine moves least. */

/** The middle value; for an even count, the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the median of no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The sample whose `key` is the median, for a sample's other figures to go with its time (an odd count). */
export function medianBy<T>(samples: readonly T[], key: (s: T) => number): T {
  if (samples.length % 2 === 0) throw new Error(`the median sample of an even count (${samples.length})`);
  return [...samples].sort((a, b) => key(a) - key(b))[Math.floor(samples.length / 2)] as T;
}
