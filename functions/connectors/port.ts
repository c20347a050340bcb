/**
 * The one port every system of record implements (R19): the built-in records table, Koha, and any
 * ILS or vendor added later. Workflows fan out over the configured systems and speak to each only
 * through this interface, so a request reaches every system the same way.
 *
 * Everything a connector returns that may travel in a workflow payload (a `PatronRef`, blockers,
 * outcomes) is ids, counts and codes only; records themselves are read into reports and exports,
 * never into payloads, logs or errors (R5).
 */
import type { Category } from '../domain/categories.ts';
import { TransientError } from '../domain/errors.ts';
import type { CorrectionChanges } from '../domain/request.ts';
import type { RetentionCutoffs } from '../domain/retention.ts';

export const CONNECTOR_OPERATIONS = ['find', 'read', 'blockers', 'erase', 'correct', 'preferences'] as const;
export type ConnectorOperation = (typeof CONNECTOR_OPERATIONS)[number];

export const PREFERENCE_KINDS = ['reading-history', 'outreach'] as const;
export type PreferenceKind = (typeof PREFERENCE_KINDS)[number];

/** What a system can do: callers plan around it instead of catching `unsupported`. */
export interface ConnectorCapabilities {
  categories: readonly Category[];
  operations: readonly ConnectorOperation[];
  preferences: readonly PreferenceKind[];
}

/** A patron as one system knows them: that system's own id, never a name or card number (R5). */
export interface PatronRef {
  systemId: string;
  patronId: string;
}

/** Why a card and last name found nobody; the public answer stays the same either way (R7). */
export type FindResult = { found: true; ref: PatronRef } | { found: false; reason: 'unknown-card' | 'name-mismatch' };

export interface PostalAddress {
  street: string;
  city: string;
  state: string;
  postalCode: string;
}

/** One record a system holds about a patron, in the system-neutral shape reports and exports use. */
export type SystemRecord =
  | {
      type: 'profile';
      id: string;
      cardNumber: string | null;
      firstName: string | null;
      lastName: string | null;
      dateOfBirth: string | null;
      email: string | null;
      phone: string | null;
      address: PostalAddress | null;
      enrolledOn: string | null;
      expiresOn: string | null;
    }
  | { type: 'username'; id: string; username: string }
  | {
      type: 'loan';
      id: string;
      itemId: string | null;
      branch: string | null;
      checkedOutAt: string | null;
      dueAt: string | null;
      returnedAt: string | null;
      /** The title, where the system keeps it on the loan (the records table does; Koha gives an item id). */
      title?: string | null;
    }
  | {
      type: 'hold';
      id: string;
      titleId: string | null;
      placedAt: string | null;
      status: string | null;
      /** The title, where the system keeps it on the hold (the records table does). */
      title?: string | null;
    }
  | {
      type: 'account-line';
      id: string;
      direction: 'debit' | 'credit';
      lineType: string | null;
      description: string | null;
      amount: number;
      outstanding: number;
      createdAt: string | null;
    }
  /** `personal`: a stored payment method, never more than its type and last four digits. */
  | { type: 'payment-method'; id: string; methodType: string; last4: string }
  /** `personal`: an account elsewhere linked to the library card. */
  | { type: 'linked-account'; id: string; service: string; externalId: string }
  /**
   * `credentials`: that a password or security questions are set, never the hash or an answer
   * (POLICY.md: username only), so a report can say "set" truthfully.
   */
  | { type: 'login-secrets'; id: string; passwordSet: boolean; securityQuestions: number }
  /** `library-records`: a program or event the patron signed up for. */
  | { type: 'program'; id: string; title: string | null; date: string | null; attended: boolean | null }
  /** `donations`: a gift to the library. */
  | { type: 'donation'; id: string; amount: number; date: string | null; campaign: string | null }
  /** `shared-content`: a public review, list or recommendation the patron wrote. */
  | {
      type: 'shared-content';
      id: string;
      contentKind: string;
      title: string | null;
      text: string;
      createdAt: string | null;
    };

/** One page of a category: callers consume pages as they come, so a long history never sits in memory. */
export interface RecordPage {
  category: Category;
  records: SystemRecord[];
}

