import { DeliveryUncertainError, TransientError } from '../domain/errors.ts';

/** Whole calls in all (each with the SDK's own tries inside), and the pause before the second. */
const CALLS = 3;
const FIRST_PAUSE_MS = 200;

/**
 * ARCHITECTURE.md (Faults): a call that is safe to make again (a read, a put of the same bytes under
 * the same key) is made again, a few times with a doubling pause, when what escaped the SDK's own
 * retries is transient. A step making dozens of calls then fails only when one call keeps failing
 * for about a second, not whenever one of its calls was unlucky; and being bounded, a real outage
 * still fails the step into its workflow's Retry. An email whose delivery is uncertain is never
 * sent again (`sendOnce`).
 */
export async function retryTransient<T>(call: () => Promise<T>): Promise<T> {
  for (let made = 1; ; made++) {
    try {
      return await call();
    } catch (e) {
      if (!(e instanceof TransientError) || e instanceof DeliveryUncertainError || made >= CALLS) throw e;
      await new Promise((r) => setTimeout(r, FIRST_PAUSE_MS * 2 ** (made - 1)));
    }
  }
}
