import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from '../../domain/zod.ts';
import { lazy } from '../../domain/lazy.ts';
import { CATEGORIES } from '../../domain/categories.ts';
import { deletionPlanSchema } from '../../domain/deletion-plan.ts';
import { ConflictError, GoneError, IntegrityError, NotFoundError } from '../../domain/errors.ts';
import {
  AGE_BANDS,
  assertTransition,
  DENIAL_CODES,
  isKind,
  isTerminal,
  REQUEST_KINDS,
  REQUEST_STATUSES,
  requesterPatronIdOf,
  type RequestKind,
  type RequestOf,
  type RequestRecord,
  type RequestStatus,
} from '../../domain/request.ts';
import { DESK_CHECK_VIAS } from '../../domain/desk-checks.ts';
import { repeatSlot } from '../../domain/repeats.ts';
import { isTombstone, type RequestTombstone, type StoredRequest } from '../../domain/tombstone.ts';
import { isConditionalCheckFailed } from './client.ts';
import { LOST_RACE, putIfVersion, putNew, retryLostRaces } from './conditional-put.ts';
import { entity } from './entity.ts';
import { requestKeys } from './keys.ts';

// The stored shapes are built when a request is first read, not at import (cold start).
const category = lazy(() => z.enum(CATEGORIES));
const identity = lazy(() => z.object({ cardNumber: z.string(), lastName: z.string() }));
const verification = lazy(() =>
  z.object({
    method: z.enum(['email-link', 'in-person']),
    verifiedAt: z.string(),
    verifiedByRole: z.optional(z.string()),
    verifiedByStaffId: z.optional(z.string()),
    documentKind: z.optional(z.string()),
  }),
);
const decision = lazy(() =>
  z.object({
    step: z.string(),
    decision: z.enum(['approve', 'reject']),
    byStaffId: z.string(),
    role: z.string(),
    bySub: z.optional(z.string()),
    at: z.string(),
    reason: z.optional(z.string()),
  }),
);
const consent = lazy(() =>
  z.object({
    decision: z.enum(['consent', 'decline']),
    at: z.string(),
    channel: z.enum(['email', 'in-person']),
    recordedByStaffId: z.optional(z.string()),
    recordedByRole: z.optional(z.string()),
    categories: z.optional(z.array(category())),
    policyVersion: z.optional(z.string()),
  }),
);
const extension = lazy(() =>
  z.object({
    days: z.number(),
    reason: z.string(),
    byStaffId: z.string(),
    role: z.string(),
    at: z.string(),
    previousDueAt: z.string(),
    newDueAt: z.string(),
  }),
);
const guardianLink = lazy(() => z.enum(['linked', 'unlinked', 'unknown-child']));
const failure = lazy(() => z.object({ error: z.string(), at: z.string() }));

/** The fields of every kind (domain/request.ts `RequestBase`). */
const base = lazy(() =>
  z.object({
    requestId: z.string(),
    status: z.enum(REQUEST_STATUSES),
    version: z.number().check(z.int()),
    createdAt: z.string(),
    updatedAt: z.string(),
    dueAt: z.string(),
    statusKeyHash: z.string(),
    patronId: z.optional(z.string()),
    submitted: z.optional(identity()),
    matched: z.optional(z.boolean()),
    verifyBy: z.optional(z.string()),
    verification: z.optional(verification()),
    executionId: z.optional(z.string()),
    // R8: a deletion's outcome, the only one a request stores.
    outcome: z.optional(
      z.object({
        erased: z.array(category()),
        anonymised: z.array(category()),
        retained: z.array(z.object({ category: category(), reason: z.string(), until: z.optional(z.string()) })),
        systems: z.optional(
          z.array(z.object({ system: z.string(), result: z.enum(['done', 'not-held', 'could-not', 'waiting']) })),
        ),
      }),
    ),
    failure: z.optional(failure()),
    decisions: z.optional(z.array(decision())),
    denial: z.optional(z.object({ code: z.enum(DENIAL_CODES), reason: z.optional(z.string()), at: z.string() })),
    waitingSince: z.optional(z.string()),
    approvalRounds: z.optional(z.record(z.string(), z.number())),
    submittedByStaff: z.optional(z.string()),
    closedAt: z.optional(z.string()),
    extension: z.optional(extension()),
    deskCheck: z.optional(
      z.object({
        via: z.enum(DESK_CHECK_VIAS),
        firstSub: z.string(),
        firstStaffId: z.string(),
        secondSub: z.optional(z.string()),
        secondStaffId: z.optional(z.string()),
        approvedAt: z.optional(z.string()),
      }),
    ),
    handOver: z.optional(
      z.object({
        status: z.enum(['waiting', 'done']),
        bySub: z.optional(z.string()),
        byStaffId: z.optional(z.string()),
        documentKind: z.optional(z.string()),
        at: z.optional(z.string()),
      }),
    ),
  }),
);

