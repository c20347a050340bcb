import { deletionReport, type DeletionReport } from '../domain/deletion-outcome.ts';
import { IntegrityError } from '../domain/errors.ts';
import type { AuditEvent } from '../domain/audit.ts';
import type { DeletionRecord } from '../domain/request.ts';
import type { SystemResult } from '../domain/system-result.ts';
import type { Deps } from '../lib/deps.ts';
import { sendOnce } from './send-once.ts';
import { deletionOutcomeEmail, deletionWaitingEmail } from '../render/deletion-letters.ts';

/**
 * R8, R19: a deletion's outcome and letters, assembled from the per-system results. The outcome is
 * stored on the request each time a system answers, so the status page says the same as the
 * letters, while the deletion waits and when it completes.
 */

interface Assembled {
  request: DeletionRecord;
  results: SystemResult[];
  events: AuditEvent[];
  report: DeletionReport;
}

/** Assembles the report from the stored results and stores its outcome on the request. */
export async function refreshDeletionOutcome(deps: Deps, requestId: string): Promise<Assembled> {
  const request = await deps.requests.getOf(requestId, 'deletion');
  const results = await deps.systemResults.list(requestId);
  const events = await deps.audit.list(requestId);
  const systems = deps.systems.systems.flatMap((config) => {
    const result = results.find((r) => r.systemId === config.id);
    return result ? [{ config, result }] : [];
  });
  if (systems.length !== results.length) throw new IntegrityError('a system result names no configured system');
  const report = deletionReport({
    systems,
    ...(request.plan ? { plan: request.plan } : {}),
    outreachStoppedIn: events.filter((e) => e.type === 'outreach-stopped').map((e) => String(e.data?.system)),
    ...(request.outcome ? { previous: request.outcome } : {}),
  });
  if (JSON.stringify(request.outcome) !== JSON.stringify(report.outcome))
    await deps.requests.updateOf(requestId, 'deletion', (r) => ({ ...r, outcome: report.outcome }));
  return { request, results, events, report };
}

const WAITING_SENT = 'deletion-waiting-sent';

/**
 * R8: after a system's step, the outcome is brought up to date; once every connected system has
 * given its first answer and one must wait (a blocker, no answer), the patron gets one letter
 * saying what waits and why. Of concurrent steps, the one whose claim was written first sends it
 * (its own retries included); the sent event makes it once.
 */
export async function recordDeletionProgress(
  deps: Deps,
  requestId: string,
  systemId: string,
): Promise<{ state: SystemResult['state'] }> {
  const { request, results, events, report } = await refreshDeletionOutcome(deps, requestId);
  const mine = results.find((r) => r.systemId === systemId);
  if (!mine) throw new IntegrityError(`no result of system ${systemId}`);
  const connected = (r: SystemResult) => deps.systems.systems.find((s) => s.id === r.systemId)?.type !== 'manual';
  const firstAnswers = results.filter(connected).every((r) => r.state !== 'pending');
  const mustWait = results.some((r) => r.state === 'blocked' || r.state === 'unreachable');
  if (!firstAnswers || !mustWait || events.some((e) => e.eventId === WAITING_SENT)) return { state: mine.state };
  const claim = await deps.audit.append(requestId, {
    eventId: 'deletion-waiting-claimed',
    type: 'deletion-waiting-claimed',
    actor: { kind: 'system' },
    data: { system: systemId },
  });
  if (claim.data?.system !== systemId) return { state: mine.state };
  await sendLetter(deps, request, WAITING_SENT, (library) =>
    deletionWaitingEmail({ library, report, policy: deps.policy }),
  );
  return { state: mine.state };
}

/**
 * R8: every system has answered: the final outcome is stored, the last letter goes to the address
 * captured before erasure, and then that address is erased from the request too (R16).
 */
export async function sendDeletionOutcome(deps: Deps, requestId: string): Promise<{ sent: true }> {
  const { request, report } = await refreshDeletionOutcome(deps, requestId);
  if (report.waiting) throw new IntegrityError('a deletion completes only when every system has answered');
  await sendLetter(deps, request, 'outcome-sent', (library) =>
    deletionOutcomeEmail({ library, report, policy: deps.policy }),
  );
  await deps.requests.updateOf(requestId, 'deletion', (r) => {
    if (!r.contactEmail) return undefined;
    const { contactEmail: _erased, ...rest } = r;
    return rest;
  });
  return { sent: true };
}

/** One letter, once: the audit event is written after the email, and checked before it. */
async function sendLetter(
  deps: Deps,
  request: DeletionRecord,
  eventId: string,
  render: (library: string) => ReturnType<typeof deletionOutcomeEmail>,
): Promise<void> {
  const events = await deps.audit.list(request.requestId);
  if (events.some((e) => e.eventId === eventId)) return;
  if (request.contactEmail) {
    const library = await deps.records.library();
    await sendOnce(
      deps,
      { requestId: request.requestId, purpose: eventId },
      { to: [request.contactEmail], ...render(library.name) },
    );
  }
  await deps.audit.append(request.requestId, {
    eventId,
    type: eventId,
    actor: { kind: 'system' },
    data: { channel: request.contactEmail ? 'email' : 'status-page' },
  });
}
