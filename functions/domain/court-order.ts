import * as z from './zod.ts';
import { lazy } from './lazy.ts';
import { addYears, formatIsoDate, isoDateIn, parseIsoDate } from './age.ts';
import { CATEGORIES, type Category } from './categories.ts';
import { InvalidInputError } from './errors.ts';
import { MAX_DOCUMENT_RETENTION_DAYS, MIN_DOCUMENT_RETENTION_DAYS, type Policy } from './policy.ts';

/**
 * R12 court orders: what counsel sends with an order, how it is checked, and the pure rules of a
 * disclosure (which records a date range covers). No I/O here.
 */
export const ORDER_TYPES = ['subpoena', 'court-order', 'search-warrant'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

/** The stored order must be a PDF of at most this many bytes (10 MiB). */
export const MAX_ORDER_BYTES = 10 * 1024 * 1024;
export const ORDER_CONTENT_TYPE = 'application/pdf';
/** How long a presigned upload stays open after the metadata is accepted. */
export const UPLOAD_TTL_SECONDS = 15 * 60;

/**
 * R16: an order's metadata names a patron in a case, so an order counsel started and never
 * submitted must not stay. A week is long enough to find the scan and finish (or come back after a
 * weekend), short enough that an abandoned order does not linger; after it the order item goes
 * (table TTL) and the upload goes a day later (bucket lifecycle).
 */
export const UNSUBMITTED_ORDER_DAYS = 7;
/**
 * An upload nobody submitted goes a day after its order does: the day covers a submit that began just
 * before the order expired, so its checks never race the file's deletion.
 */
export const INCOMING_EXPIRY_DAYS = UNSUBMITTED_ORDER_DAYS + 1;

/**
 * Where uploads land (the presigned POST, one object per order) and where accepted orders are kept
 * (the checked version copied at submit). Two prefixes so the bucket can expire the first and keep
 * every version of the second (R12, R16), and so grants can tell them apart. infra/ imports these.
 */
export const INCOMING_PREFIX = 'incoming/';
export const DOCUMENT_PREFIX = 'orders/';
export const incomingKey = (orderId: string): string => `${INCOMING_PREFIX}${orderId}.pdf`;
export const orderDocumentKey = (orderId: string): string => `${DOCUMENT_PREFIX}${orderId}/order.pdf`;

/** R13: releasing a hold needs a sign-off in each of these roles, by two different people. */
export const RELEASE_ROLES = ['counsel', 'privacy-officer'] as const;
export interface ReleaseSignoff {
  role: (typeof RELEASE_ROLES)[number];
  /** The signed-in person (email, and the identity provider's subject id). */
  by: string;
  sub: string;
  at: string;
}

/** The two approvals of R12, in order; the policy maps each to a role (`approvals.roles`). */
export const REVIEW_STEP = 'court-order-review';
export const AUTHORISE_STEP = 'court-order-authorise';

export const ORDER_TYPE_WORDS: Record<OrderType, string> = {
  subpoena: 'subpoena',
  'court-order': 'court order',
  'search-warrant': 'search warrant',
};

const day = lazy(() =>
  z.string().check(
    z.refine(
      (s) => {
        try {
          parseIsoDate(s);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'a date YYYY-MM-DD' },
    ),
  ),
);

/**
 * Court names and case numbers are printed on pages, emails, a CSV cover and a PDF-adjacent
 * cover sheet: a small alphabet keeps markup, formulas and control characters out at the door
 * (every output also escapes; this is the first of two layers).
 */
const COURT = /^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N} .,'\u2019&()/#:-]*$/u;
const CASE_NUMBER = /^[A-Za-z0-9][A-Za-z0-9 .:/()#_-]*$/;

/**
 * R13a: a nondisclosure period longer than this after the order was issued is a typing mistake (a
 * year 2062 for 2026), not an order: delayed-notice orders run for months, renewed at most a few times.
 */
export const MAX_NONDISCLOSURE_YEARS = 10;
/** R12: a return date this long after the order was issued is a typing mistake: courts give weeks. */
export const MAX_RETURN_YEARS = 2;

/** `POST /api/court-orders` (CONTRACT.md), plus `lapsesOn`: the day the hold lapses by itself. */
export const courtOrderInputSchema = z.lazy(() =>
  z.strictObject({
    court: z
      .string()
      .check(
        z.trim(),
        z.minLength(1, 'required'),
        z.maxLength(200, 'at most 200 characters'),
        z.regex(COURT, "letters, digits, spaces and . , ' & ( ) / # : - only"),
      ),
    caseNumber: z
      .string()
      .check(
        z.trim(),
        z.minLength(1, 'required'),
        z.maxLength(64, 'at most 64 characters'),
        z.regex(CASE_NUMBER, 'letters, digits, spaces and . : / ( ) # _ - only'),
      ),
    orderType: z.enum(ORDER_TYPES),
    issuedOn: day(),
    patronCardNumber: z.string().check(z.trim(), z.regex(/^[0-9]{6,20}$/, 'a card number is 6 to 20 digits')),
    categories: z.array(z.enum(CATEGORIES)).check(
      z.minLength(1, 'name at least one category'),
      z.maxLength(CATEGORIES.length),
      z.refine((c) => new Set(c).size === c.length, { message: 'each category once' }),
    ),
    from: z.optional(day()),
    to: z.optional(day()),
    nondisclosure: z.boolean(),
    lapsesOn: z.optional(day()),
    /** R13a: the last day the order forbids notice; the patron is told once it has passed. */
    nondisclosureEndsOn: z.optional(day()),
    /** R12: the court's return date, the day the response is due to the court. */
    returnOn: z.optional(day()),
    /** R16: days the order's documents are kept after it closes, when this order needs other than the library's default. */
    documentRetentionDays: z.optional(
      z
        .number()
        .check(
          z.int('whole days'),
          z.gte(MIN_DOCUMENT_RETENTION_DAYS, `at least ${MIN_DOCUMENT_RETENTION_DAYS} days`),
          z.lte(MAX_DOCUMENT_RETENTION_DAYS, `at most ${MAX_DOCUMENT_RETENTION_DAYS} days`),
        ),
    ),
  }),
);
export type CourtOrderInput = z.infer<typeof courtOrderInputSchema>;

type Issue = { path: string; message: string };

const yearsAfter = (isoDay: string, years: number): string => formatIsoDate(addYears(parseIsoDate(isoDay), years));

/**
 * Validates the metadata against today's date in the library's time zone. Every bad field is
 * named at once (the field checks, then the checks between fields whose own values are valid);
 * a message never repeats what was sent.
 */
export function validateCourtOrderInput(raw: unknown, today: string): CourtOrderInput {
  const res = courtOrderInputSchema.safeParse(raw);
  const issues: Issue[] = [];
  // One message per field: the first problem found is the one to fix first.
  for (const i of res.success ? [] : res.error.issues) {
    const path = i.path.join('.') || '(body)';
    if (!issues.some((x) => x.path === path))
      issues.push({ path, message: i.code === 'unrecognized_keys' ? 'unknown field' : i.message });
  }
  const bad = new Set(issues.map((i) => i.path.split('.')[0]));
  const field = (name: string): string | undefined => {
    if (bad.has(name) || typeof raw !== 'object' || raw === null) return undefined;
    const v = (raw as Record<string, unknown>)[name];
    return typeof v === 'string' ? v.trim() : undefined;
  };
  const issuedOn = field('issuedOn');
  const from = field('from');
  const to = field('to');
  const lapsesOn = field('lapsesOn');
  if (issuedOn && issuedOn > today) issues.push({ path: 'issuedOn', message: 'cannot be in the future' });
  if (issuedOn && issuedOn < '1900-01-01') issues.push({ path: 'issuedOn', message: 'is too far in the past' });
  if (from && to && from > to) issues.push({ path: 'to', message: 'cannot be before from' });
  if (lapsesOn && lapsesOn < today) issues.push({ path: 'lapsesOn', message: 'cannot be in the past' });
  if (lapsesOn && issuedOn && lapsesOn < issuedOn)
    issues.push({ path: 'lapsesOn', message: 'cannot be before issuedOn' });
  const endsOn = field('nondisclosureEndsOn');
  // R13a: an end to a prohibition the order does not make would tell nobody anything.
  if (endsOn && typeof raw === 'object' && raw !== null && (raw as Record<string, unknown>).nondisclosure !== true)
    issues.push({
      path: 'nondisclosureEndsOn',
      message: 'only for an order that forbids notice (nondisclosure: true)',
    });
  else if (endsOn && issuedOn && endsOn <= issuedOn)
    issues.push({ path: 'nondisclosureEndsOn', message: 'must be after issuedOn' });
  else if (endsOn && issuedOn && endsOn > yearsAfter(issuedOn, MAX_NONDISCLOSURE_YEARS))
    issues.push({ path: 'nondisclosureEndsOn', message: `at most ${MAX_NONDISCLOSURE_YEARS} years after issuedOn` });
  const returnOn = field('returnOn');
  if (returnOn && issuedOn && returnOn < issuedOn)
    issues.push({ path: 'returnOn', message: 'cannot be before issuedOn' });
  else if (returnOn && issuedOn && returnOn > yearsAfter(issuedOn, MAX_RETURN_YEARS))
    issues.push({ path: 'returnOn', message: `at most ${MAX_RETURN_YEARS} years after issuedOn` });
  if (issues.length > 0 || !res.success) throw new InvalidInputError('the court order is invalid', issues);
  return res.data;
}

/** The order as stored (requests table, `ORDER#<id>`). Ids and metadata; never the card number (R5). */
export interface CourtOrder {
  orderId: string;
  version: number;
  /** `awaiting-upload` until submit accepts the file; the approval status lives on the request. */
  status: 'awaiting-upload' | 'submitted';
  createdAt: string;
  updatedAt: string;
  court: string;
  caseNumber: string;
  orderType: OrderType;
  issuedOn: string;
  categories: Category[];
  from?: string;
  to?: string;
  /** R13a: the order forbids telling the patron. */
  nondisclosure: boolean;
  /** R13: the day the hold lapses by itself (held through its end everywhere). */
  lapsesOn?: string;
  /** R13a: the last day notice is forbidden; after it the patron is told (only with `nondisclosure`). */
  nondisclosureEndsOn?: string;
  /** R12: the court's return date (the response is due to the court that day). */
  returnOn?: string;
  /** R16: this order's document retention, in days after it closes; absent: the policy's `courtOrders.documentRetentionDays`. */
  documentRetentionDays?: number;
  /** The patron the order names, resolved from the card number counsel gave. */
  patronId: string;
  /** The counsel who uploaded it (their email, from the sign-in claims): never an approver (R12). */
  uploadedBy: string;
  uploadedBySub: string;
  /** Where the PDF is uploaded to (the documents bucket): `incoming/…`; orders created before that prefix existed name `orders/…`. */
  documentKey: string;
  /** Set at submit: the kept copy under `orders/` (key and version) and the checked bytes' size and hash. */
  file?: { key: string; sha256: string; size: number; versionId?: string };
  requestId?: string;
  holdId?: string;
  submittedAt?: string;
  /** When the hold stops holding (ISO instant), for the lapse sweep's index. */
  lapseDueAt?: string;
  /** R13: the sign-offs given so far to release the hold; it is released with the second. */
  releaseSignoffs?: ReleaseSignoff[];
  holdReleasedAt?: string;
  holdReleasedBy?: string;
  holdLapseRecordedAt?: string;
  /** R13a: when the notice owed after the nondisclosure period was sent, or found not owed (nothing disclosed). */
  noticeSettledAt?: string;
  /** R16: the order's documents were deleted when their period ended (`file` keeps only their hash and size as a record). */
  documentsDeleted?: { at: string; versions: number };
}

/** The hold's id for an order: one hold per order. */
export const holdIdFor = (orderId: string): string => `order-${orderId}`;

/**
 * R13: the hold placed the moment counsel records an order, before its file is checked and the
 * order's own hold placed at submit. It lapses by itself once an order never submitted has gone
 * (R16: an abandoned order leaves nothing behind), and is released with the order's hold.
 */
export const recordedHoldIdFor = (orderId: string): string => `order-${orderId}-recorded`;

/** The last library day an unsubmitted order recorded on `today` may still be submitted (or the order's own lapse, if sooner). */
export function recordedHoldLapsesOn(today: string, lapsesOn?: string): string {
  const d = parseIsoDate(today, 'today');
  const end = new Date(Date.UTC(d.year, d.month - 1, d.day + UNSUBMITTED_ORDER_DAYS)).toISOString().slice(0, 10);
  return lapsesOn !== undefined && lapsesOn < end ? lapsesOn : end;
}

/**
 * R13: the instant a hold with `lapsesOn` (a day) stops holding: the end of that day in the last
 * time zone to finish it (UTC-12), i.e. 12:00 UTC the next day, as adapters/dynamodb/legal-holds.ts reads it.
 */
export function holdLapseInstant(lapsesOn: string): string {
  const d = parseIsoDate(lapsesOn, 'lapsesOn');
  return new Date(Date.UTC(d.year, d.month - 1, d.day + 1, 12)).toISOString();
}

/**
 * R13a: the instant notice stops being forbidden: the end of `nondisclosureEndsOn` in the last time
 * zone to finish it, as for a hold's lapse. Hours late is harmless; a minute early breaks the order.
 */
export const noticeDueInstant = (nondisclosureEndsOn: string): string => holdLapseInstant(nondisclosureEndsOn);

/** R13a: whether the patron may be told of a disclosure under this order at `now`. */
export const noticeAllowed = (o: Pick<CourtOrder, 'nondisclosure' | 'nondisclosureEndsOn'>, now: Date): boolean =>
  !o.nondisclosure ||
  (o.nondisclosureEndsOn !== undefined && now.getTime() >= Date.parse(noticeDueInstant(o.nondisclosureEndsOn)));

/** The instant a library day begins in `timezone` (the first instant whose local date is `isoDay`). */
export function startOfDayIn(isoDay: string, timezone: string): Date {
  const d = parseIsoDate(isoDay);
  const midnightUtc = Date.UTC(d.year, d.month - 1, d.day);
  const offsetAt = (t: number): number => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      })
        .formatToParts(new Date(t))
        .map((x) => [x.type, Number(x.value)]),
    ) as Record<string, number>;
    return Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0) - t;
  };
  // Twice: the offset at the guess may differ from the offset at the answer across a DST change.
  const first = midnightUtc - offsetAt(midnightUtc);
  return new Date(midnightUtc - offsetAt(first));
}

