import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IntegrityError, TransientError } from '../../domain/errors.ts';
import { recordKeys, type RecordKind } from '../../adapters/dynamodb/keys.ts';
import { parseFile, parseJsonFile } from '../../domain/file-issues.ts';
import { datasetSchema, STAFF_ROLES, type Dataset, type StaffRole } from '../../domain/dataset.ts';
import {
  NO_ERASURES,
  withoutErased,
  type ErasureMemory,
  type Fingerprinter,
  type FingerprintKind,
  type SkippedCounts,
} from '../../domain/erasure-memory.ts';
import { rememberedFingerprints } from './erasure-memory.ts';
import { CORRECTED_FIELDS } from './library-records.ts';

type Item = Record<string, unknown>;

/**
 * Validates a whole dataset before anything is loaded (CONTRACT: a bad file loads nothing).
 * The error names the first bad field's path; `issues` list all of them; no value is echoed (R5).
 */
export function parseDataset(raw: unknown): Dataset {
  return parseFile(datasetSchema, raw, 'dataset');
}

export async function readDatasetFile(path: string): Promise<Dataset> {
  return parseJsonFile(datasetSchema, await readFile(path, 'utf8'), 'dataset');
}

/** DynamoDB's marshaller refuses `undefined`; absent optional fields simply have no attribute. */
function defined(fields: Record<string, unknown>): Item {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function recordItem(kind: RecordKind, r: { id: string; patronId: string } & Record<string, unknown>): Item {
  return { ...defined(r), ...recordKeys.record(r.patronId, kind, r.id), kind };
}

/**
 * The dataset as library-records table items (adapters/dynamodb/keys.ts). Pure, so tests can count what a
 * load writes. The LIBRARY meta item comes last: its presence means a load ran to the end.
 * R8: people an erasure remembered, and their records, are left out (domain/erasure-memory.ts).
 */
export function datasetToItems(all: Dataset, memory: ErasureMemory = NO_ERASURES): Item[] {
  const d = withoutErased(all, memory).dataset;
  const items: Item[] = [];

  for (const s of d.staff) {
    // A repeated role would produce two puts of one key, which BatchWrite rejects outright.
    for (const role of new Set(s.roles)) {
      items.push({ ...recordKeys.staff(role, s.email), kind: 'STAFF', email: s.email, name: s.name, roles: s.roles });
    }
  }

  for (const p of d.patrons) {
    items.push({
      ...defined(p),
      ...recordKeys.patron(p.id),
      gsi1pk: recordKeys.byCard(p.cardNumber),
      gsi1sk: 'PROFILE',
      kind: 'PATRON',
    });
    // Keyed under the guarantor, so "is this patron a guarantor of a card" (R8 blocker) is one query.
    for (const guarantorId of new Set(p.guarantorIds)) {
      items.push({
        pk: recordKeys.patronPartition(guarantorId),
        sk: `GUARANTEES#${p.id}`,
        kind: 'GUARANTEE',
        childId: p.id,
        guarantorId,
      });
    }
  }

  for (const r of d.loans) items.push(recordItem('LOAN', r));
  for (const r of d.holds) items.push(recordItem('HOLD', r));
  for (const r of d.fines) items.push(recordItem('FINE', r));
  for (const r of d.programs) items.push(recordItem('PROGRAM', r));
  for (const r of d.donations) items.push(recordItem('DONATION', r));
  // Shared content has its own `kind` (review, list, recommendation); the item's `kind` is the
  // record kind like every other record, so the content's kind is kept as `contentKind`.
  for (const { kind: contentKind, ...r } of d.sharedContent) items.push({ ...recordItem('SHARED', r), contentKind });

  // R20: a donor without a card, found by the email their donation record holds (a key, never a scan).
  for (const donor of d.donors) {
    items.push({
      ...defined(donor),
      ...recordKeys.donor(donor.id),
      gsi1pk: recordKeys.donorByEmail(donor.email),
      gsi1sk: 'DONOR',
      kind: 'DONOR',
    });
  }

  items.push({ ...recordKeys.library, kind: 'LIBRARY', name: d.library.name, timezone: d.library.timezone });
  return items;
}

const BATCH_SIZE = 25; // DynamoDB's BatchWriteItem limit
const MAX_ATTEMPTS = 8;

type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };
const put = (Item: Item): WriteRequest => ({ PutRequest: { Item } });
const remove = (Key: Item): WriteRequest => ({ DeleteRequest: { Key } });

