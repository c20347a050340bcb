import type { Category } from './categories.ts';
import { IllegalTransitionError } from './errors.ts';

export const REQUEST_KINDS = [
  'access',
  'export',
  'deletion',
  'correction',
  'guardian-access',
  'third-party',
  'court-order',
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const REQUEST_STATUSES = [
  'received',
  'verifying',
  'awaiting-consent',
  'awaiting-approval',
  'in-progress',
  'awaiting-staff',
  'completed',
  'denied',
  'cancelled',
  'expired',
  'failed',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<RequestStatus> = new Set([
  'completed',
  'denied',
  'cancelled',
  'expired',
  'failed',
]);

/** A request may be cancelled until fulfilment starts (CONTRACT.md). */
const CANCELLABLE: ReadonlySet<RequestStatus> = new Set([
  'received',
  'verifying',
  'awaiting-consent',
  'awaiting-approval',
  'awaiting-staff',
]);

export const isTerminal = (s: RequestStatus): boolean => TERMINAL_STATUSES.has(s);
export const isCancellable = (s: RequestStatus): boolean => CANCELLABLE.has(s);

/** Any open status may move to any other status; a closed request never moves again. */
export function assertTransition(from: RequestStatus, to: RequestStatus): void {
  if (isTerminal(from)) throw new IllegalTransitionError(`a ${from} request cannot become ${to}`);
  if (to === 'cancelled' && !isCancellable(from))
    throw new IllegalTransitionError(`a ${from} request cannot be cancelled`);
}

/** How identity was verified (R4: never the document itself, only who, when and how). */
export interface Verification {
  method: 'email-link' | 'in-person';
  verifiedAt: string;
  /** For in-person checks: the staff role and the kind of document seen, never the document. */
  verifiedByRole?: string;
  verifiedByStaffId?: string;
  documentKind?: string;
}

/** What the requester typed to identify a patron. Kept only until matching (R5, R16). */
export interface SubmittedIdentity {
  cardNumber: string;
  lastName: string;
}

/** A staff decision on a workflow step; the reason is for the requester, so it stays off the audit trail. */
export interface StaffDecision {
  step: string;
  decision: 'approve' | 'reject';
  byStaffId: string;
  role: string;
  at: string;
  reason?: string;
}

export const DENIAL_CODES = [
  'rejected',
  'email-not-confirmed',
  'phone-not-confirmed',
  'consent-declined',
  'consent-not-given',
  'not-linked',
  'adult',
] as const;
export type DenialCode = (typeof DENIAL_CODES)[number];

/**
 * R9-R11: a child's age band on the day of a guardian's request, from the policy's thresholds:
 * `child` (under `consentFromAge`, R9), `consent-age` (from it to under `adultAge`, R10), `adult` (R11).
 */
export const AGE_BANDS = ['child', 'consent-age', 'adult'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

/** Whether a guardian is linked (guarantor) to the card they named, decided at the match step. */
export type GuardianLink = 'linked' | 'unlinked' | 'unknown-child';

/** R10, R14: the data subject's answer. Never a reason: none is asked for, so none can leak. */
export interface Consent {
  decision: 'consent' | 'decline';
  at: string;
  /** Through the subject's own email on file, or in person at the desk (staff record it, named). */
  channel: 'email' | 'in-person';
  recordedByStaffId?: string;
  recordedByRole?: string;
  /** The categories the subject agreed to release (R14: only these are disclosed). */
  categories?: Category[];
}

/**
 * R14: the third party and what they asked for. The contact and purpose are kept only while
 * needed (to ask, to deliver, to tell them the outcome) and erased when the request closes (R16);
 * the categories, an enum list, stay for the audit.
 */
export interface ThirdPartyRequest {
  categories: Category[];
  name?: string;
  email?: string;
  organization?: string;
  purpose?: string;
}

/** R16: a closed request keeps no third party's contact or purpose; ids and enums only. */
export function withoutRequesterContact(r: RequestRecord): RequestRecord | undefined {
  if (
    !r.thirdParty ||
    (r.thirdParty.name === undefined &&
      r.thirdParty.email === undefined &&
      r.thirdParty.organization === undefined &&
      r.thirdParty.purpose === undefined)
  )
    return undefined;
  return { ...r, thirdParty: { categories: r.thirdParty.categories } };
}

export interface CorrectionChanges {
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  address?: { street: string; city: string; state: string; postalCode: string };
  dateOfBirth?: string;
}

export interface RequestRecord {
  requestId: string;
  kind: RequestKind;
  status: RequestStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  dueAt: string;
  statusKeyHash: string;
  /** Set once matched; ids only. */
  patronId?: string;
  /** Erased by the match step. */
  submitted?: SubmittedIdentity;
  matched?: boolean;
  /** Until when verification may happen; after it the request shows as expired. */
  verifyBy?: string;
  verification?: Verification;
  executionId?: string;
  outcome?: Record<string, unknown>;
  failure?: { error: string; at: string };
  /** R6: requested changes, kept until applied or refused, then erased (R16). */
  changes?: CorrectionChanges;
  /** R8: the deletion plan (counts and codes only). */
  plan?: Record<string, unknown>;
  decisions?: StaffDecision[];
  denial?: { code: DenialCode; reason?: string; at: string };
  /** Where to send the last letter when the record it came from is being erased (R8); erased after. */
  contactEmail?: string;
  /** R15: the clock pauses while the request waits on the requester. */
  waitingSince?: string;
  approvalRounds?: Record<string, number>;
  /** guardian-access: the guardian who asked; they verify through their own email on file (R7, R11). */
  requesterPatronId?: string;
  /** guardian-access: the child as typed (`submitted` is the guardian); erased by the match step (R5). */
  submittedChild?: SubmittedIdentity;
  /** guardian-access: decided at the match step (R11: the guardian must be linked to the card). */
  guardianLink?: GuardianLink;
  /** guardian-access: the child's age band on the day the request was made (R9-R11). */
  ageBand?: AgeBand;
  /** R4: who checked a guardian's documents at the desk, when and what kind; never the document. */
  guardianLinkCheck?: { byStaffId: string; role: string; documentKind: string; at: string };
  /** R10, R14: the data subject's consent or refusal. */
  consent?: Consent;
  /** R14: the third party's request; contact erased at close (R16). */
  thirdParty?: ThirdPartyRequest;
  /** court-order: the order entity (store/court-orders.ts) this request carries through approval and disclosure (R12). */
  orderId?: string;
  /** A signed-in staff member who made this request (counsel for a court order): never one of its approvers (R12). */
  submittedByStaff?: string;
  /** R16: when the request was reduced to its de-identified tombstone (domain/tombstone.ts). */
  tombstonedAt?: string;
  /** When the request reached a terminal status (set by the store); statistics measure time to complete from it (R3). */
  closedAt?: string;
  /** R15: the one extension of the due date a request may have; the reason is for the requester, so it stays off the audit trail. */
  extension?: DeadlineExtension;
}

/** R15: one extension per request, with a reason the requester reads, and the dates before and after. */
export interface DeadlineExtension {
  days: number;
  reason: string;
  byStaffId: string;
  role: string;
  at: string;
  previousDueAt: string;
  newDueAt: string;
}

/** R15: the time spent waiting on the requester is added to the due date. */
export function resumeClock(r: RequestRecord, now: Date): RequestRecord {
  if (!r.waitingSince) return r;
  const paused = Math.max(0, now.getTime() - Date.parse(r.waitingSince));
  const { waitingSince: _resumed, ...rest } = r;
  return { ...rest, dueAt: new Date(Date.parse(r.dueAt) + paused).toISOString() };
}

/**
 * What a requester may see of their request. An unmatched request looks exactly like one waiting
 * for a verification that never comes, then expires: nothing tells a stranger who is a patron.
 */
export function publicView(r: RequestRecord, now: Date) {
  let status = r.status;
  // In-person verification is a staff task inside; outside it must look like any verification.
  if (status === 'awaiting-staff' && !r.verification) status = 'verifying';
  if (status === 'verifying' && r.verifyBy && now.getTime() >= Date.parse(r.verifyBy)) status = 'expired';
  return {
    requestId: r.requestId,
    kind: r.kind,
    status,
    createdAt: r.createdAt,
    dueAt: r.dueAt,
    ...(r.outcome && r.status === 'completed' ? { outcome: r.outcome } : {}),
  };
}

/** Case- and accent-insensitive last-name comparison: "O'Brien" and "o’brien" match. */
export function sameLastName(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[’'`\u02bc\s.\u2010-\u2015-]/g, '')
      .toLowerCase();
  return norm(a) === norm(b) && norm(a).length > 0;
}

export function dueDate(createdAt: Date, days: number): string {
  return new Date(createdAt.getTime() + days * 86_400_000).toISOString();
}
