import type { Category } from './categories.ts';
import type { DeletionPlan } from './deletion-plan.ts';
import type { DeskCheck, HandOver } from './desk-checks.ts';
import { IllegalTransitionError } from './errors.ts';
import type { PublicSystemResult } from './system-result.ts';

export const REQUEST_KINDS = [
  'access',
  'export',
  'deletion',
  'correction',
  'guardian-access',
  'third-party',
  'court-order',
  /** R20: stop outreach, marketing and fundraising contact, for a patron or a donor without a card. */
  'outreach-opt-out',
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const REQUEST_STATUSES = [
  'received',
  'verifying',
  'awaiting-consent',
  'awaiting-approval',
  'in-progress',
  'awaiting-staff',
  /** R8, R19: a system has not answered yet (a blocker, an unreachable system, a staff task); resumes by itself. */
  'waiting',
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
  /** R12: the signed-in decider's stable subject id (Cognito `sub`); absent on decisions made before sign-in was required. */
  bySub?: string;
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
  /** R18: the policy version the consent page named when the subject answered (absent on answers stored before it was kept). */
  policyVersion?: string;
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
  /** R14: who gives the written permission: the patron, or a guardian for a child under 13. */
  permissionBy?: 'patron' | 'guardian';
}

/**
 * R14: the disclosure record: to whom the library released what, on what permission. Written when
 * the package goes out and kept after close and in the tombstone: it names the recipient, who is
 * not the patron, and no patron identifier (R16); the requester's free-text purpose is not kept.
 */
export interface ThirdPartyDisclosure {
  recipient: { name: string; organization?: string; email: string };
  categories: Category[];
  permission: { at: string; channel: 'email' | 'in-person'; by: 'patron' | 'guardian' };
  releasedAt: string;
}

/** R16: a closed request keeps no third party's contact or purpose; ids and enums only. */
export function withoutRequesterContact(r: RequestRecord): RequestRecord | undefined {
  if (
    r.kind !== 'third-party' ||
    !r.thirdParty ||
    (r.thirdParty.name === undefined &&
      r.thirdParty.email === undefined &&
      r.thirdParty.organization === undefined &&
      r.thirdParty.purpose === undefined)
  )
    return undefined;
  const { categories, permissionBy } = r.thirdParty;
  return { ...r, thirdParty: { categories, ...(permissionBy ? { permissionBy } : {}) } };
}

export interface CorrectionChanges {
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  address?: { street: string; city: string; state: string; postalCode: string };
  dateOfBirth?: string;
  /** R6: the online account's sign-in name (credentials: only the username may be corrected). */
  username?: string;
}

/** R8: a category kept, and why (a hold only as an ordinary blocker's reason, R13a); `until`: the first day it may go. */
export interface RetainedCategory {
  category: Category;
  reason: string;
  until?: string;
}

/**
 * R8, R19: what a deletion tells the patron, assembled from every system's result
 * (domain/deletion-outcome.ts, CONTRACT.md): what was erased, what was anonymised, what was kept
 * and why, and each system's answer (`waiting` while it has not finished). Stored while the
 * deletion waits and when it completes. It is the one outcome a request stores.
 */
export interface DeletionOutcome {
  erased: Category[];
  anonymised: Category[];
  retained: RetainedCategory[];
  systems?: { system: string; result: 'done' | 'not-held' | 'could-not' | 'waiting' }[];
}
/** What a request may store as its outcome (today only a deletion's, see `DeletionOutcome`). */
export type RequestOutcome = DeletionOutcome;

/** The fields every request has, whatever its kind. */
interface RequestBase {
  requestId: string;
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
  /** Shown on the status page while waiting and once completed (publicView); only a deletion writes one (R8). */
  outcome?: RequestOutcome;
  failure?: { error: string; at: string };
  decisions?: StaffDecision[];
  denial?: { code: DenialCode; reason?: string; at: string };
  /** R15: the clock pauses while the request waits on the requester. */
  waitingSince?: string;
  approvalRounds?: Record<string, number>;
  /** A signed-in staff member who made this request (counsel for a court order): never one of its approvers (R12). */
  submittedByStaff?: string;
  /** When the request reached a terminal status (set by the store); statistics measure time to complete from it (R3). */
  closedAt?: string;
  /** R15: the one extension of the due date a request may have; the reason is for the requester, so it stays off the audit trail. */
  extension?: DeadlineExtension;
  /** R4, R6: a desk request that releases records or changes contact details waits for this check. */
  deskCheck?: DeskCheck;
  /** R1, R17: a file for a patron with no email completes the request only once handed over at the desk. */
  handOver?: HandOver;
}

/** correction (R6). */
export interface CorrectionFields {
  /** R6: requested changes, kept until applied or refused, then erased (R16). */
  changes?: CorrectionChanges;
  /**
   * R6: the email on file before the system of record was corrected, so the notice reaches the old
   * address as well as the new; erased with the changes (R16).
   */
  previousEmail?: string;
}

/** outreach-opt-out (R20). */
export interface OutreachOptOutFields {
  /** A donor without a card: the email they typed, kept only until the match step reads it (R5). */
  submittedEmail?: string;
  /** A donor without a card, once matched by the email a donation record holds: an id only (R5). */
  donorId?: string;
}

/** deletion (R8). */
export interface DeletionFields {
  /** R8: the deletion plan (counts and codes only). */
  plan?: DeletionPlan;
  /** Where to send the last letter when the record it came from is being erased (R8); erased after. */
  contactEmail?: string;
}

/** guardian-access (R9-R11). */
export interface GuardianFields {
  /** The guardian who asked; they verify through their own email on file (R7, R11). */
  requesterPatronId?: string;
  /** The child as typed (`submitted` is the guardian); erased by the match step (R5). */
  submittedChild?: SubmittedIdentity;
  /** Decided at the match step (R11: the guardian must be linked to the card). */
  guardianLink?: GuardianLink;
  /** The child's age band on the day the request was made (R9-R11). */
  ageBand?: AgeBand;
  /** R4: who checked a guardian's documents at the desk, when and what kind; never the document. */
  guardianLinkCheck?: { byStaffId: string; role: string; documentKind: string; at: string };
  /** R10: the child's consent or refusal. */
  consent?: Consent;
}

/** third-party (R14). */
export interface ThirdPartyFields {
  /** R14: the third party's request; contact erased at close (R16). */
  thirdParty?: ThirdPartyRequest;
  /** R14: to whom the records went, kept after close (the contact above is erased, R16). */
  disclosedTo?: ThirdPartyDisclosure;
  /** R14: the data subject's written permission or refusal. */
  consent?: Consent;
}

/** court-order (R12). */
export interface CourtOrderFields {
  /** The order entity (adapters/dynamodb/court-orders.ts) this request carries through approval and disclosure (R12). */
  orderId?: string;
}

export interface AccessRecord extends RequestBase {
  kind: 'access';
}
export interface ExportRecord extends RequestBase {
  kind: 'export';
}
export interface DeletionRecord extends RequestBase, DeletionFields {
  kind: 'deletion';
}
export interface CorrectionRecord extends RequestBase, CorrectionFields {
  kind: 'correction';
}
export interface GuardianAccessRecord extends RequestBase, GuardianFields {
  kind: 'guardian-access';
}
export interface ThirdPartyRecord extends RequestBase, ThirdPartyFields {
  kind: 'third-party';
}
export interface CourtOrderRecord extends RequestBase, CourtOrderFields {
  kind: 'court-order';
}
export interface OutreachOptOutRecord extends RequestBase, OutreachOptOutFields {
  kind: 'outreach-opt-out';
}

/**
 * A request, typed by its kind: the fields only one kind has live on that kind's record, so a
 * reader narrows by `kind` before it reads them. The stored JSON is the same as before (one item,
 * flat attributes); adapters/dynamodb/requests.ts parses it.
 */
export type RequestRecord =
  | AccessRecord
  | ExportRecord
  | DeletionRecord
  | CorrectionRecord
  | GuardianAccessRecord
  | ThirdPartyRecord
  | CourtOrderRecord
  | OutreachOptOutRecord;

/** The record of one kind. */
export type RequestOf<K extends RequestKind> = Extract<RequestRecord, { kind: K }>;

/** Every field a request of some kind may have: what the tombstone's allow-list is held to (R16). */
export type AnyRequestFields = RequestBase & { kind: RequestKind } & CorrectionFields &
  DeletionFields &
  GuardianFields &
  ThirdPartyFields &
  CourtOrderFields &
  OutreachOptOutFields;
export type RequestField = keyof AnyRequestFields;

export const isKind = <K extends RequestKind>(r: RequestRecord, kind: K): r is RequestOf<K> => r.kind === kind;

/** The guardian who made a guardian-access request (R11); no other kind has one. */
export const requesterPatronIdOf = (r: RequestRecord): string | undefined =>
  r.kind === 'guardian-access' ? r.requesterPatronId : undefined;

/** R16: a request without a correction's requested values, once applied or refused; other kinds have none. */
export function withoutChanges(r: RequestRecord): RequestRecord {
  if (r.kind !== 'correction') return r;
  const { changes: _erased, previousEmail: _told, ...rest } = r;
  return rest;
}

/** The changes a correction asks for (R6); no other kind has any. */
export const changesOf = (r: RequestRecord): CorrectionChanges | undefined =>
  r.kind === 'correction' ? r.changes : undefined;

/** The donor without a card an outreach opt-out was matched to (R20); no other kind has one. */
export const donorIdOf = (r: RequestRecord): string | undefined =>
  r.kind === 'outreach-opt-out' ? r.donorId : undefined;

/** Where a deletion's last letter goes once the record it came from is erased (R8); no other kind has one. */
export const contactEmailOf = (r: RequestRecord): string | undefined =>
  r.kind === 'deletion' ? r.contactEmail : undefined;

/** The consent a request asks for (R10, R14): only guardian-access and third-party ask. */
export const consentOf = (r: RequestRecord): Consent | undefined =>
  r.kind === 'guardian-access' || r.kind === 'third-party' ? r.consent : undefined;

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
/** What the status page reads: a live request or its tombstone (domain/tombstone.ts) both have these. */
export type PublicViewSource = Pick<RequestBase, 'requestId' | 'status' | 'createdAt' | 'dueAt'> &
  Partial<Pick<RequestBase, 'verification' | 'verifyBy'>> & {
    kind: RequestKind;
    /** A deletion's outcome; a tombstone keeps its reduced form (R16). */
    outcome?: object;
  };

/**
 * `systems`: what each library system answered (R19), shown while the request waits so the
 * requester sees what it waits on; never for a court order, whose existence may be secret (R13a).
 */
export function publicView(
  r: PublicViewSource,
  now: Date,
  systems?: readonly { system: string; result: PublicSystemResult }[],
) {
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
    // R8: a deletion shows what it did so far while it waits, in the same shape (CONTRACT.md).
    ...(r.outcome && (r.status === 'completed' || r.status === 'waiting') ? { outcome: r.outcome } : {}),
    ...(systems && status === 'waiting' && r.kind !== 'court-order' ? { systems: [...systems] } : {}),
  };
}

/** Case- and accent-insensitive last-name comparison: "O'Brien" and "o’brien" match. */
export function sameLastName(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[\u2019'`\u02bc\s.\u2010-\u2015-]/g, '')
      .toLowerCase();
  return norm(a) === norm(b) && norm(a).length > 0;
}

export function dueDate(createdAt: Date, days: number): string {
  return new Date(createdAt.getTime() + days * 86_400_000).toISOString();
}
