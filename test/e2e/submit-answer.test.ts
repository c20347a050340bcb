import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskFunction } from '../../local/engine.ts';
import type { FunctionName } from '../../workflows/index.ts';
import { postFormAsBrowser } from '../support/http.ts';
import { ADA, linkIn, startTestRuntime, statusOf, submit, waitForStatus } from '../support/runtime.ts';

/** The access workflow's first state (workflows/access.asl.json, StartAt: MatchPatron). */
const FIRST_TASK: FunctionName = 'task-match-patron';

/** A gate a held handler waits at until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('the submit answer does not wait on the workflow (issue 14)', () => {
  it('a submission is answered before its workflow runs its first task, and the workflow then runs', async () => {
    const seen: string[] = [];
    const held = gate();
    const rt = await startTestRuntime({
      wrapFunction: (name, fn): TaskFunction => {
        if (name === FIRST_TASK)
          return async (event, context) => {
            seen.push('first task started');
            await held.wait;
            return fn(event, context);
          };
        if (name === 'api-requests')
          return async (event, context) => {
            const answer = await fn(event, context);
            seen.push('submit answered');
            return answer;
          };
        return fn;
      },
    });
    try {
      // The first task is held: the answer still comes, because it never waits on the workflow.
      const { status, body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: 'Lovelace' });
      expect(status).toBe(202);
      expect((await statusOf(rt, body.statusUrl)).status).toBe('received');
      held.open();
      // R7: the request then goes on as before: the confirmation email reaches the patron.
      await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
      expect(seen.slice(0, 2)).toEqual(['submit answered', 'first task started']);
    } finally {
      held.open();
      await rt.cleanup();
    }
  });

  it('R7: a runtime stopped right after a submission, before its first task ran, runs that request to the end when started again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'privacy-desk-data-'));
    try {
      // The first runtime never lets the first task do its work: it stops with the request only submitted.
      const never = gate();
      const first = await startTestRuntime({
        dataDir,
        wrapFunction: (name, fn): TaskFunction =>
          name === FIRST_TASK
            ? async () => {
                await never.wait;
                throw new Error('held until the runtime stopped');
              }
            : fn,
      });
      const { status, body } = await submit(first, {
        kind: 'access',
        cardNumber: ADA.cardNumber,
        lastName: ADA.lastName,
      });
      expect(status).toBe(202);
      expect(await first.mail.to(ADA.email)).toHaveLength(0);
      await first.cleanup();
      never.open();

      const second = await startTestRuntime({ dataDir });
      try {
        const verify = await second.mail.waitFor(ADA.email, /confirm your privacy request/);
        const path = new URL(linkIn(verify, 'act')).pathname;
        expect((await postFormAsBrowser(`${second.baseUrl}${path}`, { decision: 'confirm' })).status).toBe(200);
        await second.mail.waitFor(ADA.email, /are ready/);
        await waitForStatus(second, body.statusUrl, 'completed');
      } finally {
        await second.cleanup();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