async function writeBatch(client: DynamoDBDocumentClient, tableName: string, batch: WriteRequest[]): Promise<void> {
  let pending = batch;
  for (let attempt = 0; ; attempt++) {
    const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
    const left = out.UnprocessedItems?.[tableName] ?? [];
    if (left.length === 0) return;
    if (attempt + 1 >= MAX_ATTEMPTS) {
      throw new TransientError(
        `dataset load incomplete: ${left.length} items unprocessed after ${MAX_ATTEMPTS} attempts`,
      );
    }
    // Unprocessed items mean throttling; back off with jitter as the SDK documentation advises.
    await sleep(Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
    pending = left.flatMap((w): WriteRequest[] =>
      w.PutRequest?.Item ? [put(w.PutRequest.Item)] : w.DeleteRequest?.Key ? [remove(w.DeleteRequest.Key)] : [],
    );
  }
}

const GET_BATCH_SIZE = 100; // DynamoDB's BatchGetItem limit

/**
 * What the table decided since an earlier load and a reload must keep (issue #11: a correction was
 * overwritten by the next import). The rule, simply: a field corrected through Privacy Desk (R6)
 * keeps its corrected value, and an outreach opt-out (R20) stays, whatever a later dataset says;
 * the library fixes its export (or its ILS, through the connector) to agree. Read by key, in
 * batches, for the profiles the dataset is about to overwrite: never a scan.
 */
async function keptOnReload(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: Item[],
): Promise<Map<string, Item>> {
  const kept = new Map<string, Item>();
  const profiles = items.filter((i) => i.kind === 'PATRON' || i.kind === 'DONOR');
  for (let i = 0; i < profiles.length; i += GET_BATCH_SIZE) {
    let keys: Item[] = profiles.slice(i, i + GET_BATCH_SIZE).map((p) => ({ pk: p.pk, sk: p.sk }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      const out = await client.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: { Keys: keys, ConsistentRead: true },
          },
        }),
      );
      for (const stored of out.Responses?.[tableName] ?? []) {
        if (stored.outreachOptOut === true || stored[CORRECTED_FIELDS] instanceof Set)
          kept.set(`${String(stored.pk)}\n${String(stored.sk)}`, stored);
      }
      keys = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
      if (keys.length > 0 && attempt + 1 >= MAX_ATTEMPTS)
        throw new TransientError(`dataset load: ${keys.length} profiles unread after ${MAX_ATTEMPTS} attempts`);
      if (keys.length > 0) await sleep(Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }
  return kept;
}

/** A dataset profile item with what the table kept (R6, R20) laid over it. */
function withKept(item: Item, stored: Item | undefined): Item {
  if (!stored) return item;
  const out: Item = { ...item };
  if (stored.outreachOptOut === true) out.outreachOptOut = true;
  const corrected = stored[CORRECTED_FIELDS];
  if (corrected instanceof Set) {
    out[CORRECTED_FIELDS] = corrected;
    for (const field of corrected)
      if (typeof field === 'string' && stored[field] !== undefined) out[field] = stored[field];
  }
  return out;
}

/** A staff member's place in a role, as the staff list held it. */
export interface StaffPlace {
  email: string;
  role: StaffRole;
}

/**
 * R12: who the table lists in a role and the new dataset does not (they left the role, or the
 * library). One query per role partition, never a scan; a handful of items each.
 */
async function departedStaff(client: DynamoDBDocumentClient, tableName: string, items: Item[]): Promise<StaffPlace[]> {
  const listed = new Set(items.filter((i) => i.kind === 'STAFF').map((i) => `${String(i.pk)}\n${String(i.sk)}`));
  const departed: StaffPlace[] = [];
  for (const role of STAFF_ROLES) {
    let start: Item | undefined;
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :r',
          ExpressionAttributeValues: { ':r': recordKeys.rolePartition(role) },
          ExclusiveStartKey: start,
        }),
      );
      for (const i of out.Items ?? [])
        if (!listed.has(`${String(i.pk)}\n${String(i.sk)}`)) departed.push({ email: String(i.sk), role });
      start = out.LastEvaluatedKey;
    } while (start);
  }
  return departed;
}

