/**
 * Key layout of both tables. One place, so that the local runtime, the CDK app and the tests
 * agree on table shape (ARCHITECTURE.md: single-table, generic keys, GSIs for every list).
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ],
  /** Epoch seconds; DynamoDB TTL in AWS, swept by the local runtime (dynalite has no TTL). */
  ttlAttribute: 'expiresAtEpoch',
} as const;

/** Requests table: requests, audit events, action tokens, workflow checkpoints (local engine). */
export const requestKeys = {
  request: (requestId: string) => ({ pk: `REQ#${requestId}`, sk: 'META' }),
  /** gsi1: every request about a patron, newest first. */
  byPatron: (patronId: string) => `PATRON#${patronId}`,
  /** gsi2: the staff queue, by status then due date. */
  byStatus: (status: string) => `STATUS#${status}`,
  audit: (requestId: string, seq: number) => ({ pk: `REQ#${requestId}`, sk: `AUDIT#${String(seq).padStart(8, '0')}` }),
  auditPrefix: 'AUDIT#',
  /** gsi1 on audit events (audit table): the events of one UTC day, so the daily head copy reads by key. */
  auditDay: (day: string) => `AUDITDAY#${day}`,
  token: (tokenHash: string) => ({ pk: `TOKEN#${tokenHash}`, sk: 'META' }),
  /** gsi1 on tokens: every token of a request, so a cancel can revoke them. */
  tokensOfRequest: (requestId: string) => `TOKENS#${requestId}`,
  /** gsi2 on tokens that answer a waiting workflow step, by expiry: the deadline sweep's queue. */
  openCallbacks: 'CALLBACKS#OPEN',
  /** gsi2 on download tokens, by expiry: the sweep deletes each file when its link expires (R8a). */
  liveDownloads: 'DOWNLOADS#LIVE',
  /** Reminders due, by time, one small item each: the deadline sweep reads them by key. */
  reminder: (remindAt: string, tokenHash: string) => ({ pk: 'REMINDERS', sk: `${remindAt}#${tokenHash}` }),
  remindersPartition: 'REMINDERS',
  execution: (executionId: string) => ({ pk: `EXEC#${executionId}`, sk: 'META' }),
  /** gsi2 on executions: the local engine's running executions, to resume after a restart. */
  runningExecutions: 'EXEC#RUNNING',
  /** R13: a legal hold on a patron's records; all of a patron's holds are one partition. */
  hold: (patronId: string, holdId: string) => ({ pk: `HOLD#${patronId}`, sk: `HOLD#${holdId}` }),
  holdsOfPatron: (patronId: string) => `HOLD#${patronId}`,
  holdPrefix: 'HOLD#',
  /** R13: the one item listing every patron who has (or may have) a hold (hold-registry.ts). */
  holdRegistry: { pk: 'HOLDS', sk: 'REGISTRY' },
  /** R12: a court order's metadata and document reference, by order id. */
  order: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'META' }),
  /** gsi2 on court orders whose hold lapses by date, by lapse time: the lapse sweep's queue (R13). */
  lapsingHolds: 'HOLDS#LAPSING',
  /**
   * R16: one small item per court order whose documents are kept, by order id: the documents' retention
   * sweep reads the partition by key (a few orders a year), and deletes the item once they are gone.
   */
  keptOrderDocuments: (orderId: string) => ({ pk: 'ORDERDOCS#KEPT', sk: orderId }),
  keptOrderDocumentsPartition: 'ORDERDOCS#KEPT',
  /** gsi1 on court orders whose nondisclosure period ends, by the instant it ends: the notice sweep's queue (R13a). */
  noticesDue: 'NOTICES#DUE',
  /** R16: closed requests by close time, one small item each: the tombstone sweep reads them by key. */
  closedRequest: (closedAt: string, requestId: string) => ({ pk: 'CLOSED', sk: `${closedAt}#${requestId}` }),
  closedPartition: 'CLOSED',
  /**
   * R14 R16: a request whose card matched no patron, by the time its verification would lapse: the
   * deadline sweep closes it then as expired, exactly when a patron's unanswered link would.
   */
  unmatchedRequest: (verifyBy: string, requestId: string) => ({ pk: 'UNMATCHED', sk: `${verifyBy}#${requestId}` }),
  unmatchedPartition: 'UNMATCHED',
  /**
   * R7: the one open request of a kind for a patron: a marker put only where none is (single-item
   * atomicity, no transactions), so two submissions at the same instant cannot both win.
   */
  openRequest: (patronId: string, slot: string) => ({ pk: `OPEN#${patronId}`, sk: `SLOT#${slot}` }),
  /** R7: the requests admitted for a patron on one library day (the daily cap), one small item. */
  dailyRequests: (patronId: string, day: string) => ({ pk: `DAILY#${patronId}`, sk: day }),
  /** R19: what one system answered for a request, beside the request in its partition. */
  systemResult: (requestId: string, systemId: string) => ({ pk: `REQ#${requestId}`, sk: `SYSTEM#${systemId}` }),
  systemResultPrefix: 'SYSTEM#',
  /** gsi2 on system results that wait (a blocker, an unreachable system), by re-check time: the daily sweep's queue (R8). */
  waitingSystems: 'SYSTEMS#WAITING',
} as const;

