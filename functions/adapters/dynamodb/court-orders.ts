import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from '../../domain/zod.ts';
import { CATEGORIES } from '../../domain/categories.ts';
import {
  noticeDueInstant,
  ORDER_TYPES,
  RELEASE_ROLES,
  UNSUBMITTED_ORDER_DAYS,
  type CourtOrder,
} from '../../domain/court-order.ts';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import { LOST_RACE, putIfVersion, putNew, retryLostRaces } from './conditional-put.ts';
import { entity } from './entity.ts';
import { requestKeys, TABLE_KEYS } from './keys.ts';

/** An order waits in the lapse index while its hold may still lapse and nobody has recorded it. */
const lapsePending = (o: CourtOrder): boolean =>
  o.status === 'submitted' && !!o.lapseDueAt && !o.holdReleasedAt && !o.holdLapseRecordedAt;

/** R13a: an order waits in the notice index from submit until the notice owed after its nondisclosure period is settled. */
const noticePending = (o: CourtOrder): o is CourtOrder & { nondisclosureEndsOn: string } =>
  o.status === 'submitted' && o.nondisclosure && o.nondisclosureEndsOn !== undefined && !o.noticeSettledAt;

/**
 * R16: when an order nobody submitted goes (epoch seconds, the table's TTL): UNSUBMITTED_ORDER_DAYS
 * after its metadata. Derived on every write, never stored in the order itself, so it cannot be
 * carried over: the submit's first write (the reservation of its request and hold ids) already has
 * none, and nothing after it can bring one back. It must go there, not at the final write: from
 * then on a legal hold exists that only this order can release (R13).
 */
const unsubmittedExpiry = (o: CourtOrder): number | undefined =>
  o.status === 'awaiting-upload' && o.requestId === undefined
    ? Math.floor(Date.parse(o.createdAt) / 1000) + UNSUBMITTED_ORDER_DAYS * 86_400
    : undefined;

/** R12: an order's metadata, by order id, tagged `COURT_ORDER`; on the lapse index while its hold may lapse (R13). */
export const courtOrderEntity = entity<CourtOrder>({
  name: 'court order',
  schema: z.lazy(() =>
    z.object({
      orderId: z.string(),
      version: z.number().check(z.int()),
      status: z.enum(['awaiting-upload', 'submitted']),
      createdAt: z.string(),
      updatedAt: z.string(),
      court: z.string(),
      caseNumber: z.string(),
      orderType: z.enum(ORDER_TYPES),
      issuedOn: z.string(),
      categories: z.array(z.enum(CATEGORIES)),
      from: z.optional(z.string()),
      to: z.optional(z.string()),
      nondisclosure: z.boolean(),
      lapsesOn: z.optional(z.string()),
      nondisclosureEndsOn: z.optional(z.string()),
      returnOn: z.optional(z.string()),
      documentRetentionDays: z.optional(z.number().check(z.int())),
      patronId: z.string(),
      uploadedBy: z.string(),
      uploadedBySub: z.string(),
      documentKey: z.string(),
      file: z.optional(
        z.object({ key: z.string(), sha256: z.string(), size: z.number(), versionId: z.optional(z.string()) }),
      ),
      requestId: z.optional(z.string()),
      holdId: z.optional(z.string()),
      submittedAt: z.optional(z.string()),
      lapseDueAt: z.optional(z.string()),
      releaseSignoffs: z.optional(
        z.array(z.object({ role: z.enum(RELEASE_ROLES), by: z.string(), sub: z.string(), at: z.string() })),
      ),
      holdReleasedAt: z.optional(z.string()),
      holdReleasedBy: z.optional(z.string()),
      holdLapseRecordedAt: z.optional(z.string()),
      noticeSettledAt: z.optional(z.string()),
      documentsDeleted: z.optional(z.object({ at: z.string(), versions: z.number().check(z.int()) })),
    }),
  ),
  keys: (o) => ({
    ...requestKeys.order(o.orderId),
    kind: 'COURT_ORDER',
    ...(lapsePending(o) ? { gsi2pk: requestKeys.lapsingHolds, gsi2sk: `${o.lapseDueAt}#${o.orderId}` } : {}),
    ...(noticePending(o)
      ? { gsi1pk: requestKeys.noticesDue, gsi1sk: `${noticeDueInstant(o.nondisclosureEndsOn)}#${o.orderId}` }
      : {}),
  }),
  extraAttributes: ['kind'],
});

