import { systemName, type SystemConfig } from '../../domain/systems.ts';
import { tellPrivacyOfficers } from '../deliver.ts';
import { isCallbackGone } from '../../adapters/step-functions.ts';
import { GoneError, IntegrityError } from '../../domain/errors.ts';
import { isTerminal, type RequestRecord } from '../../domain/request.ts';
import type { StaffRole } from '../../domain/staff.ts';
import type { SystemResult } from '../../domain/system-result.ts';
import {
  answeredByStaff,
  SYSTEM_TASK_DECISIONS,
  systemIdOfStep,
  systemTaskStep,
  taskRole,
  type SystemTaskDecision,
} from '../../domain/system-task.ts';
import type { ActionToken } from '../../domain/tokens.ts';
import type { Deps } from '../../lib/deps.ts';
import { systemCouldNotEmail, systemTaskEmail, type SystemTaskMail } from '../../render/system-task-emails.ts';
import { sendStaffTasks } from '../staff-tasks.ts';

type ManualSystem = Extract<SystemConfig, { type: 'manual' }>;

/** What the waiting step is answered with: the system's state only (R5). */
export interface SystemTaskAnswer {
  answer: SystemResult['state'];
}

const FINAL: readonly SystemResult['state'][] = ['done', 'not-held', 'could-not'];

/** A manual system of the systems file, with its instruction for this kind of request. */
export function manualSystem(
  deps: Pick<Deps, 'systems'>,
  systemId: string,
  kind: RequestRecord['kind'],
): { system: ManualSystem; instruction: string } {
  const system = deps.systems.systems.find((s) => s.id === systemId);
  if (!system || system.type !== 'manual') throw new IntegrityError(`system ${systemId} is not a manual system`);
  const instruction = system.instructions[kind];
  if (!instruction) throw new IntegrityError(`system ${systemId} has no instruction for ${kind}`);
  return { system, instruction };
}

/** Audit event ids: one task email round per system, one escalation per lapsed round. */
const sentEventId = (systemId: string) => `system-task-sent:${systemId}`;

/**
 * R19: the `AskSystemStaff` step. Stores this step's callback token on the system's result (after a
 * restart the Map runs again and its token is a new one), and the first time only, emails every staff
 * member of the system's role a task naming the request, never the person (R1). A result already
 * answered answers the step at once.
 */
export async function requestSystemTask(
  deps: Deps,
  o: { requestId: string; systemId: string; taskToken: string },
): Promise<{ asked: boolean }> {
  const request = await deps.requests.get(o.requestId);
  const { system, instruction } = manualSystem(deps, o.systemId, request.kind);
  const result = await deps.systemResults.update(o.requestId, o.systemId, (r) =>
    r.state === 'pending' ? { ...r, waitToken: o.taskToken } : undefined,
  );
  if (FINAL.includes(result.state)) {
    await answerStep(deps, o.taskToken, result.state);
    return { asked: false };
  }
  if (isTerminal(request.status)) return { asked: false };
  await deps.requests.update(o.requestId, (r) =>
    isTerminal(r.status) || r.status === 'waiting' ? undefined : { ...r, status: 'waiting' },
  );
  const eventId = sentEventId(o.systemId);
  if ((await deps.audit.list(o.requestId)).some((e) => e.eventId === eventId)) return { asked: false };
  const role = taskRole(system.role, request.kind);
  await sendSystemTask(deps, { request, system, instruction, role, taskToken: o.taskToken });
  await deps.audit.append(o.requestId, {
    eventId,
    type: 'system-task-sent',
    actor: { kind: 'system' },
    data: { system: o.systemId, role },
  });
  return { asked: true };
}

