import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { isCallbackGone } from '../../functions/adapters/step-functions.ts';
import type { TaskFunction } from '../../local/engine.ts';
import { REQUESTS_TABLE } from '../../local/runtime.ts';
import { postForm } from '../support/http.ts';
import { ADA, linkIn, startTestRuntime, submit, waitForStatus, type TestRuntime } from '../support/runtime.ts';

/**
 * ARCHITECTURE.md (Faults), the local engine: Step Functions keeps an answer to a waiting step
 * (SendTaskSuccess) durably once the call returns. Here the runtime stops after the patron's
 * confirmation was handed to the access workflow's verification step and before the engine
 * checkpointed the next state (that checkpoint is dropped, as a process stopping first would drop
 * it, and the next step is held so nothing after the wait is done before the stop). The chaos run
 * met this by chance: the request then waited for good on a token nobody would answer again.
 */
describe('an answer handed to a waiting step just before a restart', () => {
  const dirs: string[] = [];
  const runtimes: TestRuntime[] = [];
  afterAll(async () => {
    for (const rt of runtimes) await rt.cleanup().catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('R4 R17: the resumed step takes the kept answer, once: a second answer is refused and the request completes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'privacy-desk-data-'));
    dirs.push(dataDir);
    let dropped = () => undefined as void;
    const checkpointDropped = new Promise<void>((resolve) => (dropped = resolve));
    let release = () => undefined as void;
    const stopped = new Promise<void>((resolve) => (release = resolve));
    const first = await startTestRuntime({
      dataDir,
      // The held step ends only after the stop: the stop waits this long for it, not its 30 s.
      stopGraceMs: 500,
      beforeCheckpoint: async (executionId, state) => {
        if (!executionId.startsWith('local:access:') || state !== 'ReachSystems') return;
        dropped();
        throw new Error('the runtime stopped before this checkpoint was written');
      },
      wrapFunction: (name, fn): TaskFunction =>
        name !== 'task-plan-systems'
          ? fn
          : async () => {
              await stopped;
              throw new Error('the runtime stopped');
            },
    });
    runtimes.push(first);

    const { body } = await submit(first, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const link = linkIn(await first.mail.waitFor(ADA.email, /confirm your privacy request/), 'act');
    const waiting = await waitingToken(first);
    expect((await postForm(link, { decision: 'confirm' })).status).toBe(200);
    await checkpointDropped;
    // Once only: the token answered is refused any other answer, as Step Functions refuses it.
    const again = await first.engine.sendTaskSuccess(waiting, { decision: 'decline' }).catch((e: unknown) => e);
    expect(isCallbackGone(again)).toBe(true);
    await first.cleanup();
    runtimes.pop();
    release();

    const second = await startTestRuntime({ dataDir });
    runtimes.push(second);
    const late = await second.engine.sendTaskSuccess(waiting, { decision: 'decline' }).catch((e: unknown) => e);
    expect(isCallbackGone(late)).toBe(true);
    await waitForStatus(second, body.statusUrl, 'completed', 30_000);
    await second.mail.waitFor(ADA.email, /are ready/);

    const events = await second.deps.audit.list(body.requestId);
    expect(events.filter((e) => e.type === 'identity-verified')).toHaveLength(1);
    expect((await second.deps.audit.check(body.requestId)).ok).toBe(true); // R17
    // Nobody was asked again: the restart did not send a second confirmation.
    expect((await second.mail.to(ADA.email)).filter((e) => /confirm your privacy request/.test(e.subject))).toEqual([]);
  });
});

/** The callback token the running access execution waits on, as the engine recorded it. */
async function waitingToken(rt: TestRuntime): Promise<string> {
  for (let tries = 0; tries < 400; tries++) {
    const res = await rt.db.send(
      new QueryCommand({
        TableName: REQUESTS_TABLE,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :r',
        ExpressionAttributeValues: { ':r': requestKeys.runningExecutions },
      }),
    );
    const item = (res.Items ?? []).find((i) => String(i.executionId).startsWith('local:access:'));
    const token = (item?.waiting as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string') return token;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the access execution never recorded its wait');
}
