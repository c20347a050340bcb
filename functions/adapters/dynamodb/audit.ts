import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../../domain/zod.ts';
import {
  chainMessage,
  GENESIS_HASH,
  verifyChain,
  type AuditEvent,
  type AuditEventInput,
  type AuditKey,
  type ChainCheck,
  type ChainHead,
} from '../../domain/audit.ts';
import { isConditionalCheckFailed, queryAll } from './client.ts';
import { entity } from './entity.ts';
import { requestKeys } from './keys.ts';

/** R17: one event of a request's chain, under the request's key by sequence number. */
export const auditEventEntity = entity<AuditEvent>({
  name: 'audit event',
  schema: z.lazy(() =>
    z.object({
      requestId: z.string(),
      seq: z.number().check(z.int(), z.positive()),
      at: z.string(),
      prevHash: z.string(),
      hash: z.string(),
      eventId: z.string(),
      type: z.string(),
      actor: z.object({
        kind: z.enum(['system', 'requester', 'patron', 'staff', 'counsel']),
        id: z.optional(z.string()),
        role: z.optional(z.string()),
        sub: z.optional(z.string()),
      }),
      data: z.optional(
        z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())])),
      ),
    }),
  ),
  keys: (e) => ({
    ...requestKeys.audit(e.requestId, e.seq),
    gsi1pk: requestKeys.auditDay(e.at.slice(0, 10)),
    gsi1sk: `${e.requestId}#${String(e.seq).padStart(8, '0')}`,
  }),
});

/**
 * The append-only audit trail of a request (R17), one item per event under the request's key, in
 * the audit table, which no function may update or delete in (FUNCTION_ACCESS, infra grants).
 * Append reads the head, then puts seq+1 only if that slot is free (a put that cannot overwrite);
 * a lost race re-reads. An event id already in the chain is returned as it is, so retried steps
 * never append twice. One MAC per appended event, under the audit key.
 */
export class AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly key: AuditKey,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async append(requestId: string, input: AuditEventInput): Promise<AuditEvent> {
    for (let attempt = 0; ; attempt++) {
      const events = await this.list(requestId);
      const existing = events.find((e) => e.eventId === input.eventId);
      if (existing) return existing;
      const event = await this.next(requestId, events.at(-1), input);
      try {
        await this.putAtItsPlace(event);
        return event;
      } catch (e) {
        if (!isConditionalCheckFailed(e) || attempt >= 9) throw e;
      }
    }
  }

  /**
   * A new request's first events, whose chain is known to be empty: each is put at its place, chained
   * to the one before, without reading the chain first (one conditional write per event). A place
   * already taken (a retried call, a write whose answer was lost) hands the rest to `append`, which
   * reads the chain and recognises an event already there by its id.
   */
  async startChain(requestId: string, inputs: readonly AuditEventInput[]): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    for (const [i, input] of inputs.entries()) {
      const event = await this.next(requestId, out.at(-1), input);
      try {
        await this.putAtItsPlace(event);
        out.push(event);
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
        for (const rest of inputs.slice(i)) out.push(await this.append(requestId, rest));
        return out;
      }
    }
    return out;
  }

  /** R17: an event written only where no event is yet: a place taken fails its condition. */
  private async putAtItsPlace(event: AuditEvent): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: auditEventEntity.item(event),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** The event after `head` (the first when there is none), signed under the audit key. */
  private async next(requestId: string, head: AuditEvent | undefined, input: AuditEventInput): Promise<AuditEvent> {
    const unsigned = {
      requestId,
      seq: (head?.seq ?? 0) + 1,
      at: this.clock().toISOString(),
      prevHash: head?.hash ?? GENESIS_HASH,
      eventId: input.eventId,
      type: input.type,
      actor: input.actor,
      data: input.data ?? {},
    };
    return { ...unsigned, hash: await this.key.mac(chainMessage(unsigned)) };
  }

  /** The whole chain in order; a request has dozens of events, read by key. */
  async list(requestId: string): Promise<AuditEvent[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': requestKeys.request(requestId).pk, ':prefix': requestKeys.auditPrefix },
      ConsistentRead: true,
    });
    return items.map(auditEventEntity.parse);
  }

  /** The last event of the chain (the head the daily copy keeps), read by key; undefined: no chain. */
  async head(requestId: string): Promise<ChainHead | undefined> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': requestKeys.request(requestId).pk, ':prefix': requestKeys.auditPrefix },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const [last] = (res.Items ?? []).map(auditEventEntity.parse);
    return last && { requestId, seq: last.seq, hash: last.hash };
  }

  /** The requests whose chains grew on one UTC day (`YYYY-MM-DD`), through the day index: no scan. */
  async requestsOfDay(day: string): Promise<Set<string>> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :day',
      ExpressionAttributeValues: { ':day': requestKeys.auditDay(day) },
      ProjectionExpression: 'requestId',
    });
    return new Set(items.flatMap((i) => (typeof i.requestId === 'string' ? [i.requestId] : [])));
  }

  /** R17: verifies the chain under the key, and against its copied head when there is one. */
  async check(requestId: string, head?: ChainHead): Promise<ChainCheck & { events: AuditEvent[] }> {
    const events = await this.list(requestId);
    const macValid = await Promise.all(events.map((e) => this.key.verify(chainMessage(e), e.hash)));
    return { ...verifyChain(events, macValid, head), events };
  }
}
