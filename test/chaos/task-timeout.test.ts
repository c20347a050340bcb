import { describe, expect, it } from 'vitest';
import { withTimeout } from '../../local/engine.ts';

/**
 * ARCHITECTURE.md (Faults), the local engine: in AWS a function's own timeout is shorter than its
 * Task state's, so a timed-out invocation has ended before the state's Retry or Catch runs the
 * next step. A handler here cannot be killed: its step sees `States.Timeout` only once it ended,
 * so a retry or the failure path never runs beside a try that is still writing (or emailing).
 */
describe('a plain task past its time limit', () => {
  it('fails as States.Timeout only after its handler has ended', async () => {
    const order: string[] = [];
    let finish: () => void = () => undefined;
    const handler = new Promise<string>((resolve) => {
      finish = () => {
        order.push('handler ended');
        resolve('late');
      };
    });
    const step = withTimeout(handler, 0.01).then(
      () => order.push('step succeeded'),
      (e: unknown) => order.push(`step failed: ${(e as Error).name}`),
    );
    // Well past the limit, the handler still runs and the step has not moved on.
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual([]);
    finish();
    await step;
    expect(order).toEqual(['handler ended', 'step failed: States.Timeout']);
  });

  it('answers what the handler answered within its limit, and its own error as it is', async () => {
    expect(await withTimeout(Promise.resolve({ ok: true }), 5)).toEqual({ ok: true });
    const failed = Object.assign(new Error('withheld'), { name: 'TransientError' });
    await expect(withTimeout(Promise.reject(failed), 5)).rejects.toMatchObject({ name: 'TransientError' });
  });
});
