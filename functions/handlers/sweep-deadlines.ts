import { lambdaEntry, type Deps } from '../lib/deps.ts';

/** Step Functions answers these when the waiting task is already gone; nothing more to do. */
const CALLBACK_GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * Scheduled (EventBridge in AWS, a timer locally). Deadlines are data, not long timers
 * (ARCHITECTURE.md): a step waiting on a link that has expired is failed with `LinkExpired`,
 * which its state machine catches (R7: links expire, default 72 h, from the policy).
 * Reads the open-callback index by expiry; never a scan.
 */
export const createHandler = (deps: Deps) => async (): Promise<{ expired: number }> => {
  let expired = 0;
  for (;;) {
    const batch = await deps.tokens.expiredCallbacks(100);
    if (batch.length === 0) return { expired };
    for (const token of batch) {
      if (token.taskToken) {
        try {
          await deps.workflow.sendTaskFailure(token.taskToken, 'LinkExpired', 'the link expired before anyone acted on it');
          expired++;
        } catch (e) {
          // Several staff copies share one step: the first closes it, the rest find it gone.
          if (!(e instanceof Error && CALLBACK_GONE.has(e.name))) throw e;
        }
      }
      await deps.tokens.closeCallback(token);
    }
  }
};

export const handler = lambdaEntry(createHandler);
