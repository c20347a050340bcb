import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isoDateIn } from '../../domain/age.ts';
import type { Category } from '../../domain/categories.ts';
import type { DeletionFacts, DeletionPlan } from '../../domain/deletion-plan.ts';
import {
  anonymisedFields,
  blocksProfileErasure,
  decideRecord,
  deletionFactsTally,
  erasureRulesOf,
  guaranteedChildIsMinor,
  hasCredentials,
  profileKeptBecause,
  recordFactsOf,
  unfinishedCategories,
  type ErasureRules,
  type PartitionItem,
  type RecordDecision,
} from '../../domain/erasure-decisions.ts';
import { IntegrityError, LegalHoldError, StalePlanError } from '../../domain/errors.ts';
import type { Fingerprinter } from '../../domain/erasure-memory.ts';
import type { Policy } from '../../domain/policy.ts';
import { BATCHES_IN_FLIGHT, MAX_BATCH, batchWrite, copyThenDelete } from '../../adapters/dynamodb/batch-write.ts';
import { retentionCutoffs } from '../../domain/retention.ts';
import { isConditionalCheckFailed } from '../../adapters/dynamodb/client.ts';
import { recordKeys, RECORD_KINDS, type RecordKind } from '../../adapters/dynamodb/keys.ts';
import type { LegalHolds } from '../../adapters/dynamodb/legal-holds.ts';
import { fingerprintsOf, rememberErasure } from './erasure-memory.ts';

/**
 * R8 deletion against the library-records table: gather the facts a plan is built from, carry a
 * plan out, and check the result. Reading and writing only: every decision (which record goes,
 * which stays and why, who is a minor) is made by domain/erasure-decisions.ts. Every read is paged
 * with a Limit and every write is per item or in batches of at most 100 records, so a patron with
 * 100,000 records is erased in flat memory.
 */

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

export interface RecordsDeps {
  db: DynamoDBDocumentClient;
  recordsTable: string;
}

const PAGE_SIZE = 100;
/**
 * Items per page when only the few attributes the facts need are read: ten times fewer round trips
 * than full pages, and still well under DynamoDB's 1 MB a page.
 */
const PROJECTED_PAGE_SIZE = 1000;
/** Records read per page of an erasure, by default (the benchmark's floor reads the same pages). */
export const ERASURE_PAGE_SIZE = PAGE_SIZE;
/**
 * The most records written between two legal-hold checks: as many BatchWrites as are in flight at
 * once. A check costs a round trip, so checking before every BatchWrite of 25 made the run
 * wait on one check for every two writes.
 */
const MAX_GROUP = MAX_BATCH * BATCHES_IN_FLIGHT;
export { BATCHES_IN_FLIGHT };

/** The record kind an item's sort key names, or undefined for the profile, guarantee links and anything else. */
export function kindOf(sk: unknown): RecordKind | undefined {
  if (typeof sk !== 'string') return undefined;
  const prefix = sk.slice(0, sk.indexOf('#'));
  return (RECORD_KINDS as readonly string[]).includes(prefix) ? (prefix as RecordKind) : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Pages through a partition (optionally one sort-key prefix), newest state each time (ConsistentRead). */
async function* pages(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  opts: { prefix?: string; limit?: number; projection?: string[] } = {},
): AsyncGenerator<Item[]> {
  let start: Item | undefined;
  const names = opts.projection ? Object.fromEntries(opts.projection.map((a, i) => [`#p${i}`, a])) : undefined;
  do {
    const res = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: opts.prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk', ...(opts.prefix ? { '#sk': 'sk' } : {}), ...names },
        ExpressionAttributeValues: { ':pk': pk, ...(opts.prefix ? { ':prefix': opts.prefix } : {}) },
        ...(names ? { ProjectionExpression: Object.keys(names).join(', ') } : {}),
        ConsistentRead: true,
        Limit: opts.limit ?? PAGE_SIZE,
        ExclusiveStartKey: start,
      }),
    );
    if (res.Items && res.Items.length > 0) yield res.Items;
    start = res.LastEvaluatedKey;
  } while (start);
}