/**
 * R15, R12: a court order's due date. The court's return date is the deadline that matters, so the
 * request is due when that day begins in the library's time zone, if that is sooner than the
 * policy's default; a later return date never loosens the library's own deadline.
 */
export function courtOrderDueAt(policyDueAt: string, returnOn: string | undefined, timezone: string): string {
  if (returnOn === undefined) return policyDueAt;
  const byCourt = startOfDayIn(returnOn, timezone).toISOString();
  return byCourt < policyDueAt ? byCourt : policyDueAt;
}

/** R16: how many days an order's documents are kept after it closes: its own period, else the library's. */
export const documentRetentionDaysOf = (
  o: Pick<CourtOrder, 'documentRetentionDays'>,
  policy: Pick<Policy, 'courtOrders'>,
): number => o.documentRetentionDays ?? policy.courtOrders.documentRetentionDays;

/**
 * R16: the first instant the documents of an order closed at `closedAt` may go: `days` whole days
 * later. Counsel sees this same instant (court-order-view.ts), and the run deletes from it.
 */
export const documentsDeleteFrom = (closedAt: string, days: number): string =>
  new Date(Date.parse(closedAt) + days * 86_400_000).toISOString();

/**
 * R18, R16: what every patron's access report says about court-order documents: the same words for
 * everyone (R13a: it never says whether an order about them exists), printed from the configuration the
 * documents' retention sweep reads. An order's own longer or shorter period is counsel's, not shown here.
 */
