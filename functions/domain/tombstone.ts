import type {
  AgeBand,
  AnyRequestFields,
  Consent,
  DeadlineExtension,
  DenialCode,
  GuardianLink,
  RequestField,
  RequestKind,
  RequestOutcome,
  RequestRecord,
  RequestStatus,
  StaffDecision,
  ThirdPartyDisclosure,
  ThirdPartyRequest,
  Verification,
} from './request.ts';

/**
 * R16: a closed request keeps personal data only as long as needed. `retention.tombstoneAfterDays`
 * after it closed, the request item is reduced to a de-identified tombstone: ids, kind, status,
 * dates and outcome codes, enough for the statistics (R3), the status page ("completed on …") and
 * to read the audit trail (R17), which stays whole and already holds no patron personal data. It
 * holds no id of any person (patron, requesting guardian, donor), so nothing finds it by patron.
 *
 * Built from an allow-list, field by field: a field added to RequestRecord later is dropped until
 * someone decides here that it may stay. What goes: the contact address, anything typed to
 * identify a person (card number, name), requested changes, a third party's contact and purpose,
 * free-text reasons (denial, extension, staff decisions), and staff identities (who verified,
 * who decided, who recorded consent, who submitted); their roles, the dates and the codes stay.
 */

/** A code, a date or a number: what an outcome may keep. Free text, emails and paths fail this. */
const CODE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const KEY = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
/** An error's name (`TransientError`, `States.Timeout`), never its message. */
const ERROR_NAME = /^[A-Za-z][A-Za-z0-9.]{0,63}$/;

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/**
 * R16: what is left of a closed request after `retention.tombstoneAfterDays`: its own type, not a
 * request with fields taken away. Ids, enums, dates, counts and roles; no person, no free text.
 */
export interface RequestTombstone {
  requestId: string;
  kind: RequestKind;
  status: RequestStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  dueAt: string;
  closedAt?: string;
  statusKeyHash: string;
  orderId?: string;
  executionId?: string;
  matched?: boolean;
  verifyBy?: string;
  guardianLink?: GuardianLink;
  ageBand?: AgeBand;
  approvalRounds?: Record<string, number>;
  verification?: Omit<Verification, 'verifiedByStaffId'>;
  decisions?: Omit<StaffDecision, 'byStaffId' | 'bySub' | 'reason'>[];
  denial?: { code: DenialCode; at: string };
  /** An error name, or `error`. */
  failure?: { error: string; at: string };
  /** The outcome's codes, dates and counts (`codesOnly`). */
  outcome?: { [k: string]: Json };
  guardianLinkCheck?: { role: string; documentKind: string; at: string };
  consent?: Omit<Consent, 'recordedByStaffId'>;
  thirdParty?: Pick<ThirdPartyRequest, 'categories' | 'permissionBy'>;
  /** R14: to whom the records went; the recipient is not the patron, and no patron identifier is in it (R16). */
  disclosedTo?: ThirdPartyDisclosure;
  extension?: Omit<DeadlineExtension, 'reason' | 'byStaffId'>;
  tombstonedAt: string;
}

/** A request item as stored: live, or reduced to its tombstone (R16). */
export type StoredRequest = RequestRecord | RequestTombstone;

/**
 * Any stored request read field by field, each field in the widest shape a live record or a tombstone
 * gives it: for a page that shows whatever a request has (the staff page). No cast: both are assignable.
 */
export type StoredRequestFields = Pick<
  RequestTombstone,
  'requestId' | 'kind' | 'status' | 'version' | 'createdAt' | 'updatedAt' | 'dueAt' | 'statusKeyHash'
> &
  Partial<Omit<AnyRequestFields, 'guardianLinkCheck' | 'decisions' | 'extension' | 'outcome'>> & {
    guardianLinkCheck?: NonNullable<RequestTombstone['guardianLinkCheck']> & { byStaffId?: string };
    decisions?: (NonNullable<RequestTombstone['decisions']>[number] & { byStaffId?: string; reason?: string })[];
    extension?: NonNullable<RequestTombstone['extension']> & { reason?: string; byStaffId?: string };
    outcome?: RequestOutcome | RequestTombstone['outcome'];
    tombstonedAt?: string;
  };
export const storedFields = (r: StoredRequest): StoredRequestFields => r;

export const isTombstone = (r: StoredRequest): r is RequestTombstone =>
  'tombstonedAt' in r && r.tombstonedAt !== undefined;

/** Keeps codes, dates, numbers and booleans, in arrays and objects (a few levels deep); drops everything else. */
export function codesOnly(value: unknown, depth = 0): Json | undefined {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return CODE.test(value) || ISO_DATE.test(value) ? value : undefined;
  if (depth >= 4 || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    const kept = value.map((v) => codesOnly(v, depth + 1)).filter((v): v is Json => v !== undefined);
    return kept.length > 0 || value.length === 0 ? kept : undefined;
  }
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!KEY.test(k)) continue;
    const kept = codesOnly(v, depth + 1);
    if (kept !== undefined) out[k] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Copies the named fields that are present (not undefined). */
