import { isCallbackGone } from '../../adapters/step-functions.ts';
import { GoneError } from '../../domain/errors.ts';
import type { ActionToken } from '../../domain/tokens.ts';
import type { Deps } from '../../lib/deps.ts';

/**
 * Hands the decision to the workflow step waiting on this link; answers true once it did. A step
 * that no longer waits (timed out, stopped) means the request moved on without this answer: the
 * link is gone.
 */
export async function resumeWaitingStep(
  deps: Pick<Deps, 'workflow' | 'tokens'>,
  token: ActionToken,
  decision: string,
): Promise<boolean> {
  if (!token.taskToken) return true;
  try {
    await deps.workflow.sendTaskSuccess(token.taskToken, { decision });
    return true;
  } catch (e) {
    if (!isCallbackGone(e)) throw e;
    // Faults: the step failed and its retry, waiting afresh, has just pointed this link at its own task.
    const now = await deps.tokens.findByHash(token.tokenHash);
    if (now?.taskToken && now.taskToken !== token.taskToken) {
      try {
        await deps.workflow.sendTaskSuccess(now.taskToken, { decision });
        return true;
      } catch (again) {
        if (!isCallbackGone(again)) throw again;
        // That retry took this recorded answer itself (or its next try will): answered, not gone (answerGivenMeanwhile).
        return false;
      }
    }
    throw new GoneError('the request has moved on');
  }
}
