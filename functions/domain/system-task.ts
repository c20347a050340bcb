import { InvalidInputError } from './errors.ts';
import type { RequestKind } from './request.ts';
import type { StaffRole } from './staff.ts';

/**
 * R19: a manual system's staff task. One workflow step per request and system, answered by a link:
 * `done`, or `could-not` with the staff member's reason.
 */

export const SYSTEM_TASK_DECISIONS = ['done', 'could-not'] as const;
export type SystemTaskDecision = (typeof SYSTEM_TASK_DECISIONS)[number];

/** The step a system task's links answer: one per system, so answering one system voids only its own links. */
export const systemTaskStep = (systemId: string): string => `system:${systemId}`;

/** The system a task's step names, or undefined for any other step. */
export function systemIdOfStep(step: string): string | undefined {
  const m = /^system:([a-z][a-z0-9-]{0,39})$/.exec(step);
  return m?.[1];
}

/** A could-not reason is read by the privacy officer on the staff desk; long enough to explain, short enough to read. */
export const REASON_MAX = 500;

// C0 and C1 controls (a line break and a tab are fine in a textarea), and the bidirectional overrides
// that make text read differently from what it holds.
// eslint-disable-next-line no-control-regex
const HOSTILE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** R19: `could-not` needs the staff member's reason: present, not too long, plain text. Throws InvalidInputError. */
export function checkCouldNotReason(reason: string | undefined): string {
  const text = reason?.trim() ?? '';
  if (text.length === 0)
    throw new InvalidInputError('say why it could not be done: the privacy officer will read it', [
      { path: 'reason', message: 'required' },
    ]);
  if (text.length > REASON_MAX)
    throw new InvalidInputError(`keep the reason under ${REASON_MAX} characters`, [
      { path: 'reason', message: 'too long' },
    ]);
  if (HOSTILE.test(text))
    throw new InvalidInputError('the reason holds characters that cannot be shown', [
      { path: 'reason', message: 'control characters' },
    ]);
  return text;
}

/** Who answered a manual task, as the system's result keeps it: a staff id and the role they acted in. */
export const answeredByStaff = (staffId: string, role: string): string => `${staffId} (${role})`;

/** Court orders are handled only by these roles (R1, R12). */
const COURT_ORDER_ROLES: readonly StaffRole[] = ['privacy-officer', 'director', 'counsel'];

/**
 * Who gets a system's task: the system's role; for a court order, whose existence other staff may
 * not learn (R12, R13a), the privacy officer unless the system's role already handles orders.
 */
export function taskRole(systemRole: StaffRole, kind: RequestKind): StaffRole {
  return kind === 'court-order' && !COURT_ORDER_ROLES.includes(systemRole) ? 'privacy-officer' : systemRole;
}
