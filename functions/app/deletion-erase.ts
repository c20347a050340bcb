import { hasConnector } from '../connectors/index.ts';
import { refOf } from '../connectors/people.ts';
import type { PatronRef, SystemConnector } from '../connectors/port.ts';
import { ConnectorError, TransientError } from '../domain/errors.ts';
import type { SystemConfig } from '../domain/systems.ts';
import type { Deps } from '../lib/deps.ts';
import { recordsTablePlan } from './deletion-plan.ts';
import { countHeld, type Outcome, type Reach } from './systems/reach.ts';

/**
 * R8, R19: a deletion's work in one system reached through its connector. Safe to repeat (the
 * step runs again after a restart and on every daily re-check):
 *
 * - R13: a legal hold on the person keeps everything in every system: nothing is erased there,
 *   and the system waits like any blocked one.
 * - What the system holds is counted once, before anything goes: the letter says what was found.
 * - The records table re-plans as it erases (a plan can be days old; R8: a blocker that cleared
 *   lets it finish); the plan it carries out is kept on the request, so the outcome describes
 *   what was done, not what was approved days earlier. It still stops on a hold placed mid-run,
 *   resumes a run cut short, verifies, and remembers the erased person as keyed hashes.
 * - Koha's refusal codes are blockers; its `deletedborrowers` copy is `pendingCleanup`.
 * - R20: where the person is kept, outreach is switched off in an outreach system that can.
 */
export async function eraseInSystem(reach: Reach): Promise<Outcome> {
  const { deps, request, system, connector, ref } = reach;
  const found = await countOnce(reach);
  if (await deps.holds.isHeld(request.patronId ?? ref.patronId)) {
    await stopOutreach(deps, request, system, connector, ref);
    return { state: 'blocked', blockers: [{ kind: 'hold' }], ...found };
  }
  if (!(await locateElsewhereFirst(reach))) {
    await stopOutreach(deps, request, system, connector, ref);
    return { state: 'blocked', blockers: [{ kind: 'refused-by-system', code: 'other-systems-first' }], ...found };
  }
  if (system.type === 'records-table') await keepPlanCurrent(deps, request, ref.patronId);
  const erased = await connector.erase(ref);
  switch (erased.result) {
    case 'blocked':
      await stopOutreach(deps, request, system, connector, ref);
      return { state: 'blocked', blockers: erased.blockers, ...found };
    case 'absent':
      // Found here before (the id is stored), gone now: an earlier attempt of this step erased them.
      return { state: 'done', ...found };
    case 'done':
      return {
        state: 'done',
        pendingCleanup: erased.pendingCleanup,
        ...(erased.retained ? { retained: erased.retained } : {}),
        ...found,
      };
  }
}

/**
 * The person is found in the other systems by the card and last name their system of record holds,
 * so that system must not erase them before every other connected system has found them (its id
 * stored on its result): else the others would find nobody, and keep the person. False when a
 * system could not be asked now: the system of record then waits, and tries again daily.
 */
async function locateElsewhereFirst({ deps, request, system }: Reach): Promise<boolean> {
  if (!request.patronId || refOf(request.patronId, deps.systems)?.system.id !== system.id) return true;
  const others = (await deps.systemResults.list(request.requestId)).filter(
    (r) => r.systemId !== system.id && !r.ref && r.state !== 'not-held' && r.state !== 'done',
  );
  if (others.length === 0) return true;
  const person = await deps.people.getPatron(request.patronId);
  if (!person) return true;
  for (const r of others) {
    const other = deps.systems.systems.find((s) => s.id === r.systemId);
    if (!other || !hasConnector(other)) continue;
    let found;
    try {
      found = await deps.connector(other).findPatron(person.cardNumber, person.lastName);
    } catch (e) {
      if (e instanceof TransientError || e instanceof ConnectorError) return false;
      throw e;
    }
    // Not there: the other system holds nothing of them, and will answer so itself.
    if (!found.found) continue;
    const id = found.ref.patronId;
    await deps.systemResults.update(request.requestId, r.systemId, (cur) =>
      cur.ref ? undefined : { ...cur, ref: id },
    );
  }
  return true;
}

/**
 * What the system holds in the categories it keeps, counted on the first attempt only (later
 * attempts keep the stored counts). The records table is described by its plan instead.
 */
async function countOnce({ deps, request, system, connector, ref }: Reach): Promise<Pick<Outcome, 'counts'>> {
  if (system.type === 'records-table') return {};
  const stored = await deps.systemResults.get(request.requestId, system.id);
  if (stored.counts) return {};
  return { counts: await countHeld(connector, ref, system.categories) };
}

/** The records table's plan as it will be carried out now, kept on the request when it changed. */
async function keepPlanCurrent(deps: Deps, request: Reach['request'], recordsId: string): Promise<void> {
  if (request.kind !== 'deletion' || !request.patronId) return;
  const plan = await recordsTablePlan(deps, request.patronId, recordsId);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const current = request.plan;
  if (current && same(current.steps, plan.steps) && current.mode === plan.mode) return;
  await deps.requests.updateOf(request.requestId, 'deletion', (r) => ({ ...r, plan }));
  await deps.audit.append(request.requestId, {
    eventId: `deletion-replanned:${plan.mode}:${plan.blockers.join(',')}:${plan.asOf}`,
    type: 'deletion-replanned',
    actor: { kind: 'system' },
    data: { mode: plan.mode, blockers: plan.blockers },
  });
}

/**
 * R20: "a deletion stops outreach the same way": where a blocker keeps the person, an outreach
 * system's connector switches outreach off, and the audit trail remembers it for the letter.
 */
async function stopOutreach(
  deps: Deps,
  request: Reach['request'],
  system: SystemConfig,
  connector: SystemConnector,
  ref: PatronRef,
): Promise<void> {
  if (!system.outreach || !connector.capabilities.preferences.includes('outreach')) return;
  await connector.setPreferences(ref, { outreach: 'opted-out' });
  await deps.audit.append(request.requestId, {
    eventId: `outreach-stopped:${system.id}`,
    type: 'outreach-stopped',
    actor: { kind: 'system' },
    data: { system: system.id },
  });
}