async function getProfile(deps: RecordsDeps, patronId: string): Promise<Item | undefined> {
  const res = await deps.db.send(
    new GetCommand({ TableName: deps.recordsTable, Key: recordKeys.patron(patronId), ConsistentRead: true }),
  );
  return res.Item;
}

/** Whether a linked child is a minor on the library day `day` (R11: the threshold is the policy's). */
export async function childIsMinor(deps: RecordsDeps, childId: string, day: string, policy: Policy): Promise<boolean> {
  const res = await deps.db.send(
    new GetCommand({
      TableName: deps.recordsTable,
      Key: recordKeys.patron(childId),
      ProjectionExpression: 'dateOfBirth',
      ConsistentRead: true,
    }),
  );
  return guaranteedChildIsMinor(res.Item, day, policy);
}

export const childIdOf = (link: Item): string =>
  str(link.childId) ?? String(link.sk).slice(recordKeys.guaranteesPrefix.length);

const FACT_ATTRIBUTES = ['sk', 'returnedAt', 'outstanding', 'createdAt', 'date', 'childId'];

/**
 * The facts a deletion plan is built from, as counts (R8). Reads the patron's partition page by
 * page, the guarantee links and each linked child's date of birth (R11: age on the library's day,
 * against the policy's adult age), and the legal holds (R13).
 */
export async function collectDeletionFacts(
  deps: RecordsDeps,
  holds: LegalHolds,
  patronId: string,
  now: Date,
  timezone: string,
  policy: Policy,
): Promise<DeletionFacts> {
  const today = isoDateIn(now, timezone);
  const tally = deletionFactsTally(retentionCutoffs(today, policy));
  const profile = await getProfile(deps, patronId);

  for await (const page of pages(deps.db, deps.recordsTable, recordKeys.patronPartition(patronId), {
    projection: FACT_ATTRIBUTES,
    limit: PROJECTED_PAGE_SIZE,
  })) {
    for (const item of page) {
      const sk = String(item.sk);
      if (sk.startsWith(recordKeys.guaranteesPrefix)) {
        // One minor is enough: the other children need not be read.
        if (!tally.guaranteesMinor) tally.addGuaranteedChild(await childIsMinor(deps, childIdOf(item), today, policy));
        continue;
      }
      const kind = kindOf(sk);
      // The profile, or an item this code does not know: never counted, never touched.
      if (kind) tally.addRecord(recordFactsOf(kind, item, timezone));
    }
  }

  const active = await holds.active(patronId);
  return tally.result({
    hasCredentials: profile ? hasCredentials(profile) : false,
    legalHold: { active: active.length > 0, nondisclosure: active.some((h) => h.nondisclosure) },
  });
}

// ---------------------------------------------------------------------------------------------
// Anonymisation

/**
 * The key of an anonymised record: 128 bits of HMAC-SHA-256 under the deletion's random secret,
 * of the original's key. A re-run with the same secret writes the same key (no duplicate); once the
 * secret is deleted, nothing can compute the link from a record to its copy.
 */
export const anonKeyFor = (secret: Buffer, original: Key): string =>
  createHmac('sha256', hmacKeyOf(secret)).update(`${original.pk}\n${original.sk}`).digest('hex').slice(0, 32);

/**
 * The secret as a KeyObject, made once per secret: given raw bytes, `createHmac` imports the key
 * again for every record, which was most of an HMAC's cost (about 19 µs against 4).
 */
const hmacKeys = new WeakMap<Buffer, KeyObject>();
function hmacKeyOf(secret: Buffer): KeyObject {
  let key = hmacKeys.get(secret);
  if (!key) hmacKeys.set(secret, (key = createSecretKey(secret)));
  return key;
}

/**
 * R8: the anonymised copy of a record: the fields `anonymisedFields` allows, at a key nothing else
 * holds. Nothing ties copies of one patron together (no request id, no date of anonymisation, a
 * key derived under a secret that is deleted), so they cannot be regrouped into one person's history.
 */
