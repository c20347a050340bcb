import { isCallbackGone } from '../../adapters/step-functions.ts';
import { GoneError } from '../../domain/errors.ts';
import type { ActionToken } from '../../domain/tokens.ts';
import type { Deps } from '../../lib/deps.ts';

/**
 * Hands the decision to the workflow step waiting on this link. A step that no longer waits
 * (timed out, stopped) means the request moved on without this answer: the link is gone.
 */
export async function resumeWaitingStep(
  deps: Pick<Deps, 'workflow'>,
  token: ActionToken,
  decision: string,
): Promise<void> {
  if (!token.taskToken) return;
  try {
    await deps.workflow.sendTaskSuccess(token.taskToken, { decision });
  } catch (e) {
    if (isCallbackGone(e)) throw new GoneError('the request has moved on');
    throw e;
  }
}
