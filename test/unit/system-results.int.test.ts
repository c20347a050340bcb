import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SystemResults } from '../../functions/adapters/dynamodb/system-results.ts';
import { recheckWaitingSystems } from '../../functions/app/systems/await-system.ts';
import type { WorkflowPort } from '../../functions/adapters/step-functions.ts';
import { createLogger } from '../../functions/lib/deps.ts';
import { useDynalite } from '../support/dynalite.ts';

/**
 * R19, R8: one stored result per request and system, and the daily re-check over those that wait:
 * found by index when due, woken through their callback token, and each wake counted, so every
 * attempt after it writes its own audit events.
 */
const TABLE = 'requests';
const DAY = 86_400_000;

describe('system results and the daily re-check (R19, R8)', () => {
  const dynamo = useDynalite([TABLE]);
  let now = Date.parse('2026-12-01T10:00:00Z');
  const clock = () => new Date(now);
  const store = () => new SystemResults(dynamo.db, TABLE, clock);

  async function waiting(requestId: string, systemId: string, token: string) {
    await store().ensure(requestId, [systemId]);
    await store().update(requestId, systemId, (r) => ({
      ...r,
      state: 'blocked',
      waitToken: token,
      recheckAt: new Date(now + DAY).toISOString(),
    }));
  }

  it('R19: a pending result per system, created once however often the plan step runs', async () => {
    const id = randomUUID();
    await store().ensure(id, ['records', 'ils']);
    await store().update(id, 'ils', (r) => ({ ...r, state: 'done' }));
    await store().ensure(id, ['records', 'ils']); // a retried plan step
    expect((await store().list(id)).map((r) => [r.systemId, r.state])).toEqual([
      ['ils', 'done'],
      ['records', 'pending'],
    ]);
  });

  it('R8: only results whose re-check is due are woken; a step that parks again at once keeps its new token and the count', async () => {
    const early = randomUUID();
    const due = randomUUID();
    await waiting(due, 'ils', 'token-1');
    now += 12 * 3_600_000;
    await waiting(early, 'ils', 'token-early');
    now += 13 * 3_600_000; // the first is a day old, the second half a day

    const sent: string[] = [];
    // As the woken step does: it runs, finds the blocker still there, and parks again before the sweep's last write.
    const workflow = {
      sendTaskSuccess: async (token: string) => {
        sent.push(token);
        await store().update(due, 'ils', (r) => ({
          ...r,
          waitToken: 'token-2',
          recheckAt: new Date(now + DAY).toISOString(),
        }));
      },
    } as unknown as WorkflowPort;
    const { woken } = await recheckWaitingSystems({ systemResults: store(), workflow, clock, logger: createLogger() });

    expect(woken).toBe(1);
    expect(sent).toEqual(['token-1']);
    const after = await store().get(due, 'ils');
    expect(after.waitToken).toBe('token-2'); // the new wait is not cleared by the sweep
    expect(after.rechecks).toBe(1); // the wake was counted before the step ran again
    expect((await store().get(early, 'ils')).waitToken).toBe('token-early');
  });

  it('R8: a token the workflow no longer knows (the step already woke) is cleared, not retried for ever', async () => {
    const id = randomUUID();
    await waiting(id, 'records', 'gone-token');
    now += 2 * DAY;
    const workflow = {
      sendTaskSuccess: async () => {
        throw Object.assign(new Error('Task does not exist'), { name: 'TaskDoesNotExist' });
      },
    } as unknown as WorkflowPort;
    await recheckWaitingSystems({ systemResults: store(), workflow, clock, logger: createLogger() });
    const after = await store().get(id, 'records');
    expect(after.waitToken).toBeUndefined();
    expect(await store().dueForRecheck(new Date(now + 10 * DAY))).not.toContainEqual(
      expect.objectContaining({ requestId: id }),
    );
  });
});