/** Every staff member of `role` gets their own link to this system's task, bound to them (tokens.ts). */
async function sendSystemTask(
  deps: Deps,
  o: {
    request: RequestRecord;
    system: ManualSystem;
    instruction: string;
    role: StaffRole;
    taskToken: string;
    escalatedFrom?: StaffRole;
  },
): Promise<void> {
  const staff = await deps.records.staffWithRole(o.role);
  if (staff.length === 0) throw new IntegrityError(`nobody holds the ${o.role} role for system ${o.system.id}`);
  const { approvals } = deps.policy;
  const ttlSeconds = Math.round(approvals.linkTtlHours * 3600);
  // One expiry for every copy of this round: its lapse is one event, however many copies expire.
  const expiresAt = new Date(deps.clock().getTime() + ttlSeconds * 1000).toISOString();
  await sendStaffTasks(deps, {
    requestId: o.request.requestId,
    role: o.role,
    staff,
    token: {
      purpose: 'system-task',
      step: systemTaskStep(o.system.id),
      decisions: [...SYSTEM_TASK_DECISIONS],
      ttlSeconds,
      expiresAt,
      remindAfterSeconds: Math.round(approvals.remindAfterHours * 3600),
      // Puts the link on the deadline sweep's queue (lapse → escalation); the answer itself resumes
      // the step through the token stored on the result, which a restart renews.
      taskToken: o.taskToken,
    },
    email: (t) =>
      systemTaskEmail({
        ...t,
        requestId: o.request.requestId,
        kind: o.request.kind,
        system: o.system.name,
        instruction: o.instruction,
        ...(o.escalatedFrom ? { escalatedFrom: o.escalatedFrom } : {}),
      }),
  });
}

/** The reminder email of a system task still open, with a fresh link (deadline sweep). */
export async function systemTaskReminder(
  deps: Pick<Deps, 'requests' | 'systems'>,
  token: ActionToken,
  link: Pick<SystemTaskMail, 'library' | 'link' | 'expiresAt'>,
): Promise<ReturnType<typeof systemTaskEmail> | undefined> {
  const systemId = systemIdOfStep(token.step);
  const request = await deps.requests.find(token.requestId);
  if (!systemId || !request || isTerminal(request.status)) return undefined;
  const { system, instruction } = manualSystem(deps, systemId, request.kind);
  return systemTaskEmail({
    ...link,
    requestId: request.requestId,
    kind: request.kind,
    system: system.name,
    instruction,
    reminder: true,
  });
}

/**
 * R19: a system task's link lapsed unanswered. The task goes to the privacy officer with the same
 * instruction and links; the system's result stays pending and the request keeps waiting. Each
 * lapsed round escalates once, however many staff copies of it expire (keyed by their expiry).
 */
export async function escalateLapsedSystemTask(deps: Deps, token: ActionToken): Promise<boolean> {
  const systemId = systemIdOfStep(token.step);
  if (!systemId) return false;
  const request = await deps.requests.find(token.requestId);
  if (!request || isTerminal(request.status)) return false;
  const result = await deps.systemResults.find(token.requestId, systemId);
  if (!result || result.state !== 'pending' || !result.waitToken) return false;
  const eventId = `system-task-escalated:${systemId}:${token.expiresAt}`;
  if ((await deps.audit.list(token.requestId)).some((e) => e.eventId === eventId)) return false;
  const system = deps.systems.systems.find((s) => s.id === systemId);
  const instruction = system?.type === 'manual' ? system.instructions[request.kind] : undefined;
  // A sweep serves every request: one whose system left the systems file, or a library with no
  // privacy officer on file, must not stop it. The request still shows as waiting on the desk.
  if (system?.type !== 'manual' || !instruction) {
    deps.logger.warn('lapsed system task: no such manual system', { requestId: token.requestId, systemId });
    return false;
  }
  if ((await deps.records.staffWithRole('privacy-officer')).length === 0) {
    deps.logger.warn('lapsed system task: nobody holds the privacy-officer role', { requestId: token.requestId });
    return false;
  }
  const from = (token.recipient.role ?? taskRole(system.role, request.kind)) as StaffRole;
  await sendSystemTask(deps, {
    request,
    system,
    instruction,
    role: 'privacy-officer',
    taskToken: result.waitToken,
    escalatedFrom: from,
  });
  await deps.audit.append(token.requestId, {
    eventId,
    type: 'system-task-escalated',
    actor: { kind: 'system' },
    data: { system: systemId, from, to: 'privacy-officer' },
  });
  return true;
}