/** R14: the retained disclosure record of a third-party request. */
const thirdPartyDisclosure = lazy(() =>
  z.object({
    recipient: z.object({ name: z.string(), organization: z.optional(z.string()), email: z.string() }),
    categories: z.array(category()),
    permission: z.object({
      at: z.string(),
      channel: z.enum(['email', 'in-person']),
      by: z.enum(['patron', 'guardian']),
    }),
    releasedAt: z.string(),
  }),
);

const requestSchema: z.ZodMiniType<RequestRecord> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.extend(base(), { kind: z.literal('access') }),
    z.extend(base(), { kind: z.literal('export') }),
    z.extend(base(), {
      kind: z.literal('deletion'),
      plan: z.optional(deletionPlanSchema),
      contactEmail: z.optional(z.string()),
    }),
    z.extend(base(), {
      kind: z.literal('correction'),
      changes: z.optional(
        z.object({
          firstName: z.optional(z.string()),
          lastName: z.optional(z.string()),
          email: z.optional(z.string()),
          phone: z.optional(z.string()),
          address: z.optional(
            z.object({ street: z.string(), city: z.string(), state: z.string(), postalCode: z.string() }),
          ),
          dateOfBirth: z.optional(z.string()),
          username: z.optional(z.string()),
        }),
      ),
      previousEmail: z.optional(z.string()),
    }),
    z.extend(base(), {
      kind: z.literal('guardian-access'),
      requesterPatronId: z.optional(z.string()),
      submittedChild: z.optional(identity()),
      guardianLink: z.optional(guardianLink()),
      ageBand: z.optional(z.enum(AGE_BANDS)),
      guardianLinkCheck: z.optional(
        z.object({ byStaffId: z.string(), role: z.string(), documentKind: z.string(), at: z.string() }),
      ),
      consent: z.optional(consent()),
    }),
    z.extend(base(), {
      kind: z.literal('third-party'),
      thirdParty: z.optional(
        z.object({
          categories: z.array(category()),
          name: z.optional(z.string()),
          email: z.optional(z.string()),
          organization: z.optional(z.string()),
          purpose: z.optional(z.string()),
          permissionBy: z.optional(z.enum(['patron', 'guardian'])),
        }),
      ),
      disclosedTo: z.optional(thirdPartyDisclosure()),
      consent: z.optional(consent()),
    }),
    z.extend(base(), { kind: z.literal('court-order'), orderId: z.optional(z.string()) }),
    z.extend(base(), {
      kind: z.literal('outreach-opt-out'),
      submittedEmail: z.optional(z.string()),
      donorId: z.optional(z.string()),
    }),
  ]),
);

