import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestStatistics } from '../../functions/app/request-statistics.ts';
import { newRequestRecord } from '../../functions/domain/new-request.ts';
import { defaultPolicy } from '../../functions/domain/policy.ts';
import type { Principal } from '../../functions/lib/auth.ts';
import { ADA, OFFICER, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * R3: the statistics read each status partition of the status index in turn, page by page, while
 * workflows go on moving requests between statuses. A request must be counted once, in one status,
 * however it moves while the report is read; and once in one month, the month it was received in.
 */
const officer: Principal = { sub: 'officer-sub', email: OFFICER, groups: ['privacy-officer'] };

describe('R3 request statistics over a store that changes while it is read', () => {
  let rt: TestRuntime;
  const ids: string[] = [];
  beforeAll(async () => {
    rt = await startTestRuntime({ schedules: [] });
    // Five requests received in the last month that has ended, all waiting on their requester.
    const now = new Date();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 10, 15));
    for (let i = 0; i < 5; i++) {
      const { record } = newRequestRecord(
        { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName },
        new Date(lastMonth.getTime() + i * 3600_000),
        defaultPolicy,
      );
      await rt.deps.requests.create(record);
      await rt.deps.requests.transition(record.requestId, 'verifying');
      ids.push(record.requestId);
    }
  });
  afterAll(async () => rt.cleanup());

  const month = () => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
  };

  it('R3: a request that completes while the report is between status partitions is counted once, in its new status', async () => {
    const store = rt.deps.requests;
    let moved = false;
    // The real store; a workflow step completes one request just after its old status was read.
    const requests = Object.assign(Object.create(store) as typeof store, {
      pageByStatus: async (...a: Parameters<typeof store.pageByStatus>) => {
        const page = await store.pageByStatus(...a);
        if (a[0] === 'verifying' && !moved) {
          moved = true;
          await store.transition(ids[0]!, 'completed', { closedAt: new Date().toISOString() });
        }
        return page;
      },
    });
    const stats = await requestStatistics({ ...rt.deps, requests }, officer, { from: month(), to: month() }, 'json');
    expect(moved).toBe(true);
    if (stats.format !== 'json') throw new Error('json asked');
    expect(stats.report.total).toBe(5);
    expect(stats.report.byMonth).toEqual({ [month()]: 5 });
    expect(stats.report.byStatus).toMatchObject({ verifying: '<5', completed: '<5' });
    expect(JSON.stringify(stats.report)).not.toMatch(new RegExp(ids.join('|')));
  });
});
