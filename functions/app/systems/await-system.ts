import { systemName } from '../../domain/systems.ts';
import { tellPrivacyOfficers } from '../deliver.ts';
import { isCallbackGone } from '../../adapters/step-functions.ts';
import { IntegrityError } from '../../domain/errors.ts';
import { isTerminal } from '../../domain/request.ts';
import { nextRecheck } from '../../domain/system-result.ts';
import type { Deps } from '../../lib/deps.ts';
import { systemUnreachableEmail } from '../../render/system-emails.ts';

/**
 * R8, R19: a system is blocked or did not answer: the request waits (status `waiting`) and this
 * system's step sleeps until the daily re-check wakes it (`recheckWaitingSystems`). The callback
 * token is kept on the system's own result, listed by re-check time.
 */
export async function awaitSystem(
  deps: Pick<Deps, 'systemResults' | 'requests' | 'audit' | 'clock'>,
  o: { requestId: string; systemId: string; taskToken: string },
): Promise<void> {
  const result = await deps.systemResults.get(o.requestId, o.systemId);
  if (result.state !== 'blocked' && result.state !== 'unreachable')
    throw new IntegrityError(`system ${o.systemId} is not waiting`);
  const recheckAt = nextRecheck(deps.clock());
  await deps.systemResults.update(o.requestId, o.systemId, (r) => ({ ...r, waitToken: o.taskToken, recheckAt }));
  await deps.requests.update(o.requestId, (r) =>
    isTerminal(r.status) || r.status === 'waiting' ? undefined : { ...r, status: 'waiting' },
  );
  await deps.audit.append(o.requestId, {
    eventId: `system-waiting:${o.systemId}:${result.rechecks ?? 0}`,
    type: 'system-waiting',
    actor: { kind: 'system' },
    data: { system: o.systemId, state: result.state, recheckAt },
  });
}

/** A name the state machine's Catch gives (`TransientError`, `ConnectorError`…), never a message (R5). */
const errorName = (name: string): string => (/^[A-Za-z0-9_.:-]{1,100}$/.test(name) ? name : 'Unknown');

/**
 * R19: a system's step failed after its retries. Nothing is recorded as done there; the system is
 * `unreachable`, the privacy officer is told which system and why, and the request waits.
 * Idempotent through the audit event (one alert per attempt).
 */
export async function recordSystemTrouble(
  deps: Deps,
  o: { requestId: string; systemId: string; error: string },
): Promise<void> {
  const reason = errorName(o.error);
  const result = await deps.systemResults.update(o.requestId, o.systemId, (r) =>
    r.state === 'pending' || r.state === 'unreachable' || r.state === 'blocked'
      ? { ...r, state: 'unreachable', reason }
      : undefined,
  );
  const eventId = `system-unreachable:${o.systemId}:${result.rechecks ?? 0}`;
  if ((await deps.audit.list(o.requestId)).some((e) => e.eventId === eventId)) return;
  await tellPrivacyOfficers(deps, { requestId: o.requestId, purpose: eventId }, (library) =>
    systemUnreachableEmail({
      library,
      requestId: o.requestId,
      system: systemName(deps.systems, o.systemId),
      reason,
      recheckAt: nextRecheck(deps.clock()),
    }),
  );
  await deps.audit.append(o.requestId, {
    eventId,
    type: 'system-unreachable',
    actor: { kind: 'system' },
    data: { system: o.systemId, reason },
  });
}

/**
 * R8: the daily re-check. Each waiting system whose time has come is woken: its step runs again
 * through the connector, and finishes the request by itself once the blocker has cleared. The
 * token is sent before it is cleared, so a crash in between only wakes a step already awake.
 */
export async function recheckWaitingSystems(
  deps: Pick<Deps, 'systemResults' | 'workflow' | 'clock' | 'logger'>,
): Promise<{ woken: number }> {
  const due = await deps.systemResults.dueForRecheck(deps.clock());
  let woken = 0;
  for (const r of due) {
    if (!r.waitToken) continue;
    // Counted before the step wakes: its next answer and audit event carry the new count, even if
    // it parks again before this run's last write (a crash here only counts one wake twice).
    await deps.systemResults.update(r.requestId, r.systemId, (cur) =>
      cur.waitToken === r.waitToken ? { ...cur, rechecks: (cur.rechecks ?? 0) + 1 } : undefined,
    );
    try {
      await deps.workflow.sendTaskSuccess(r.waitToken, { recheck: true });
      woken++;
    } catch (e) {
      if (!isCallbackGone(e)) throw e;
    }
    await deps.systemResults.update(r.requestId, r.systemId, (cur) => {
      if (cur.waitToken !== r.waitToken) return undefined;
      const { waitToken: _t, recheckAt: _c, ...rest } = cur;
      return rest;
    });
  }
  return { woken };
}