const toItem = (o: CourtOrder): Record<string, unknown> => {
  const expiresAt = unsubmittedExpiry(o);
  return courtOrderEntity.item(o, expiresAt !== undefined ? { [TABLE_KEYS.ttlAttribute]: expiresAt } : {});
};

/**
 * R12 court orders, one item each in the requests table (encrypted at rest). Every change is a
 * whole-item put conditioned on the version read, as for requests: single-item atomicity only.
 */
export class CourtOrders {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async create(o: CourtOrder): Promise<void> {
    if (!(await putNew(this.db, this.table, toItem(o)))) throw new ConflictError('order id already exists');
  }

  async find(orderId: string): Promise<CourtOrder | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: requestKeys.order(orderId), ConsistentRead: true }),
    );
    if (!res.Item) return undefined;
    // DynamoDB deletes an expired item within days, not at once (the local sweep, within a minute):
    // until then it is gone to every reader, so a late submit cannot revive it (R16).
    const ttl = res.Item[TABLE_KEYS.ttlAttribute];
    if (typeof ttl === 'number' && ttl < Math.floor(this.clock().getTime() / 1000)) return undefined;
    return courtOrderEntity.parse(res.Item);
  }

  async get(orderId: string): Promise<CourtOrder> {
    const o = await this.find(orderId);
    if (!o) throw new NotFoundError('no such order');
    return o;
  }

  /** Read, change, conditional write; re-read and re-apply on a lost race. `undefined` changes nothing. */
  update(orderId: string, change: (o: CourtOrder) => CourtOrder | undefined): Promise<CourtOrder> {
    return retryLostRaces(
      async () => {
        const current = await this.get(orderId);
        const next = change(current);
        if (!next) return current;
        const saved: CourtOrder = { ...next, version: current.version + 1, updatedAt: this.clock().toISOString() };
        return (await putIfVersion(this.db, this.table, toItem(saved), current.version)) ? saved : LOST_RACE;
      },
      () => new ConflictError('order changed concurrently'),
    );
  }

  /** R13: orders whose hold's lapse time has passed and is not yet recorded (gsi2, by time; never a scan). */
  async lapsedHolds(limit = 100): Promise<CourtOrder[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p AND gsi2sk < :now',
        ExpressionAttributeValues: { ':p': requestKeys.lapsingHolds, ':now': this.clock().toISOString() },
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map(courtOrderEntity.parse);
  }

  /** R13a: every order whose nondisclosure period has ended and whose notice is not yet settled (gsi1, by time; never a scan). */
  async noticesDue(): Promise<CourtOrder[]> {
    const out: CourtOrder[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p AND gsi1sk < :now',
          ExpressionAttributeValues: { ':p': requestKeys.noticesDue, ':now': this.clock().toISOString() },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      out.push(...(res.Items ?? []).map(courtOrderEntity.parse));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** R16: the order's documents are kept from now on: the retention sweep looks at it every day. Idempotent. */
  async markDocumentsKept(orderId: string): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { ...requestKeys.keptOrderDocuments(orderId), orderId } }),
    );
  }

  /** R16: the ids of every order whose documents are kept (by key, a page at a time; never a scan). */
  async ordersWithKeptDocuments(): Promise<string[]> {
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': requestKeys.keptOrderDocumentsPartition },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of res.Items ?? []) if (typeof item.sk === 'string') ids.push(item.sk);
      start = res.LastEvaluatedKey;
    } while (start);
    return ids;
  }

  /** R16: the order's documents are gone (or it has none): nothing left for the sweep. */
  async forgetKeptDocuments(orderId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: requestKeys.keptOrderDocuments(orderId) }));
  }
}
