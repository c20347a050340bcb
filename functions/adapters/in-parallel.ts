/**
 * `fn` over `items` with at most `limit` calls in flight: enough to hide a store's latency, few
 * enough not to throttle it. Results keep the items' order; the first failure rejects.
 */
export async function mapInParallel<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
