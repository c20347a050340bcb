import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../adapters/dynamodb/client.ts';
import type { StaffRole } from '../../domain/dataset.ts';
import * as z from '../../domain/zod.ts';
import { malformed } from '../../adapters/dynamodb/entity.ts';
import {
  donationSchema,
  donorSchema,
  fineSchema,
  holdSchema,
  loanSchema,
  patronSchema,
  programSchema,
  sharedContentSchema,
  type Donor,
  type Patron,
  type RecordTypes,
  type StaffMember,
} from '../../domain/dataset.ts';
import { recordKeys, type RecordKind } from '../../adapters/dynamodb/keys.ts';

const KEY_FIELDS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'kind', 'contentKind'];

/**
 * Each record kind's entity: the dataset's own schema, so a stored item reads back exactly as a
 * valid dataset row or not at all. Attributes the schema does not name (bookkeeping a connector
 * adds, such as the outreach opt-out flag) are dropped on read rather than refused. Built on first
 * read, not at import (cold start).
 */
const PATRON_ENTITY = z.lazy(() => z.object(patronSchema().shape));
const RECORD_ENTITIES: { [K in RecordKind]: z.core.$ZodType<RecordTypes[K]> } = {
  LOAN: z.lazy(() => z.object(loanSchema().shape)),
  HOLD: z.lazy(() => z.object(holdSchema().shape)),
  FINE: z.lazy(() => z.object(fineSchema().shape)),
  PROGRAM: z.lazy(() => z.object(programSchema().shape)),
  DONATION: z.lazy(() => z.object(donationSchema().shape)),
  SHARED: z.lazy(() => z.object(sharedContentSchema().shape)),
};

/**
 * Drops the key attributes and parses the rest; shared content's own `kind` is stored as
 * `contentKind` (the item's `kind` is its record type). A corrupt item names its fields, never a value (R5).
 */
function parseItem<T>(schema: z.core.$ZodType<T>, name: string, item: Record<string, unknown>): T {
  const out = Object.fromEntries(Object.entries(item).filter(([k]) => !KEY_FIELDS.includes(k)));
  if (item.contentKind !== undefined) out.kind = item.contentKind;
  const parsed = z.safeParse(schema, out);
  if (!parsed.success) throw malformed(name, parsed.error.issues);
  return parsed.data;
}

const DONOR_ENTITY = z.lazy(() => z.object(donorSchema().shape));

/** R6: the profile attribute naming the fields corrected through Privacy Desk (a string set). */
export const CORRECTED_FIELDS = 'correctedFields';

const parsePatron = (item: Record<string, unknown>): Patron => parseItem(PATRON_ENTITY, 'patron', item);

/**
 * The built-in records source: the library-records table loaded from the dataset file.
 * Every read is by key or index; per-patron history is paged so that memory stays flat.
 */