function pick<T extends object, K extends keyof T>(o: T | undefined, keys: readonly K[]): Pick<T, K> | undefined {
  if (!o) return undefined;
  const out = {} as Pick<T, K>;
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The top-level fields a tombstone keeps as they are (ids, enums, dates, counts). */
export const TOMBSTONE_KEPT_AS_IS = [
  'requestId',
  'kind',
  'status',
  'version',
  'createdAt',
  'updatedAt',
  'dueAt',
  'closedAt',
  // The hash of the status link's key: the requester's link still shows "completed", nothing more.
  'statusKeyHash',
  'orderId',
  'executionId',
  'matched',
  'verifyBy',
  'guardianLink',
  'ageBand',
  'approvalRounds',
  // R14: the library must be able to show to whom it released what, on what permission; the
  // record names the third party (not the patron) and the categories, never the purpose (R16).
  'disclosedTo',
] as const satisfies readonly (RequestField & keyof RequestTombstone)[];

/** The fields a tombstone keeps only part of, and the fields it drops, named so a test can hold this list to RequestRecord. */
export const TOMBSTONE_REDUCED = [
  'verification',
  'decisions',
  'denial',
  'failure',
  'outcome',
  'guardianLinkCheck',
  'consent',
  'thirdParty',
  'extension',
] as const satisfies readonly RequestField[];
export const TOMBSTONE_DROPPED = [
  'submitted',
  'submittedChild',
  'contactEmail',
  'changes',
  'previousEmail',
  'submittedEmail',
  // R16: no patron identifier, so the tombstone cannot be found by patron (its gsi1 entry goes too).
  'patronId',
  'requesterPatronId',
  // R20: a donor without a card is a person too; the closed opt-out keeps no way to find them.
  'donorId',
  'plan',
  'waitingSince',
  'submittedByStaff',
  // R4, R6, R1: who made, approved and handed over a desk request; the audit trail keeps who did what.
  'deskCheck',
  'handOver',
] as const satisfies readonly RequestField[];

/** A live record of any kind, or a tombstone, as the tombstone reads it (no cast: each is assignable). */
type Reducible = Omit<RequestTombstone, 'outcome' | 'tombstonedAt'> & { outcome?: unknown; tombstonedAt?: string };

/**
 * R16: the de-identified tombstone of a closed request, as of `at`. Pure; applying it twice gives
 * the same record (the tombstone date of the first time is kept).
 */
export function tombstone(stored: StoredRequest, at: Date): RequestTombstone {
  // Every kind's fields, read alike: each is optional, in the shape the tombstone keeps of it.
  const r: Reducible = stored;
  const kept = pick(r, TOMBSTONE_KEPT_AS_IS) as Pick<Reducible, (typeof TOMBSTONE_KEPT_AS_IS)[number]>;
  const outcome = codesOnly(r.outcome);
  return defined({
    ...kept,
    // R4: how and when, and by which role; never who, and never the document (its kind is an enum).
    verification: r.verification
      ? defined({
          method: r.verification.method,
          verifiedAt: r.verification.verifiedAt,
          verifiedByRole: r.verification.verifiedByRole,
          documentKind: r.verification.documentKind,
        })
      : undefined,
    // The decision, its step, role and date; the staff member is named in the audit trail (R17), the reason was for the requester.
    decisions: r.decisions?.map((d) => ({ step: d.step, decision: d.decision, role: d.role, at: d.at })),
    denial: r.denial ? { code: r.denial.code, at: r.denial.at } : undefined,
    // An error name (an enum) and when.
    failure: r.failure
      ? { error: ERROR_NAME.test(r.failure.error) ? r.failure.error : 'error', at: r.failure.at }
      : undefined,
    outcome: outcome && typeof outcome === 'object' && !Array.isArray(outcome) ? outcome : undefined,
    guardianLinkCheck: r.guardianLinkCheck
      ? { role: r.guardianLinkCheck.role, documentKind: r.guardianLinkCheck.documentKind, at: r.guardianLinkCheck.at }
      : undefined,
    consent: r.consent
      ? defined({
          decision: r.consent.decision,
          at: r.consent.at,
          channel: r.consent.channel,
          recordedByRole: r.consent.recordedByRole,
          categories: r.consent.categories,
          // R18: which promises the answer was given under; a version, not a person.
          policyVersion: r.consent.policyVersion,
        })
      : undefined,
    // R14: the categories asked for, never the third party's contact or purpose (those it was released to are in disclosedTo).
    thirdParty: r.thirdParty
      ? defined({ categories: r.thirdParty.categories, permissionBy: r.thirdParty.permissionBy })
      : undefined,
    // R15: the dates and the length of the extension; the reason was for the requester.
    extension: r.extension
      ? {
          days: r.extension.days,
          role: r.extension.role,
          at: r.extension.at,
          previousDueAt: r.extension.previousDueAt,
          newDueAt: r.extension.newDueAt,
        }
      : undefined,
    tombstonedAt: r.tombstonedAt ?? at.toISOString(),
  });
}

/** R16: whether a request that closed at `closedAt` is due for its tombstone at `now`. */
export const tombstoneDue = (closedAt: string | undefined, now: Date, afterDays: number): boolean =>
  closedAt !== undefined &&
  !Number.isNaN(Date.parse(closedAt)) &&
  Date.parse(closedAt) + afterDays * 86_400_000 <= now.getTime();

/** The cutoff for the closed-requests queue: a request closed before it is due for its tombstone. */
export const tombstoneCutoff = (now: Date, afterDays: number): string =>
  new Date(now.getTime() - afterDays * 86_400_000).toISOString();