/** R16: the tombstone's fields (domain/tombstone.ts), each in its reduced shape. */
const tombstoneSchema: z.ZodMiniType<RequestTombstone> = z.lazy(() =>
  z.object({
    requestId: z.string(),
    kind: z.enum(REQUEST_KINDS),
    status: z.enum(REQUEST_STATUSES),
    version: z.number().check(z.int()),
    createdAt: z.string(),
    updatedAt: z.string(),
    dueAt: z.string(),
    closedAt: z.optional(z.string()),
    statusKeyHash: z.string(),
    orderId: z.optional(z.string()),
    executionId: z.optional(z.string()),
    matched: z.optional(z.boolean()),
    verifyBy: z.optional(z.string()),
    guardianLink: z.optional(guardianLink()),
    ageBand: z.optional(z.enum(AGE_BANDS)),
    approvalRounds: z.optional(z.record(z.string(), z.number())),
    verification: z.optional(z.omit(verification(), { verifiedByStaffId: true })),
    decisions: z.optional(z.array(z.omit(decision(), { byStaffId: true, bySub: true, reason: true }))),
    denial: z.optional(z.object({ code: z.enum(DENIAL_CODES), at: z.string() })),
    failure: z.optional(failure()),
    outcome: z.optional(z.record(z.string(), z.json())),
    guardianLinkCheck: z.optional(z.object({ role: z.string(), documentKind: z.string(), at: z.string() })),
    consent: z.optional(z.omit(consent(), { recordedByStaffId: true })),
    thirdParty: z.optional(
      z.object({ categories: z.array(category()), permissionBy: z.optional(z.enum(['patron', 'guardian'])) }),
    ),
    disclosedTo: z.optional(thirdPartyDisclosure()),
    extension: z.optional(z.omit(extension(), { reason: true, byStaffId: true })),
    tombstonedAt: z.string(),
  }),
);

const byStatusKeys = (r: StoredRequest) => ({
  gsi2pk: requestKeys.byStatus(r.status),
  gsi2sk: `${r.dueAt}#${r.requestId}`,
});

/** A live request: by id; gsi1 by patron once matched, gsi2 by status then due date (the staff queue). */
export const requestEntity = entity<RequestRecord>({
  name: 'request',
  schema: requestSchema,
  keys: (r) => ({
    ...requestKeys.request(r.requestId),
    ...(r.patronId ? { gsi1pk: requestKeys.byPatron(r.patronId), gsi1sk: r.createdAt } : {}),
    ...byStatusKeys(r),
  }),
});

/**
 * R16: the same item once reduced to its tombstone: by id and on the status index (statistics, R3),
 * never by patron. The whole-item put drops the live item's gsi1 attributes.
 */
export const tombstoneEntity = entity<RequestTombstone>({
  name: 'request tombstone',
  schema: tombstoneSchema,
  keys: (t) => ({ ...requestKeys.request(t.requestId), ...byStatusKeys(t) }),
});

/** A request item as stored: a tombstone once `tombstonedAt` is set, a live request before. */
const parseStored = (item: Record<string, unknown>): StoredRequest =>
  item.tombstonedAt === undefined ? requestEntity.parse(item) : tombstoneEntity.parse(item);

/** A request that must still be live: a tombstone has nothing left to act on (R16). */
const parseLive = (item: Record<string, unknown>): RequestRecord => {
  const stored = parseStored(item);
  if (isTombstone(stored)) throw new GoneError('the request was closed and reduced to its tombstone');
  return stored;
};

/** What a status change may set besides the status: fields every kind has (a failure, an outcome). */
export type RequestPatch = Partial<Omit<RequestRecord, 'kind'>>;

const changedConcurrently = (): ConflictError => new ConflictError('request changed concurrently');

const toItem = (r: StoredRequest): Record<string, unknown> =>
  isTombstone(r) ? tombstoneEntity.item(r) : requestEntity.item(r);

/**
 * Requests, one item each. Every change is a whole-item put conditioned on the version read
 * (optimistic locking): dynalite has no transactions, so single-item atomicity is the design.
 */