export function anonymisedCopy(kind: RecordKind, anonKey: string, item: Item, timezone: string): Item {
  return {
    ...recordKeys.anonymised(kind, anonKey),
    kind: 'ANON',
    recordKind: kind,
    ...anonymisedFields(kind, item, timezone),
  };
}

// ---------------------------------------------------------------------------------------------
// Executing a plan

type Removal = { item: Item; decision: Extract<RecordDecision, { action: 'anonymise' | 'delete' }> };

/** The domain's decision for a record of the patron's partition, or undefined for the profile, links and the rest. */
function decisionFor(item: Item, rules: ErasureRules): RecordDecision | undefined {
  const kind = kindOf(item.sk);
  return kind ? decideRecord(recordFactsOf(kind, item, rules.timezone), rules) : undefined;
}

const keyOf = (item: Item): Key => ({ pk: String(item.pk), sk: String(item.sk) });

export interface ExecuteDeletionInput extends RecordsDeps {
  patronId: string;
  plan: DeletionPlan;
  holds: LegalHolds;
  /** R11: the adult age that decides whether a guaranteed card is still a minor's when the profile is erased. */
  policy: Policy;
  /**
   * Records per batch (1 to 100, by default 100); the legal hold is re-checked before each. A
   * batch is written as BatchWrites of 25, in parallel: its copies, then its deletes.
   */
  batchSize?: number;
  /** Records read per page (memory stays at about this many items). */
  pageSize?: number;
  /**
   * R8: keys the fingerprints that remember an erased person, so that loading the dataset again
   * never brings them back. The handler always passes one; without it nothing is remembered.
   */
  fingerprinter?: Fingerprinter;
}

export interface ExecuteDeletionResult {
  /** Profile items and credential sets erased by this run (the profile, its guarantee links, the login). */
  erased: number;
  /** Records unlinked from the patron by this run. */
  anonymised: number;
  /** Records deleted by this run (shared content). */
  deleted: number;
  /** Records this run found and left in place (retained categories, items on loan, money owed, the kept profile). */
  retained: number;
}

/**
 * R8: carries out a deletion plan. Idempotent and resumable: every step is safe to repeat, so a
 * retry after a crash finishes the work without erasing twice or leaving half a record:
 *
 * - anonymise: (a) the deletion's random secret is stored under the patron once (`ERASURE#KEY`;
 *   a re-run reads it back), (b) each copy is written at `ANON#<kind>/<HMAC(secret, original key)>`
 *   (a re-run computes the same key and overwrites, no duplicate), (c) the original is deleted,
 *   (d) when every record is done the secret is deleted: from then on nothing links a copy to the
 *   person. Until (c) the original is whole. Per batch of up to 100 records this costs BatchWrites of
 *   copies, then BatchWrites of deletes, four in flight at once: the writes any anonymisation
 *   must do, where a key stored on each original would cost one more write per record.
 * - shared content is deleted; credentials are removed from the profile.
 * - personal data goes last: the guarantee links, then the profile (and with it the card number
 *   index entry), so a crash leaves the profile for the next run to find.
 *
 * R13: before each batch the legal hold is re-checked; a hold stops the run with `LegalHoldError`
 * before anything more is touched. (Without transactions, one batch already in flight when the hold
 * is placed completes: at most `batchSize` records.)
 *
 * A plan can be days old. Items on loan and money owed are re-checked on every record; if any are
 * found while the plan erases the profile, or the patron now guarantees a minor's card, the
 * profile is kept and `StalePlanError` is thrown after the rest is done: rebuild the plan and run it.
 */