/**
 * R19: a staff member's answer through their link (already consumed): the system's result, who
 * answered, the audit event (ids only: the reason is staff's words and stays off the trail), and
 * for `could-not` the privacy officer told. Throws GoneError if the task was answered already.
 */
export async function recordSystemAnswer(
  deps: Deps,
  token: ActionToken,
  answer: { decision: SystemTaskDecision; reason?: string },
): Promise<void> {
  const systemId = systemIdOfStep(token.step);
  if (!systemId) throw new IntegrityError('not a system task');
  const now = deps.clock().toISOString();
  const answeredBy = answeredByStaff(token.recipient.id, token.recipient.role ?? 'staff');
  const result = await deps.systemResults.update(token.requestId, systemId, (r) =>
    r.state !== 'pending'
      ? undefined
      : {
          ...r,
          state: answer.decision,
          ...(answer.decision === 'could-not' && answer.reason ? { reason: answer.reason } : {}),
          answeredBy,
          answeredAt: now,
        },
  );
  // Answered by this link's holder with this answer: now, or by a press whose hand-over failed part way (follow-link.ts).
  if (result.answeredBy !== answeredBy || result.state !== answer.decision) throw new GoneError('already answered');
  if (answer.decision === 'could-not') await tellOfficerCouldNot(deps, token.requestId, systemId);
  await deps.audit.append(token.requestId, {
    eventId: `system-${answer.decision}:${systemId}:staff`,
    type: 'system-answered',
    actor: { kind: 'staff', id: token.recipient.id, role: token.recipient.role },
    data: { system: systemId, state: answer.decision },
  });
}

/** R19: "an answer of could not goes to the privacy officer", once. */
async function tellOfficerCouldNot(deps: Deps, requestId: string, systemId: string): Promise<void> {
  const eventId = `system-could-not-told:${systemId}`;
  if ((await deps.audit.list(requestId)).some((e) => e.eventId === eventId)) return;
  const request = await deps.requests.get(requestId);
  await tellPrivacyOfficers(deps, { requestId, purpose: eventId }, (library) =>
    systemCouldNotEmail({ library, requestId, kind: request.kind, system: systemName(deps.systems, systemId) }),
  );
  await deps.audit.append(requestId, {
    eventId,
    type: 'system-could-not-reported',
    actor: { kind: 'system' },
    data: { system: systemId },
  });
}

/**
 * After an answer: the other staff members' links to this system's task are void (the request's
 * other tasks stay open), and the step goes on through the callback token stored on the result.
 */
export async function settleSystemTask(deps: Deps, token: ActionToken): Promise<void> {
  const systemId = systemIdOfStep(token.step);
  if (!systemId) throw new IntegrityError('not a system task');
  await deps.tokens.revokeAll(token.requestId, token.step);
  const result = await deps.systemResults.get(token.requestId, systemId);
  if (result.waitToken) await answerStep(deps, result.waitToken, result.state);
}

/**
 * Answers the waiting step. A step that no longer waits is being run again (a restart re-runs the
 * Map): it finds the stored answer and answers itself, so nothing is lost.
 */
async function answerStep(deps: Pick<Deps, 'workflow'>, taskToken: string, state: SystemResult['state']) {
  const answer: SystemTaskAnswer = { answer: state };
  try {
    await deps.workflow.sendTaskSuccess(taskToken, { ...answer });
  } catch (e) {
    if (!isCallbackGone(e)) throw e;
  }
}
