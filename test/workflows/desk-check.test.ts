import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy, type Policy } from '../../functions/domain/policy.ts';
import { executionOf, expectNoPersonalData } from '../support/executions.ts';
import { localToken } from '../support/http.ts';
import {
  ADA,
  DESK,
  eventually,
  OFFICER,
  startTestRuntime,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * The export workflow's verification step (export.asl.json, through the local engine) when a desk
 * export waits for its second check (R4, R6) and nobody gives it in time: the step's token expires
 * like any link (R7), the deadline sweep fails it with LinkExpired, and the request ends expired
 * having released nothing. Payloads carry ids only (R5).
 */
describe('a desk export whose second check never comes', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    const policy: Policy = {
      ...defaultPolicy,
      verification: { ...defaultPolicy.verification, linkTtlHours: 1 / 3600 },
    };
    rt = await startTestRuntime({ policy });
  });
  afterAll(async () => rt.cleanup());

  it('R4 R6 R7: expires through the real ASL; nothing is released, and a late approval finds nothing waiting', async () => {
    const desk = await localToken(rt.baseUrl, DESK, ['circulation']);
    const post = (path: string, bearer: string, body?: unknown) =>
      fetch(`${rt.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    const made = await post('/api/staff/requests', desk, {
      kind: 'export',
      cardNumber: ADA.cardNumber,
      lastName: ADA.lastName,
      documentKind: 'photo-id',
      confirmation: 'second-staff',
    });
    expect(made.status).toBe(202);
    const { requestId, statusUrl } = (await made.json()) as { requestId: string; statusUrl: string };
    await eventually(
      async () =>
        (await rt.deps.audit.list(requestId)).some((e) => e.type === 'desk-check-requested') ? true : undefined,
      10_000,
      'desk check asked',
    );
    await waitForStatus(rt, statusUrl, 'expired', 15_000);
    await rt.engine.whenDone(executionOf('export', requestId));
    expect(await rt.engine.status(executionOf('export', requestId))).toBe('SUCCEEDED');

    const trail = (await rt.deps.audit.list(requestId)).map((e) => e.type);
    expect(trail).toContain('request-expired');
    expect(trail).not.toContain('disclosure');
    expect((await rt.deps.tokens.listOfRequest(requestId)).map((t) => t.purpose)).toEqual(['approve']);
    expect(await rt.mail.to(ADA.email)).toEqual([]);
    const officer = await localToken(rt.baseUrl, OFFICER, ['privacy-officer']);
    expect((await post(`/api/staff/requests/${requestId}/approve`, officer)).status).toBe(409);
    expectNoPersonalData(rt, executionOf('export', requestId), [ADA]);
  });
});
