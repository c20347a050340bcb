import { systemName } from '../../domain/systems.ts';
import { tellPrivacyOfficers } from '../deliver.ts';
import { sendOnce } from '../send-once.ts';
import { IntegrityError } from '../../domain/errors.ts';
import type { Deps } from '../../lib/deps.ts';
import { outreachNotStoppedEmail, outreachOptOutEmail } from '../../render/emails.ts';

/**
 * R20, R19: once every outreach system has answered, the requester is told at the address they
 * verified through (the email on file, or the donation record's for a donor without a card) which
 * systems stopped outreach and which could not (the privacy officer was told of those). Idempotent
 * through the audit event: a retried step sends no second email.
 */
export async function confirmOptOut(deps: Deps, requestId: string): Promise<void> {
  const events = await deps.audit.list(requestId);
  if (events.some((e) => e.eventId === 'outreach-stopped')) return;
  const request = await deps.requests.getOf(requestId, 'outreach-opt-out');
  const email = await verifiedEmailOf(deps, request.donorId, request.patronId);
  const results = await deps.systemResults.list(requestId);
  const nameOf = (systemId: string) => systemName(deps.systems, systemId);
  const stopped = results.filter((r) => r.state === 'done').map((r) => nameOf(r.systemId));
  const notStopped = results.filter((r) => r.state === 'could-not').map((r) => nameOf(r.systemId));
  const library = await deps.records.library();
  if (email)
    await sendOnce(
      deps,
      { requestId, purpose: 'outreach-stopped' },
      { to: [email], ...outreachOptOutEmail({ library: library.name, stopped, notStopped }) },
    );
  // R19: a "could not" goes to the privacy officer; a manual system's staff answer is sent on by its own task.
  const unsupported = results
    .filter((r) => r.state === 'could-not' && deps.systems.systems.find((s) => s.id === r.systemId)?.type !== 'manual')
    .map((r) => nameOf(r.systemId));
  if (unsupported.length > 0)
    await tellPrivacyOfficers(deps, { requestId, purpose: 'outreach-not-stopped' }, (name) =>
      outreachNotStoppedEmail({ library: name, requestId, systems: unsupported }),
    );
  await deps.audit.append(requestId, {
    eventId: 'outreach-stopped',
    type: 'outreach-stopped',
    actor: { kind: 'system' },
    // Ids and counts only (R5).
    data: {
      systems: results.filter((r) => r.state === 'done').map((r) => r.systemId),
      couldNot: results.filter((r) => r.state === 'could-not').map((r) => r.systemId),
    },
  });
}

/** R7: the address the requester verified through; a patron verified at the desk may have none. */
async function verifiedEmailOf(
  deps: Pick<Deps, 'people' | 'records'>,
  donorId: string | undefined,
  patronId: string | undefined,
): Promise<string | undefined> {
  if (donorId !== undefined) return (await deps.records.getDonor(donorId))?.email;
  if (patronId === undefined) throw new IntegrityError('an opt-out reaches its confirmation only once matched');
  return (await deps.people.getPatron(patronId))?.email;
}
