import { isCallbackGone } from '../../adapters/step-functions.ts';
import { GoneError } from '../../domain/errors.ts';
import type { ActionToken } from '../../domain/tokens.ts';
import type { Deps } from '../../lib/deps.ts';

/**
 * Hands the decision to the workflow step waiting on this link. A step that no longer waits
 * (timed out, stopped) means the request moved on without this answer: the link is gone.
 */
export async function resumeWaitingStep(
  deps: Pick<Deps, 'workflow' | 'tokens'>,
  token: ActionToken,
  decision: string,
): Promise<void> {
  if (!token.taskToken) return;
  try {
    await deps.workflow.sendTaskSuccess(token.taskToken, { decision });
  } catch (e) {
    if (!isCallbackGone(e)) throw e;
    // Faults: the step failed and its retry, waiting afresh, has just pointed this link at its own task.
    const now = await deps.tokens.findByHash(token.tokenHash);
    if (now?.taskToken && now.taskToken !== token.taskToken) {
      try {
        await deps.workflow.sendTaskSuccess(now.taskToken, { decision });
        return;
      } catch (again) {
        if (!isCallbackGone(again)) throw again;
      }
    }
    throw new GoneError('the request has moved on');
  }
}
