import * as z from '../domain/zod.ts';
import { isoDateIn } from '../domain/age.ts';
import { IntegrityError } from '../domain/errors.ts';
import { expiredPatronCutoff, staffRetentionItems, staffTaskPeriod, systemRetention } from '../domain/retention.ts';
import type { Deps } from '../lib/deps.ts';
import { retentionTaskEmail } from '../render/retention-task-email.ts';
import { runId, staffTasksResult } from './retention-state.ts';
import { sendOnce } from './send-once.ts';

/**
 * R16, R19: the retention run's staff tasks. Every system whose periods the run cannot enforce by
 * itself and whose staff must (`systemRetention`: `staff-task`, a system without an API) gets one
 * task per period of `retention.staffTaskEveryDays` days, not one a night: every staff member of
 * its role is emailed what to anonymise or delete, older than which day. A retried or repeated run
 * in the same period finds the task sent (the sent-email record and the audit event, keyed by the
 * period) and sends nothing. Ids, enums and counts only go back to the workflow (R5).
 */

export const retentionStaffTasksInput = z.lazy(() =>
  z.strictObject({
    runId,
    asOf: z.iso.datetime(),
  }),
);

/** The audit chain of one system's retention tasks: the system's id only. */
export const retentionTaskChain = (systemId: string) => `retention-tasks-${systemId}`;

export async function askRetentionStaff(
  deps: Deps,
  o: z.infer<typeof retentionStaffTasksInput>,
): Promise<z.infer<typeof staffTasksResult>> {
  const library = await deps.records.library();
  const today = isoDateIn(new Date(o.asOf), library.timezone);
  const { staffTaskEveryDays: everyDays } = deps.policy.retention;
  const period = staffTaskPeriod(today, everyDays);
  const purgeBefore = expiredPatronCutoff(today, deps.policy);
  const out: z.infer<typeof staffTasksResult> = [];
  for (const part of systemRetention(deps.systems, deps.policy)) {
    if (part.how !== 'staff-task') continue;
    const system = deps.systems.systems.find((s) => s.id === part.systemId);
    if (!system) throw new IntegrityError(`system ${part.systemId} is not configured`);
    // A manual system's own staff; for an API system that cannot anonymise (Koha), the privacy officers,
    // who hold its administrators to it.
    const role = system.type === 'manual' ? system.role : 'privacy-officer';
    const chain = retentionTaskChain(system.id);
    const eventId = `retention-task:${period}`;
    if ((await deps.audit.list(chain)).some((e) => e.eventId === eventId)) {
      out.push({ systemId: system.id, state: 'already-sent', period });
      continue;
    }
    const staff = await deps.records.staffWithRole(role);
    if (staff.length === 0) throw new IntegrityError(`nobody holds the ${role} role for system ${system.id}`);
    const email = retentionTaskEmail({
      library: library.name,
      system: system.name,
      items: staffRetentionItems(part.categories, today, deps.policy),
      everyDays,
      today,
      // R16 purge: a system that holds personal data deletes the long-expired accounts too.
      ...(purgeBefore && system.categories.includes('personal') ? { purgeExpiredBefore: purgeBefore } : {}),
    });
    await sendOnce(deps, { requestId: chain, purpose: eventId }, { to: staff.map((s) => s.email), ...email });
    await deps.audit.append(chain, {
      eventId,
      type: 'retention-task-sent',
      actor: { kind: 'system' },
      data: { system: system.id, role, runId: o.runId, period, staff: staff.length },
    });
    out.push({ systemId: system.id, state: 'sent', period });
  }
  return out;
}
