import type { RequestInput } from './request-input.ts';

/**
 * R4, R6: a request made at the desk that would release the patron's records (an access report, an
 * export) or change how the library reaches them (email, phone, address) is not carried out on
 * one staff member's word: a second, different, signed-in staff member approves it, or the patron
 * confirms it through the email already on their record (the public flow's link, R7). Every other
 * desk request starts as before, verified in person.
 */
export const DESK_CHECK_VIAS = ['second-staff', 'patron-email'] as const;
export type DeskCheckVia = (typeof DESK_CHECK_VIAS)[number];

/** R6: the corrections that change how the library reaches the patron (and where a file would go). */
export const CONTACT_FIELDS = ['email', 'phone', 'address'] as const;

/** The workflow step, on the link tokens, that waits for the desk check. */
export const DESK_CHECK_STEP = 'desk-check';

/** Whether a desk request needs the second check before anything is carried out (R4, R6). */
export function needsDeskCheck(input: RequestInput): boolean {
  if (input.kind === 'access' || input.kind === 'export') return true;
  if (input.kind === 'correction') return CONTACT_FIELDS.some((f) => input.changes[f] !== undefined);
  return false;
}

/**
 * The desk check on a request: who made it at the desk (their `sub`, the identity provider's stable
 * id, and the email staff are named by) and, once given, who approved it second. Ids only (R5).
 */
export interface DeskCheck {
  via: DeskCheckVia;
  firstSub: string;
  firstStaffId: string;
  secondSub?: string;
  secondStaffId?: string;
  approvedAt?: string;
}

/** R12's separation of duties at the desk: the second staff member is another person. */
export const isSamePerson = (
  check: Pick<DeskCheck, 'firstSub' | 'firstStaffId'>,
  who: { sub: string; email: string },
) => check.firstSub === who.sub || check.firstStaffId === who.email;

/**
 * R1, R17: the role on a staff member's own link to a file to hand over at the desk; such a link
 * downloads once, on its page's POST (app/download-link.ts), and the request waits for the hand-over.
 */
export const HAND_OVER_ROLE = 'circulation';

/**
 * R1, R17: a file for a patron with no email, handed over in person. `waiting` until a staff member
 * records the hand-over (who, when, the kind of ID seen, never the document, R4); the request
 * completes then, not when the file is downloaded.
 */
export interface HandOver {
  status: 'waiting' | 'done';
  bySub?: string;
  byStaffId?: string;
  documentKind?: string;
  at?: string;
}