export interface ReadOptions {
  /** Records per request to the system; each connector has a sensible default. */
  pageSize?: number;
}

/** R8: what stops a deletion in a system. Counts and codes only (R5). */
export type DeletionBlocker =
  | { kind: 'on-loan'; count?: number }
  | { kind: 'money-owed'; amount?: number }
  /**
   * A hold the system itself keeps on the records (a legal or administrative hold it enforces).
   * R13a: it never says which (no order, no count), so a nondisclosure hold reads like any other.
   */
  | { kind: 'hold'; count?: number }
  | { kind: 'guarantor' }
  /** The system refused for a reason of its own; `code` is the system's reason code. */
  | { kind: 'refused-by-system'; code: string };

export type DeletionBlockerKind = DeletionBlocker['kind'];

export interface BlockerCheck {
  blockers: DeletionBlocker[];
  /** Blockers this system cannot check before trying: they can still stop `erase` (R8: no letter claims more). */
  unchecked: DeletionBlockerKind[];
}

/**
 * R8: what an erasure did. `pendingCleanup` says the system still keeps a copy until a job of its
 * own runs (Koha's `deletedborrowers`), so a letter must not say "removed" before then.
 * `absent`: the system had no such patron (already erased, e.g. by an earlier attempt of this step).
 */
export type EraseResult =
  | {
      result: 'done';
      pendingCleanup: boolean;
      /**
       * Categories the system keeps for a retention period of the policy's (R8: donations, paid
       * fines) although the person is erased, with the first day they may go: a letter says so.
       */
      retained?: { category: Category; until?: string }[];
    }
  | { result: 'blocked'; blockers: DeletionBlocker[] }
  | { result: 'absent' };

export interface CorrectResult {
  result: 'done';
  fields: (keyof CorrectionChanges)[];
}

export interface PreferenceChange {
  /** Keep reading history, the library's default, or keep none. */
  readingHistory?: 'keep' | 'default' | 'forget';
  /** R20: stop outreach, marketing and fundraising contact. */
  outreach?: 'opted-out';
}

/**
 * R16: one call of a retention sweep: one key-range segment of the system's records, from `cursor`,
 * page by page until the segment ends, `maxPages` pages were read or `deadline` passed.
 */
export interface RetentionSweep {
  runId: string;
  segment: number;
  totalSegments: number;
  /** Where the previous call stopped (ids only, R5), or undefined to start the segment. */
  cursor: { pk: string; sk: string } | undefined;
  /** Per kind of record, the library day its own date must be before (domain/retention.ts). */
  cutoffs: RetentionCutoffs;
  timezone: string;
  pageSize: number;
  /** 0: no limit but the time. */
  maxPages: number;
  /** Epoch ms; no page is started after it. */
  deadline: number;
}

/** What one call did: counts, and where to go on from (undefined: the segment is done). */
export interface RetentionSweepResult {
  scanned: number;
  eligible: number;
  anonymised: number;
  /** Kept: the patron is under legal hold (R13). */
  held: number;
  /** Kept: the patron's own deletion is under way and anonymises them itself. */
  deleting: number;
  pages: number;
  cursor: { pk: string; sk: string } | undefined;
}

/** R16, R8: one call of the nightly purge's search for long-expired cards: one segment, from `cursor`, one page. */
export interface ExpiredPatronsQuery {
  segment: number;
  totalSegments: number;
  cursor: { pk: string; sk: string } | undefined;
  /** Cards that expired on a day before this one (YYYY-MM-DD). */
  expiredBefore: string;
  pageSize: number;
  /**
   * Count each candidate's holds still waiting (default true). The batched purge reads each
   * candidate's whole partition anyway (`purgeRead`) and counts them there, without a query of its own.
   */
  countOpenHolds?: boolean;
}

export interface ExpiredPatronsPage {
  scanned: number;
  /** The system's own patron ids, and how many of each one's holds still wait (ids and counts, R5). */
  patrons: { patronId: string; openHolds: number }[];
  cursor: { pk: string; sk: string } | undefined;
}

/**
 * A system that holds patron records. Methods a system cannot do (see `capabilities`) throw a
 * `ConnectorError` with reason `unsupported`. Every failure is a `TransientError` (retry with
 * backoff) or a `ConnectorError` (permanent: the failure path tells the privacy officer).
 */