const FINGERPRINT_CONCURRENCY = 16;

/**
 * What the table remembers of past erasures, with every patron of the dataset fingerprinted ahead
 * (the port may be KMS, asynchronous; the domain's filter is pure and synchronous). Nothing is
 * fingerprinted when nothing was ever erased.
 */
async function erasureMemoryFor(
  d: Dataset,
  opts: { client: DynamoDBDocumentClient; tableName: string; fingerprinter?: Fingerprinter | undefined },
): Promise<ErasureMemory> {
  const remembered = await rememberedFingerprints(opts.client, opts.tableName);
  if (remembered.size === 0) return NO_ERASURES;
  const { fingerprinter } = opts;
  if (!fingerprinter) {
    // R8: without the key, a load cannot tell who was erased, and would bring them back.
    throw new IntegrityError('this table remembers erased patrons: load with the fingerprint key');
  }
  const wanted: [FingerprintKind, string][] = d.patrons.flatMap((p): [FingerprintKind, string][] => [
    ['patron-id', p.id],
    ['card', p.cardNumber],
  ]);
  const known = new Map<string, string>();
  const at = (kind: FingerprintKind, value: string) => `${kind}\n${value}`;
  let next = 0;
  const worker = async () => {
    while (next < wanted.length) {
      const [kind, value] = wanted[next++] as [FingerprintKind, string];
      known.set(at(kind, value), await fingerprinter.fingerprint(kind, value));
    }
  };
  await Promise.all(Array.from({ length: FINGERPRINT_CONCURRENCY }, worker));
  return {
    remembered,
    fingerprint: (kind, value) => {
      const print = known.get(at(kind, value));
      if (print === undefined) throw new IntegrityError('a patron was not fingerprinted before the load');
      return print;
    },
  };
}

/**
 * Writes a validated dataset (parse it first: a bad file loads nothing). Puts overwrite, so
 * loading twice leaves the same items; it does not remove records absent from the dataset, but the
 * staff list is the dataset's alone: R12, a person it no longer lists in a role is removed from it,
 * and answered in `departed` (their open approval links are then revoked, app/staff-departures.ts).
 * R6, R20: corrected fields and outreach opt-outs already in the table are kept (`keptOnReload`).
 * R8: a patron whose id or card an erasure remembered is skipped with all their records; the
 * result counts them, and says nothing else about them (R5). A table that remembers erasures is
 * refused a load without the `fingerprinter` that wrote them.
 */
export async function loadDataset(
  d: Dataset,
  opts: { client: DynamoDBDocumentClient; tableName: string; fingerprinter?: Fingerprinter | undefined },
): Promise<{ items: number; skipped: SkippedCounts; departed: StaffPlace[] }> {
  const memory = await erasureMemoryFor(d, opts);
  const { skipped } = withoutErased(d, memory);
  const fresh = datasetToItems(d, memory);
  const kept = await keptOnReload(opts.client, opts.tableName, fresh);
  const items = kept.size === 0 ? fresh : fresh.map((i) => withKept(i, kept.get(`${String(i.pk)}\n${String(i.sk)}`)));
  // The LIBRARY meta item goes alone, after every other batch succeeded: a reader that finds it
  // knows the load completed (a restart can use it to decide whether to load again).
  const departed = await departedStaff(opts.client, opts.tableName, items);
  const marker = items.slice(-1);
  const body = [...departed.map((d) => remove(recordKeys.staff(d.role, d.email))), ...items.slice(0, -1).map(put)];
  for (let i = 0; i < body.length; i += BATCH_SIZE) {
    await writeBatch(opts.client, opts.tableName, body.slice(i, i + BATCH_SIZE));
  }
  await writeBatch(opts.client, opts.tableName, marker.map(put));
  return { items: items.length, skipped, departed };
}
