import { timingSafeEqual } from 'node:crypto';
import { NotFoundError } from '../domain/errors.ts';
import { isCancellable, publicView } from '../domain/request.ts';
import type { StoredRequest } from '../domain/tombstone.ts';
import { hashSecret } from '../domain/tokens.ts';
import type { Deps } from '../lib/deps.ts';
import { workflowFor } from './start-request.ts';
import { publicSystems } from './systems/systems-view.ts';

export type PublicView = ReturnType<typeof publicView>;

/** The request has gone past the point where its requester may cancel it. */
export class NotCancellableError extends Error {
  override name = 'NotCancellableError';
}

type StatusDeps = Pick<Deps, 'requests' | 'clock'>;

async function withKey(deps: StatusDeps, requestId: string, key: string | undefined): Promise<StoredRequest> {
  // A tombstone keeps its status and dates, so its requester still sees how it ended (R16).
  const r = await deps.requests.findStored(requestId);
  // Same answer for an unknown id and a wrong key: a guessed id learns nothing.
  const given = Buffer.from(hashSecret(key ?? ''), 'hex');
  const stored = Buffer.from(r?.statusKeyHash ?? '0'.repeat(64), 'hex');
  if (!r || !key || given.length !== stored.length || !timingSafeEqual(given, stored))
    throw new NotFoundError('no such request');
  return r;
}

/**
 * What the holder of the status key may see: status and dates, nothing about the patron; while it
 * waits, what each library system answered, by name (R19; publicView leaves court orders out, R13a).
 */
export async function requestStatus(
  deps: StatusDeps & Pick<Deps, 'systemResults' | 'systems'>,
  requestId: string,
  key: string | undefined,
): Promise<PublicView> {
  const r = await withKey(deps, requestId, key);
  const systems = r.status === 'waiting' && r.kind !== 'court-order' ? await publicSystems(deps, requestId) : undefined;
  return publicView(r, deps.clock(), systems);
}

/** The requester withdraws: the request ends, its links stop working and its workflow stops. */
export async function cancelRequest(
  deps: Pick<Deps, 'requests' | 'audit' | 'tokens' | 'workflow' | 'logger' | 'clock'>,
  requestId: string,
  key: string | undefined,
): Promise<PublicView> {
  const r = await withKey(deps, requestId, key);
  const view = publicView(r, deps.clock());
  if (view.status === 'cancelled') return view;
  if (!isCancellable(r.status) || view.status === 'expired') throw new NotCancellableError('not cancellable');
  const cancelled = await deps.requests.transition(requestId, 'cancelled');
  await deps.audit.append(requestId, { eventId: 'cancelled', type: 'request-cancelled', actor: { kind: 'requester' } });
  await deps.tokens.revokeAll(requestId);
  // The execution is named by the request (start-request.ts); a record from before keeps its id.
  const executionId = r.executionId ?? deps.workflow.executionIdOf(workflowFor(r.kind), requestId);
  await deps.workflow
    .stop(executionId, 'cancelled by the requester')
    .catch((e: unknown) =>
      deps.logger.warn('stop failed', { requestId, errorName: e instanceof Error ? e.name : 'unknown' }),
    );
  return publicView(cancelled, deps.clock());
}