export class RequestStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async create(r: RequestRecord): Promise<void> {
    if (!(await putNew(this.db, this.table, toItem(r)))) throw new ConflictError('request id already exists');
  }

  /** A live request; one reduced to its tombstone is gone (GoneError, R16): use `findStored` to read either. */
  async find(requestId: string): Promise<RequestRecord | undefined> {
    const item = await this.item(requestId);
    return item ? parseLive(item) : undefined;
  }

  async get(requestId: string): Promise<RequestRecord> {
    const r = await this.find(requestId);
    if (!r) throw new NotFoundError('no such request');
    return r;
  }

  /** A live request that must be of `kind` (a workflow's own kind): another kind is an IntegrityError. */
  async getOf<K extends RequestKind>(requestId: string, kind: K): Promise<RequestOf<K>> {
    const r = await this.get(requestId);
    if (!isKind(r, kind)) throw new IntegrityError(`request is not of kind ${kind}`);
    return r;
  }

  /** The request as stored, live or tombstone: for the status page, the staff page and the retention run (R16). */
  async findStored(requestId: string): Promise<StoredRequest | undefined> {
    const item = await this.item(requestId);
    return item ? parseStored(item) : undefined;
  }

  async getStored(requestId: string): Promise<StoredRequest> {
    const r = await this.findStored(requestId);
    if (!r) throw new NotFoundError('no such request');
    return r;
  }

  private async item(requestId: string): Promise<Record<string, unknown> | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: requestKeys.request(requestId), ConsistentRead: true }),
    );
    return res.Item;
  }

  /**
   * R16: reduces a live request to its tombstone with `change` (domain/tombstone.ts), conditioned on
   * the version read like every write; a request already reduced is returned as it is.
   */
  async reduceToTombstone(
    requestId: string,
    change: (r: RequestRecord) => RequestTombstone | undefined,
  ): Promise<StoredRequest> {
    return retryLostRaces(async () => {
      const current = await this.getStored(requestId);
      if (isTombstone(current)) return current;
      const next = change(current);
      if (!next) return current;
      return (await putIfVersion(this.db, this.table, toItem(next), current.version)) ? next : LOST_RACE;
    }, changedConcurrently);
  }

  /** Writes `next` if the stored version is still `next.version`; returns the saved record. */
  async save(next: RequestRecord): Promise<RequestRecord> {
    const saved = await this.trySave(next);
    if (saved === LOST_RACE) throw changedConcurrently();
    return saved;
  }

  /** `save`, answering LOST_RACE when another writer changed the request since `next` was read. */
  private async trySave(next: RequestRecord): Promise<RequestRecord | typeof LOST_RACE> {
    const now = this.clock().toISOString();
    // R3: the moment a request closes is kept, so statistics can measure time to complete.
    const saved: RequestRecord = {
      ...next,
      version: next.version + 1,
      updatedAt: now,
      ...(isTerminal(next.status) && !next.closedAt ? { closedAt: now } : {}),
    };
    // R16: a request closing now is queued for its tombstone by close time (one small item, read by key). No
    // transactions, so it is written first; the sweep drops an entry whose request did not close after all.
    if (saved.closedAt && !next.closedAt)
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...requestKeys.closedRequest(saved.closedAt, saved.requestId), requestId: saved.requestId },
        }),
      );
    if (!(await putIfVersion(this.db, this.table, toItem(saved), next.version))) return LOST_RACE;
    // R7 R16: a request closing by any path (completed, expired, cancelled, denied, failed) frees its patron's
    // slot, so the marker outlives it nowhere; after the write, so an open request never loses its slot.
    if (saved.closedAt && !next.closedAt) {
      const slot = repeatSlot(saved.kind, { patronId: saved.patronId, requesterPatronId: requesterPatronIdOf(saved) });
      if (slot) await this.releaseOpen(slot.ownerId, slot.slot, saved.requestId);
    }
    return saved;
  }

  /**
   * Read, change, conditional write; re-read and re-apply on a lost race. `change` must be a pure
   * function of the record it is given, so that re-applying it is safe.
   */
  update(requestId: string, change: (r: RequestRecord) => RequestRecord | undefined): Promise<RequestRecord> {
    return retryLostRaces(async () => {
      const current = await this.get(requestId);
      const next = change(current);
      return next ? this.trySave(next) : current;
    }, changedConcurrently);
  }

  /** `update` for a step of one kind's workflow: the record it changes is of `kind`, or an IntegrityError. */
  updateOf<K extends RequestKind>(
    requestId: string,
    kind: K,
    change: (r: RequestOf<K>) => RequestOf<K> | undefined,
  ): Promise<RequestRecord> {
    return this.update(requestId, (r) => {
      if (!isKind(r, kind)) throw new IntegrityError(`request is not of kind ${kind}`);
      return change(r);
    });
  }

  /** Moves a request to `to`; already there is success, so a retried step changes nothing. */
  async transition(requestId: string, to: RequestStatus, patch: RequestPatch = {}): Promise<RequestRecord> {
    return this.update(requestId, (r) => {
      if (r.status === to) return undefined;
      assertTransition(r.status, to);
      return { ...r, ...patch, status: to };
    });
  }

  /** Every live request about a patron, newest first (gsi1, never a scan); a tombstone is not found by patron (R16). */
  async listByPatron(patronId: string): Promise<StoredRequest[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': requestKeys.byPatron(patronId) },
        ScanIndexForward: false,
      }),
    );
    return (res.Items ?? []).map(parseStored);
  }

  /**
   * One page of a status partition of gsi2, soonest due first, from `dueFrom` on: the staff queue
   * and the statistics (R3) read only the attributes they name (dotted paths reach into maps), and
   * never scan.
   */
  async pageByStatus(
    status: RequestStatus,
    opts: { attributes: readonly string[]; dueFrom?: string; limit?: number; startKey?: Record<string, unknown> },
  ): Promise<{ items: Record<string, unknown>[]; nextKey?: Record<string, unknown> }> {
    const names: Record<string, string> = {};
    const projection = opts.attributes.map((path) =>
      path
        .split('.')
        .map((part) => {
          const placeholder = `#${part.replace(/[^A-Za-z0-9]/g, '_')}`;
          names[placeholder] = part;
          return placeholder;
        })
        .join('.'),
    );
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi2',
        KeyConditionExpression: opts.dueFrom ? 'gsi2pk = :s AND gsi2sk >= :from' : 'gsi2pk = :s',
        ExpressionAttributeValues: {
          ':s': requestKeys.byStatus(status),
          ...(opts.dueFrom ? { ':from': opts.dueFrom } : {}),
        },
        ProjectionExpression: projection.join(', '),
        ExpressionAttributeNames: names,
        Limit: opts.limit ?? 200,
        ...(opts.startKey ? { ExclusiveStartKey: opts.startKey } : {}),
      }),
    );
    return { items: res.Items ?? [], ...(res.LastEvaluatedKey ? { nextKey: res.LastEvaluatedKey } : {}) };
  }

  /** The staff queue for one status, soonest due first (gsi2). */
  async listByStatus(status: RequestStatus, limit = 100): Promise<StoredRequest[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :s',
        ExpressionAttributeValues: { ':s': requestKeys.byStatus(status) },
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map(parseStored);
  }

  /** R15: one status's requests due before `before`, soonest first, page by page (gsi2 by key range, never a scan). */
  async *dueBefore(status: RequestStatus, before: string, pageSize = 100): AsyncGenerator<RequestRecord[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :s AND gsi2sk < :before',
          ExpressionAttributeValues: { ':s': requestKeys.byStatus(status), ':before': before },
          Limit: pageSize,
          ExclusiveStartKey: start,
        }),
      );
      if (res.Items && res.Items.length > 0) yield res.Items.map(parseLive);
      start = res.LastEvaluatedKey;
    } while (start);
  }

  /** R16: one page of the requests that closed before `before`, oldest first, after the entry `after` (a cursor). */
  async closedBefore(
    before: string,
    opts: { limit?: number; after?: string } = {},
  ): Promise<{ closedAt: string; requestId: string; sk: string }[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p AND sk < :before',
        ExpressionAttributeValues: { ':p': requestKeys.closedPartition, ':before': before },
        ConsistentRead: true,
        Limit: opts.limit ?? 100,
        ...(opts.after ? { ExclusiveStartKey: { pk: requestKeys.closedPartition, sk: opts.after } } : {}),
      }),
    );
    return (res.Items ?? []).map((i) => {
      const sk = String(i.sk);
      return { sk, closedAt: sk.slice(0, sk.lastIndexOf('#')), requestId: String(i.requestId) };
    });
  }

  /** R16: takes a request off the tombstone queue (done, or not closed after all). */
  async dropClosed(sk: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: requestKeys.closedPartition, sk } }));
  }

  /** R14 R16: queues an unmatched request to be closed at `verifyBy` (written before the match is saved; idempotent). */
  async queueUnmatched(requestId: string, verifyBy: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...requestKeys.unmatchedRequest(verifyBy, requestId), requestId },
      }),
    );
  }

  /** R14 R16: one page of unmatched requests whose verification time has passed, oldest first. */
  async unmatchedDue(now: string, limit = 100): Promise<{ requestId: string; sk: string }[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p AND sk < :now',
        ExpressionAttributeValues: { ':p': requestKeys.unmatchedPartition, ':now': now },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map((i) => ({ sk: String(i.sk), requestId: String(i.requestId) }));
  }

  async dropUnmatched(sk: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: requestKeys.unmatchedPartition, sk } }));
  }

  /**
   * R7: makes `requestId` the one open request of `slot` (a kind) for a patron, by a conditional put
   * of a marker (race-tolerant without transactions: of two at the same instant one wins). A marker
   * whose request has closed by another path (cancelled, denied, failed) is taken over; answering
   * again for the same request is success, so a retried step changes nothing.
   */
  async claimOpen(
    patronId: string,
    slot: string,
    requestId: string,
  ): Promise<{ claimed: true } | { claimed: false; openRequestId: string }> {
    const key = requestKeys.openRequest(patronId, slot);
    const fresh = { expr: 'attribute_not_exists(pk) OR requestId = :r', values: { ':r': requestId } };
    let condition: { expr: string; values: Record<string, string> } = fresh;
    for (let i = 0; i < 5; i++) {
      if (await this.putMarker({ ...key, requestId }, condition.expr, condition.values)) return { claimed: true };
      const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
      const holder = z.optional(z.object({ requestId: z.string() })).parse(res.Item)?.requestId;
      if (holder === undefined) {
        condition = fresh;
        continue;
      }
      const held = await this.findStored(holder);
      if (held && !isTerminal(held.status)) return { claimed: false, openRequestId: holder };
      condition = { expr: 'requestId = :old', values: { ':old': holder } };
    }
    throw changedConcurrently();
  }

  private async putMarker(item: Record<string, unknown>, expr: string, values: Record<string, unknown>) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: expr,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }

  /** R7: frees the patron's slot when `requestId` closes; a marker another request holds is left alone. */
  async releaseOpen(patronId: string, slot: string, requestId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: requestKeys.openRequest(patronId, slot),
          ConditionExpression: 'requestId = :r',
          ExpressionAttributeValues: { ':r': requestId },
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }

  /**
   * R7: counts `requestId` among the patron's requests of `day` unless `cap` are counted already
   * (one conditional update, so a flood at the same instant cannot pass the cap; counting the same
   * request again is success). False when the day is full.
   */
  async countForDay(
    patronId: string,
    day: string,
    requestId: string,
    cap: number,
    expiresAtEpoch: number,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: requestKeys.dailyRequests(patronId, day),
          UpdateExpression: 'ADD requestIds :id SET expiresAtEpoch = :exp',
          ConditionExpression:
            'attribute_not_exists(requestIds) OR size(requestIds) < :cap OR contains(requestIds, :r)',
          ExpressionAttributeValues: {
            ':id': new Set([requestId]),
            ':r': requestId,
            ':cap': cap,
            ':exp': expiresAtEpoch,
          },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }
}