export const courtOrderDocumentsStatement = (policy: Pick<Policy, 'courtOrders'>): string =>
  `The library releases records only under a court order or with the written permission of the person they are about. When a court orders a disclosure, the library keeps the order it received for ${policy.courtOrders.documentRetentionDays} days after it has finished with it, unless counsel sets another period for that order, and never deletes it while a legal hold under that order is in place; then the order is deleted.`;

// What a disclosure holds ---------------------------------------------------------------------

/**
 * Which date of each record the order's range is applied to. The profile (personal, credentials)
 * is disclosed as held on the day of disclosure: it has no date of its own.
 */
export const DATE_FIELD = {
  LOAN: 'checkedOutAt',
  HOLD: 'placedAt',
  FINE: 'createdAt',
  PROGRAM: 'date',
  DONATION: 'date',
  SHARED: 'createdAt',
} as const;

export const DATE_FIELD_WORDS: Record<keyof typeof DATE_FIELD, string> = {
  LOAN: 'loans by the day checked out',
  HOLD: 'holds by the day placed',
  FINE: 'fines by the day charged',
  PROGRAM: 'programs by the day held',
  DONATION: 'donations by the day given',
  SHARED: 'shared content by the day published',
};

/** The calendar day of a record's date in the library's time zone; a plain date is its own day. */
export function dayOf(value: string, timezone: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidInputError('a record date is not a date');
  return isoDateIn(new Date(t), timezone);
}

/** R12: whether a day lies within the order's range (both ends included; an open end is unbounded). */
export const withinRange = (d: string, range: { from?: string; to?: string }): boolean =>
  (range.from === undefined || d >= range.from) && (range.to === undefined || d <= range.to);