/** Library-records table: the stand-in for the library's system of record. */
export const recordKeys = {
  library: { pk: 'LIBRARY', sk: 'META' },
  patron: (patronId: string) => ({ pk: `PATRON#${patronId}`, sk: 'PROFILE' }),
  patronPartition: (patronId: string) => `PATRON#${patronId}`,
  /** gsi1: find a patron by card number. */
  byCard: (cardNumber: string) => `CARD#${cardNumber}`,
  record: (patronId: string, kind: RecordKind, id: string) => ({ pk: `PATRON#${patronId}`, sk: `${kind}#${id}` }),
  /** R20: a donor without a library card, known by the email their donation record holds. */
  donor: (donorId: string) => ({ pk: `DONOR#${donorId}`, sk: 'PROFILE' }),
  /** gsi1: find a donor by email (lower-cased), never by scan; gsi1sk is `DONOR`. */
  donorByEmail: (email: string) => `DONOR-EMAIL#${email.trim().toLowerCase()}`,
  /** Staff, one item per role, so "who is the privacy officer" is a query by key. */
  staff: (role: string, email: string) => ({ pk: `ROLE#${role}`, sk: email.toLowerCase() }),
  rolePartition: (role: string) => `ROLE#${role}`,
  /** Under the guarantor: the guarantor vouches for the child's card (R8 blocker, R11). */
  guarantees: (guarantorId: string, childId: string) => ({ pk: `PATRON#${guarantorId}`, sk: `GUARANTEES#${childId}` }),
  guaranteesPrefix: 'GUARANTEES#',
  /**
   * R8: an anonymised record, keyed by a random id that nothing else holds once the original is
   * deleted, so it cannot be re-linked to the person.
   */
  anonymised: (kind: RecordKind, anonKey: string) => ({ pk: `ANON#${kind}`, sk: anonKey }),
  /** R8: the secret a deletion in progress derives anonymisation keys from; deleted when it completes. */
  erasureKey: (patronId: string) => ({ pk: `PATRON#${patronId}`, sk: 'ERASURE#KEY' }),
  /** R8: one erased person's keyed fingerprint (domain/erasure-memory.ts), never an identifier; one partition, read by Query. */
  erased: (fingerprint: string) => ({ pk: 'ERASED', sk: fingerprint }),
  erasedPartition: 'ERASED',
  /**
   * R16: the secret the daily retention run derives anonymisation keys from (as `erasureKey` does for
   * one deletion); kept across an unfinished run so that a re-run writes the same copies, deleted when a run completes.
   */
  retentionKey: { pk: 'RETENTION', sk: 'KEY' },
} as const;

export const RECORD_KINDS = ['LOAN', 'HOLD', 'FINE', 'PROGRAM', 'DONATION', 'SHARED'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];
