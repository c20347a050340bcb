import { hasConnector } from '../connectors/index.ts';
import { refOf } from '../connectors/people.ts';
import { collectDeletionFacts } from '../connectors/records-table/erasure.ts';
import type { Patron } from '../domain/dataset.ts';
import { buildDeletionPlan, type DeletionFacts, type DeletionPlan } from '../domain/deletion-plan.ts';
import { deletionFactsTally } from '../domain/erasure-decisions.ts';
import { IntegrityError } from '../domain/errors.ts';
import { sameLastName } from '../domain/request.ts';
import { systemsFor } from '../domain/systems.ts';
import type { Deps } from '../lib/deps.ts';
import { ownAddressee } from './own-channel.ts';

type PlanDeps = Pick<Deps, 'records' | 'recordsDb' | 'holds' | 'policy' | 'clock' | 'systems'>;

/**
 * The person's id in the built-in records table: their own id where it is their system of
 * record, else found there by the card and last name their system of record holds (R7).
 */
export async function recordsTableIdOf(
  deps: Pick<Deps, 'records' | 'systems'>,
  patronId: string,
  patron: Pick<Patron, 'cardNumber' | 'lastName'>,
): Promise<string | undefined> {
  if (!deps.systems.systems.some((s) => s.type === 'records-table')) return undefined;
  if (refOf(patronId, deps.systems)?.system.type === 'records-table') return patronId;
  const there = await deps.records.findPatronByCard(patron.cardNumber);
  return there && sameLastName(there.lastName, patron.lastName) ? there.id : undefined;
}

/**
 * R8: the records table's plan for the person now (counts and codes only). Without them in the
 * table it plans nothing but still honours a legal hold on the person (R13): under a hold every
 * system keeps everything.
 */
export async function recordsTablePlan(
  deps: PlanDeps,
  personId: string,
  recordsId: string | undefined,
): Promise<DeletionPlan> {
  const { timezone } = await deps.records.library();
  const now = deps.clock();
  const held = await deps.holds.active(personId);
  const facts: DeletionFacts = recordsId
    ? await collectDeletionFacts(deps.recordsDb, deps.holds, recordsId, now, timezone, deps.policy)
    : deletionFactsTally().result({ hasCredentials: false, legalHold: { active: false, nondisclosure: false } });
  if (held.length > 0 && !facts.legalHold.active)
    facts.legalHold = { active: true, nondisclosure: held.some((h) => h.nondisclosure) };
  const plan = buildDeletionPlan({ patronId: recordsId ?? personId, now, timezone, policy: deps.policy, facts });
  return {
    ...plan,
    systems: systemsFor(deps.systems, 'deletion').map((s) => ({
      systemId: s.id,
      name: s.name,
      how: hasConnector(s) ? 'connector' : 'staff-task',
      outreach: s.outreach,
    })),
  };
}

/**
 * R8: plans before doing. The records table's plan per category (items on loan, money owed, a
 * legal hold, guarantor of a minor, retention periods) and every system the deletion will reach,
 * for the privacy officer to approve. The contact address for the letters is kept on the request,
 * because the profile it comes from may be erased; an address the person shares with a guarantor
 * is not theirs to be written to (R7, R10): their letters stay on the status page.
 */
export async function planDeletion(deps: Deps, requestId: string): Promise<{ mode: DeletionPlan['mode'] }> {
  const request = await deps.requests.getOf(requestId, 'deletion');
  if (!request.patronId || !request.verification)
    throw new IntegrityError('a deletion needs a verified, matched patron');
  const patron = await deps.people.getPatron(request.patronId);
  if (!patron) throw new IntegrityError('the matched patron is gone');
  const { email: ownEmail } = await ownAddressee(deps, patron);
  const plan = await recordsTablePlan(deps, request.patronId, await recordsTableIdOf(deps, request.patronId, patron));
  await deps.requests.updateOf(requestId, 'deletion', (r) => ({
    ...r,
    status: r.status === 'in-progress' ? r.status : 'in-progress',
    plan,
    ...(ownEmail ? { contactEmail: ownEmail } : {}),
  }));
  await deps.audit.append(requestId, {
    eventId: 'deletion-planned',
    type: 'deletion-planned',
    actor: { kind: 'system' },
    data: { mode: plan.mode, blockers: plan.blockers, systems: (plan.systems ?? []).map((s) => s.systemId) },
  });
  return { mode: plan.mode };
}