export class LibraryRecords {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async library(): Promise<{ name: string; timezone: string }> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: recordKeys.library }));
    return {
      name: typeof res.Item?.name === 'string' ? res.Item.name : 'The Library',
      timezone: typeof res.Item?.timezone === 'string' ? res.Item.timezone : 'America/New_York',
    };
  }

  async findPatronByCard(cardNumber: string): Promise<Patron | undefined> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :c AND gsi1sk = :p',
        ExpressionAttributeValues: { ':c': recordKeys.byCard(cardNumber), ':p': 'PROFILE' },
        Limit: 2,
      }),
    );
    const item = res.Items?.[0];
    return item ? parsePatron(item) : undefined;
  }

  /** R20: a donor without a card, by the email a donation record holds: a query by index, never a scan. */
  async findDonorByEmail(email: string): Promise<Donor | undefined> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :e AND gsi1sk = :d',
        ExpressionAttributeValues: { ':e': recordKeys.donorByEmail(email), ':d': 'DONOR' },
        Limit: 2,
      }),
    );
    const item = res.Items?.[0];
    return item ? parseItem(DONOR_ENTITY, 'donor', item) : undefined;
  }

  async getDonor(donorId: string): Promise<Donor | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: recordKeys.donor(donorId), ConsistentRead: true }),
    );
    return res.Item ? parseItem(DONOR_ENTITY, 'donor', res.Item) : undefined;
  }

  /**
   * R20: the donor's outreach opt-out, one idempotent update; a reload of the dataset keeps it
   * (load-dataset.ts). False when the table has no such donor.
   */
  async optOutDonor(donorId: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: recordKeys.donor(donorId),
          UpdateExpression: 'SET outreachOptOut = :yes',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':yes': true },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }

  async getPatron(patronId: string): Promise<Patron | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: recordKeys.patron(patronId), ConsistentRead: true }),
    );
    return res.Item ? parsePatron(res.Item) : undefined;
  }

  /** Pages through one kind of record for a patron. */
  async *records<K extends RecordKind>(patronId: string, kind: K, pageSize = 500): AsyncGenerator<RecordTypes[K][]> {
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :kind)',
          ExpressionAttributeValues: { ':pk': recordKeys.patronPartition(patronId), ':kind': `${kind}#` },
          ExclusiveStartKey: start,
          Limit: pageSize,
        }),
      );
      const page = (res.Items ?? []).map((i) => parseItem(RECORD_ENTITIES[kind], kind.toLowerCase(), i));
      if (page.length > 0) yield page;
      start = res.LastEvaluatedKey;
    } while (start);
  }

  async allRecords<K extends RecordKind>(patronId: string, kind: K): Promise<RecordTypes[K][]> {
    const out: RecordTypes[K][] = [];
    for await (const page of this.records(patronId, kind)) out.push(...page);
    return out;
  }

  /**
   * Applies corrected profile fields (R6) in one conditional write: the profile must still exist.
   * The card-number index key is not a correctable field, so lookups keep working.
   */
  async updateProfile(
    patronId: string,
    fields: Partial<
      Pick<Patron, 'firstName' | 'lastName' | 'email' | 'phone' | 'address' | 'dateOfBirth' | 'username'>
    >,
  ): Promise<void> {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: recordKeys.patron(patronId),
        // R6: the corrected fields are remembered by name, so a reload of the dataset keeps them (load-dataset.ts).
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')} ADD ${CORRECTED_FIELDS} :fields`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
          ':fields': new Set(entries.map(([k]) => k)),
        },
      }),
    );
  }

  /**
   * R11: records `guarantorId` as a guardian on the child's card (after desk staff saw a document
   * they did not keep, R4): on the child's profile, which guardian requests read, and under the
   * guarantor, which the deletion blocker reads (R8). Idempotent: a retry adds nothing twice.
   */
  async addGuarantor(childId: string, guarantorId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: recordKeys.patron(childId),
          UpdateExpression: 'SET guarantorIds = list_append(if_not_exists(guarantorIds, :none), :g)',
          ConditionExpression: 'attribute_exists(pk) AND NOT contains(guarantorIds, :id)',
          ExpressionAttributeValues: { ':none': [], ':g': [guarantorId], ':id': guarantorId },
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      // Already linked (a retry), or the child's profile is gone: only the second is an error.
      if (!(await this.getPatron(childId))?.guarantorIds.includes(guarantorId))
        throw new Error('the child’s profile is gone', { cause: e });
    }
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...recordKeys.guarantees(guarantorId, childId), kind: 'GUARANTEE', childId, guarantorId },
      }),
    );
  }

  async staffWithRole(role: StaffRole): Promise<StaffMember[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :r',
        ExpressionAttributeValues: { ':r': recordKeys.rolePartition(role) },
      }),
    );
    return (res.Items ?? []).map((i) => ({
      email: String(i.email),
      name: String(i.name),
      roles: (i.roles as StaffMember['roles']) ?? [role],
    }));
  }

  async staffMember(role: StaffRole, email: string): Promise<StaffMember | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: recordKeys.staff(role, email) }));
    return res.Item
      ? { email: String(res.Item.email), name: String(res.Item.name), roles: res.Item.roles as StaffMember['roles'] }
      : undefined;
  }
}
