import { hasConnector } from '../../connectors/index.ts';
import { refOf } from '../../connectors/people.ts';
import type { PatronRef, SystemConnector } from '../../connectors/port.ts';
import { assertCorrectionConfirmed } from '../../domain/correction.ts';
import { IntegrityError } from '../../domain/errors.ts';
import { donorIdOf, type CorrectionChanges, type RequestOf, type RequestRecord } from '../../domain/request.ts';
import { isWaiting, type SystemResult } from '../../domain/system-result.ts';
import type { SystemConfig } from '../../domain/systems.ts';
import type { Deps } from '../../lib/deps.ts';
import { eraseInSystem } from '../deletion-erase.ts';
import { categoriesOf } from './plan-systems.ts';
import { countHeld, type Outcome, type Reach } from './reach.ts';

/** What a system's step answers the workflow: the state only (R5). */
export interface ReachAnswer {
  state: SystemResult['state'];
}

/**
 * R19: one request's work in one system reached through its API connector. Safe to repeat: a
 * result already final answers at once, the person's id in the system is stored at first sight,
 * and every connector write is idempotent (ARCHITECTURE.md, Connectors).
 */
export async function reachSystem(deps: Deps, requestId: string, systemId: string): Promise<ReachAnswer> {
  const result = await deps.systemResults.get(requestId, systemId);
  if (!isWaiting(result)) return { state: result.state };
  const system = deps.systems.systems.find((s) => s.id === systemId);
  if (!system || !hasConnector(system)) throw new IntegrityError(`system ${systemId} has no connector`);
  const request = await deps.requests.get(requestId);
  const connector = deps.connector(system);
  const donorId = donorIdOf(request);
  const ref = donorId === undefined ? await locate(deps, request, system, connector, result) : undefined;
  const outcome: Outcome =
    donorId !== undefined
      ? await optOutDonor(deps, system, donorId)
      : ref
        ? await REACH[request.kind]({ deps, request, system, connector, ref })
        : { state: 'not-held' };
  const now = deps.clock().toISOString();
  await deps.systemResults.update(requestId, systemId, (r) => {
    const { blockers: _b, waitToken: _t, recheckAt: _c, reason: _r, ...rest } = r;
    return { ...rest, ...outcome, ...(ref ? { ref: ref.patronId } : {}), answeredBy: 'system', answeredAt: now };
  });
  await deps.audit.append(requestId, {
    eventId: `system-${outcome.state}:${systemId}:${result.rechecks ?? 0}`,
    type: 'system-answered',
    actor: { kind: 'system' },
    data: { system: systemId, state: outcome.state },
  });
  return { state: outcome.state };
}

/**
 * The person in this system: stored from an earlier attempt; the request's own id where this is the
 * system of record; otherwise found by the card and last name the system of record holds (R7).
 */
async function locate(
  deps: Deps,
  request: RequestRecord,
  system: SystemConfig,
  connector: SystemConnector,
  result: SystemResult,
): Promise<PatronRef | undefined> {
  if (result.ref) return { systemId: system.id, patronId: result.ref };
  if (!request.patronId) throw new IntegrityError('a request reaches systems only once its person is known');
  const own = refOf(request.patronId, deps.systems);
  if (own?.system.id === system.id) return own.ref;
  const person = await deps.people.getPatron(request.patronId);
  if (!person) return undefined;
  const found = await connector.findPatron(person.cardNumber, person.lastName);
  return found.found ? found.ref : undefined;
}

/** Counts what the system holds in the categories the request covers: what the report will read. */
async function countRecords({ deps, request, system, connector, ref }: Reach): Promise<Outcome> {
  const covered = (await categoriesOf(deps, request)).filter((c) => system.categories.includes(c));
  return { state: 'done', counts: await countHeld(connector, ref, covered) };
}

/**
 * R6, R19: the correction is made in the system that holds the data, and only once everything that
 * had to be confirmed was (checked before this system is written, whichever system comes first).
 */
async function correct({ deps, request, connector, ref }: Reach): Promise<Outcome> {
  if (request.kind !== 'correction') throw new IntegrityError('a correction step for another kind');
  const changes = await beforeCorrecting(deps, request);
  await connector.correct(ref, changes);
  return { state: 'done' };
}

/**
 * R20: outreach stops in this system. A connector that has no outreach setting cannot stop it: the
 * system answers `could-not` with that reason rather than claim it was done.
 */
async function optOut({ connector, ref }: Reach): Promise<Outcome> {
  if (!connector.capabilities.preferences.includes('outreach'))
    return { state: 'could-not', reason: 'this system has no outreach setting the connector can change' };
  await connector.setPreferences(ref, { outreach: 'opted-out' });
  return { state: 'done' };
}

/**
 * R20: a donor without a card is known only to the records table's donation records (matched by
 * the email a donation holds); a card-keyed system cannot hold them, so it answers `not-held`.
 */
async function optOutDonor(deps: Deps, system: SystemConfig, donorId: string): Promise<Outcome> {
  if (system.type !== 'records-table') return { state: 'not-held' };
  return (await deps.records.optOutDonor(donorId)) ? { state: 'done' } : { state: 'not-held' };
}

const REACH: Record<RequestRecord['kind'], (r: Reach) => Promise<Outcome>> = {
  access: countRecords,
  export: countRecords,
  'guardian-access': countRecords,
  'third-party': countRecords,
  'court-order': countRecords,
  // R8, R13, R20: erased where nothing blocks it; a blocker keeps the person and the system waits.
  deletion: eraseInSystem,
  correction: correct,
  'outreach-opt-out': optOut,
};

/**
 * R6, R19: called by each system's step before it writes: `assertCorrectionConfirmed`, and the
 * email on file kept aside once (before the system of record changes it), so the notice can reach
 * the old address as well as the new. Idempotent: a retried step finds it kept.
 */
async function beforeCorrecting(deps: Deps, request: RequestOf<'correction'>): Promise<CorrectionChanges> {
  const changes = request.changes;
  if (!changes || !request.patronId) throw new IntegrityError('a correction without its changes or its patron');
  const patron = await deps.people.getPatron(request.patronId);
  if (!patron) throw new IntegrityError('the matched patron is gone');
  assertCorrectionConfirmed(await deps.audit.list(request.requestId), request, changes, patron);
  const onFile = patron.email;
  if (changes.email !== undefined && onFile && request.previousEmail === undefined)
    await deps.requests.update(request.requestId, (r) =>
      r.kind !== 'correction' || r.previousEmail !== undefined ? undefined : { ...r, previousEmail: onFile },
    );
  return changes;
}