export async function executeDeletionPlan(input: ExecuteDeletionInput): Promise<ExecuteDeletionResult> {
  const { db, recordsTable: table, patronId, plan, holds } = input;
  const batchSize = Math.max(1, Math.min(MAX_GROUP, Math.floor(input.batchSize ?? MAX_GROUP)));
  const pageSize = Math.max(batchSize, Math.floor(input.pageSize ?? PAGE_SIZE));
  const rules = erasureRulesOf(plan);
  const result: ExecuteDeletionResult = { erased: 0, anonymised: 0, deleted: 0, retained: 0 };

  const assertNotHeld = async () => {
    if (await holds.isHeld(patronId)) throw new LegalHoldError('the patron is under legal hold: deletion stopped');
  };

  await assertNotHeld();
  if (rules.blocked)
    throw new StalePlanError('the plan was made under a legal hold that is no longer active: rebuild it');

  // Credentials first: one conditional update, repeated safely (nothing to remove: nothing written).
  if (rules.eraseCredentials) {
    try {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: recordKeys.patron(patronId),
          // An empty list, not a missing attribute: readers expect the field (dataset default []).
          UpdateExpression: 'REMOVE username, passwordHash SET securityQuestions = :none',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_exists(username) OR attribute_exists(passwordHash) OR size(securityQuestions) > :zero)',
          ExpressionAttributeValues: { ':none': [], ':zero': 0 },
        }),
      );
      result.erased++;
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }

  let foundBlocker = false;
  const keyItem = recordKeys.erasureKey(patronId);
  let secret: Buffer | undefined;
  let keyStored = false;
  /** (a) The secret of this deletion: written once, read back by every later run until the deletion completes. */
  const erasureSecret = async (): Promise<Buffer> => {
    if (secret) return secret;
    const fresh = randomBytes(32).toString('base64');
    try {
      await db.send(
        new PutCommand({
          TableName: table,
          Item: { ...keyItem, kind: 'ERASURE_KEY', secret: fresh },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      secret = Buffer.from(fresh, 'base64');
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      const res = await db.send(new GetCommand({ TableName: table, Key: keyItem, ConsistentRead: true }));
      if (typeof res.Item?.secret !== 'string') throw new IntegrityError('erasure key unreadable');
      secret = Buffer.from(res.Item.secret, 'base64');
    }
    keyStored = true;
    return secret;
  };

  /** Whether the hold was checked since the last batch's writes. */
  let holdChecked = false;
  const processBatch = async (batch: Removal[]) => {
    if (!holdChecked) await assertNotHeld();
    holdChecked = false;
    const anonymise = batch.filter((b) => b.decision.action === 'anonymise');
    const key = anonymise.length > 0 ? await erasureSecret() : undefined;
    const copies = key
      ? anonymise.map(({ item, decision }) =>
          anonymisedCopy(decision.kind, anonKeyFor(key, keyOf(item)), item, rules.timezone),
        )
      : [];
    // (b) the anonymised copies, at keys a re-run writes again rather than adds to; then (c) the
    // originals, and the shared content to delete.
    const deletes = batch.filter((b) => b.decision.action === 'delete').map((b) => keyOf(b.item));
    await copyThenDelete(db, table, { copies, deletes: [...anonymise.map((b) => keyOf(b.item)), ...deletes] });
    result.anonymised += anonymise.length;
    result.deleted += deletes.length;
  };

  const reader = pages(db, table, recordKeys.patronPartition(patronId), { limit: pageSize });
  for (;;) {
    // The check before a page's first batch runs while the page is read: both come after the last
    // batch's writes and before the next batch's, so a hold stops the run just as surely, without
    // a round trip of its own on the way.
    const [next] = await Promise.all([reader.next(), assertNotHeld()]);
    if (next.done) break;
    holdChecked = true;
    let batch: Removal[] = [];
    for (const item of next.value) {
      if (item.sk === keyItem.sk) keyStored = true; // left by an earlier run: deleted once this one is done
      const decision = decisionFor(item, rules);
      if (!decision) continue;
      if (decision.action === 'retain') {
        result.retained++;
        if (blocksProfileErasure(decision)) foundBlocker = true;
        continue;
      }
      batch.push({ item, decision });
      if (batch.length >= batchSize) {
        await processBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await processBatch(batch);
  }

  // (d) Every record is done: drop the secret, and with it any way back from a copy to the person.
  if (keyStored) await db.send(new DeleteCommand({ TableName: table, Key: keyItem }));

  if (!rules.erasePersonal) {
    if (await getProfile(input, patronId)) result.retained++;
    return result;
  }

  // Personal data, last.
  await assertNotHeld();
  const profile = await getProfile(input, patronId);
  if (!profile) return result; // an earlier run finished
  const links: Key[] = [];
  let guaranteesMinor = false;
  for await (const page of pages(db, table, recordKeys.patronPartition(patronId), {
    prefix: recordKeys.guaranteesPrefix,
    projection: ['pk', 'sk', 'childId'],
  })) {
    for (const link of page) {
      links.push(keyOf(link));
      // R11 on the plan's day, as the plan judged it.
      if (!guaranteesMinor && (await childIsMinor(input, childIdOf(link), plan.asOf, input.policy))) {
        guaranteesMinor = true;
      }
    }
  }
  if (profileKeptBecause({ blockerOnRecords: foundBlocker, guaranteesMinor }).length > 0) {
    result.retained++;
    throw new StalePlanError(
      'records changed since the plan was made (items on loan, money owed or a minor guaranteed): the profile was kept; rebuild the plan',
    );
  }
  // The links that make this patron someone's child live under each guarantor.
  const guarantorIds = Array.isArray(profile.guarantorIds)
    ? profile.guarantorIds.filter((g): g is string => typeof g === 'string')
    : [];
  for (const g of guarantorIds) links.push(recordKeys.guarantees(g, patronId));
  // R8: remembered before anything personal goes, so a crash from here on still leaves the memory;
  // a re-run writes the same items. Only now is it certain the profile is erased, not kept.
  if (input.fingerprinter) {
    const prints = await fingerprintsOf(input.fingerprinter, { patronId, cardNumber: str(profile.cardNumber) });
    await rememberErasure(db, table, prints);
  }
  await batchWrite(
    db,
    table,
    links.map((Key) => ({ DeleteRequest: { Key } })),
  );
  const own = links.length - guarantorIds.length;
  const res = await db.send(
    new DeleteCommand({ TableName: table, Key: recordKeys.patron(patronId), ReturnValues: 'ALL_OLD' }),
  );
  result.erased += own + (res.Attributes ? 1 : 0);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Verification

/** What an item of the patron's partition is, for verification. */
function partitionItem(item: Item, patronId: string, rules: ErasureRules): PartitionItem {
  const sk = String(item.sk);
  if (sk === recordKeys.erasureKey(patronId).sk) return { type: 'erasure-secret' };
  if (sk === recordKeys.patron(patronId).sk) return { type: 'profile', hasCredentials: hasCredentials(item) };
  if (sk.startsWith(recordKeys.guaranteesPrefix)) return { type: 'guarantee-link' };
  const kind = kindOf(sk);
  return kind ? { type: 'record', record: recordFactsOf(kind, item, rules.timezone) } : { type: 'other' };
}

export interface VerifyResult {
  ok: boolean;
  /** Per category, what the plan removes but is still there (0 when nothing remains: not listed). */
  remaining: { category: Category; count: number }[];
}

/**
 * R8: re-reads the patron's partition and confirms that nothing the plan erased, anonymised or
 * deleted is still there: no profile or guarantee link if personal data was erased, no login if
 * credentials were, and no record the executor would still act on. The anonymised copies hold no
 * patron id by construction (`anonymisedCopy`, tested on its own); they are not scanned for.
 */
export async function verifyErasure(
  input: RecordsDeps & { patronId: string; plan: DeletionPlan },
): Promise<VerifyResult> {
  const rules = erasureRulesOf(input.plan);
  const counts = new Map<Category, number>();
  for await (const page of pages(input.db, input.recordsTable, recordKeys.patronPartition(input.patronId))) {
    for (const item of page) {
      for (const category of unfinishedCategories(partitionItem(item, input.patronId, rules), rules))
        counts.set(category, (counts.get(category) ?? 0) + 1);
    }
  }
  const remaining = [...counts].map(([category, count]) => ({ category, count }));
  return { ok: remaining.length === 0, remaining };
}