export interface SystemConnector {
  readonly systemId: string;
  readonly type: string;
  readonly capabilities: ConnectorCapabilities;
  /** The card finds a candidate; the last name must agree (`sameLastName`, R7). */
  findPatron(cardNumber: string, lastName: string): Promise<FindResult>;
  /**
   * R12: the card alone, for signed-in counsel filing an order that names a card (never a public
   * request: R7 needs the last name). Optional: a system without it is not searched by card alone.
   */
  findByCardNumber?(cardNumber: string): Promise<PatronRef | undefined>;
  readRecords(ref: PatronRef, category: Category, options?: ReadOptions): AsyncIterable<RecordPage>;
  checkBlockers(ref: PatronRef): Promise<BlockerCheck>;
  erase(ref: PatronRef): Promise<EraseResult>;
  /** R6: the correction is made in the system that holds the data. */
  correct(ref: PatronRef, changes: CorrectionChanges): Promise<CorrectResult>;
  setPreferences(ref: PatronRef, change: PreferenceChange): Promise<void>;
  /**
   * R16, R13: anonymises every record past its kind's period (returned loans, closed holds, program
   * sign-ups, paid fines, gifts), skipping patrons under legal hold, one resumable segment a call.
   * Optional: a system without it has its periods enforced by its own job or by its staff
   * (domain/retention.ts `systemRetention`).
   */
  anonymiseBefore?(sweep: RetentionSweep): Promise<RetentionSweepResult>;
  /**
   * R16, R8: patrons whose card expired before a day, for the nightly purge (a system of record that
   * knows card expiry). Optional: the purge starts from a system that has it.
   */
  expiredPatrons?(query: ExpiredPatronsQuery): Promise<ExpiredPatronsPage>;
  /**
   * R16, R8, R13: the nightly purge's batched path, in a system of record that can offer it: reads
   * several candidates at once, each in one read (`purgeRead`), then erases those the caller cleared
   * with writes batched across patrons (`purgeErase`). Optional: without it the purge erases one
   * patron at a time through `checkBlockers` and `erase`.
   */
  purgeRead?(patronIds: readonly string[], options: { checkHolds: boolean }): Promise<PurgeCandidate[]>;
  purgeErase?(runId: string, cleared: readonly PurgeCandidate[], hooks: PurgeHooks): Promise<PurgeEraseResult>;
}

/** One purge candidate as `purgeRead` found it: ids, counts and codes, and the person only to find them elsewhere. */
export interface PurgeCandidate {
  patronId: string;
  /** Gone since the page was read (another purge, or a deletion, finished them). */
  absent: boolean;
  /** Not for the batched path (a history too long for one read, a deletion of theirs under way): `erase` alone. */
  alone: boolean;
  /** R13: under legal hold when read (checked only with `checkHolds`). */
  held: boolean;
  /** Holds still waiting for the patron. */
  openHolds: number;
  /** R8: what this system says blocks the erasure. */
  blockers: DeletionBlocker[];
  /** R19: the card and last name other systems find the person by; in memory only, never returned further (R5). */
  person?: { cardNumber: string; lastName: string };
}

export interface PurgeHooks {
  /**
   * R17: called with the patrons about to lose their personal data, after everything else of theirs
   * is gone and before their profiles are: the purge's audit events go in here, so a crash between
   * the two leaves the profile for the re-run to find, never a purge without its event.
   */
  beforePersonal(patronIds: readonly string[]): Promise<void>;
}

export interface PurgeEraseResult {
  /** Erased (nothing personal left; retained records as the plan keeps them). */
  erased: string[];
  /** R13: a legal hold found just before the writes: nothing of theirs touched. */
  held: string[];
  /** Left to the one-patron path (`erase`): nothing of theirs touched. */
  alone: string[];
}

/**
 * A connector's transient failure (429, 5xx, timeout, dropped connection). Its `name` stays
 * `TransientError`, the name every Task's `Retry` matches; `retryAfterMs` carries the system's
 * `Retry-After` so a caller that waits itself can honour it.
 */
export class ConnectorTransientError extends TransientError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientError';
  }
}
