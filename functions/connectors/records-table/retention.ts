import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, DeleteCommand, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { IntegrityError, TransientError } from '../../domain/errors.ts';
import {
  dateBeforeBound,
  loanRetentionAction,
  pastRetention,
  RETENTION_DATE_FIELD,
  RETENTION_KINDS,
  retentionFactsOf,
  type LoanRetentionAction,
  type RetentionCutoffs,
  type RetentionKind,
} from '../../domain/retention.ts';
import { isConditionalCheckFailed } from '../../adapters/dynamodb/client.ts';
import { anonKeyFor, anonymisedCopy, type RecordsDeps } from './erasure.ts';
import { copyThenDelete } from '../../adapters/dynamodb/batch-write.ts';
import { recordKeys } from '../../adapters/dynamodb/keys.ts';
import type { LegalHolds } from '../../adapters/dynamodb/legal-holds.ts';

/**
 * R16 retention against the library-records table: every record past its kind's period (returned
 * loans, closed holds, program sign-ups, paid fines, donations: domain/retention.ts decides, from the
 * policy) is anonymised exactly as a deletion anonymises them (erasure.ts:
 * `anonymisedCopy` at an HMAC-derived key, copy first, then the original deleted), skipping every
 * patron under legal hold (R13) and every patron whose own deletion is under way.
 *
 * A daily run reads the whole table, so it is a parallel Scan cut into key-range segments, one
 * background Lambda per segment at a time, page by page, stopping at a time budget with the
 * continuation key (workflows/retention.asl.json loops on it). Never in a request path.
 *
 * One secret per run, kept in the table while the run is unfinished: a retried or resumed
 * segment, or a run that failed and is started again the next day, derives the same key for the
 * same loan and writes the same copy again rather than a second one. When a run completes, the
 * secret is deleted, and with it any way back from a copy to the loan it came from.
 */

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

const PATRON_PREFIX = recordKeys.patronPartition('');

// ---------------------------------------------------------------------------------------------
// The run's secret

/**
 * The run takes the secret, keeping the one an unfinished earlier run left (so its half-written
 * batches are written again at the same keys), or making a new one.
 */
export async function claimRetentionSecret(deps: RecordsDeps, runId: string, now: Date): Promise<void> {
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.recordsTable,
      Key: recordKeys.retentionKey,
      UpdateExpression:
        'SET runId = :run, kind = :kind, secret = if_not_exists(secret, :fresh), createdAt = if_not_exists(createdAt, :now)',
      ExpressionAttributeValues: {
        ':run': runId,
        ':kind': 'RETENTION_KEY',
        ':fresh': randomBytes(32).toString('base64'),
        ':now': now.toISOString(),
      },
    }),
  );
}

/** The current secret; if a run that overlapped this one completed and deleted it, a new one for this run. */
export async function retentionSecret(deps: RecordsDeps, runId: string, now: Date): Promise<Buffer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = await deps.db.send(
      new GetCommand({ TableName: deps.recordsTable, Key: recordKeys.retentionKey, ConsistentRead: true }),
    );
    if (typeof res.Item?.secret === 'string') return Buffer.from(res.Item.secret, 'base64');
    await claimRetentionSecret(deps, runId, now);
  }
  throw new IntegrityError('retention key unreadable');
}

/** Deletes the secret if this run still holds it (a later run that took it over deletes it itself). */
export async function releaseRetentionSecret(deps: RecordsDeps, runId: string): Promise<boolean> {
  try {
    await deps.db.send(
      new DeleteCommand({
        TableName: deps.recordsTable,
        Key: recordKeys.retentionKey,
        ConditionExpression: 'runId = :run',
        ExpressionAttributeValues: { ':run': runId },
      }),
    );
    return true;
  } catch (e) {
    if (isConditionalCheckFailed(e)) return false;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// One segment

export interface SegmentProgress {
  /** Items the scan read (DynamoDB's ScannedCount). */
  scanned: number;
  /** Records past their period (every kind). */
  eligible: number;
  anonymised: number;
  /** Eligible loans kept because their patron is under legal hold (R13). */
  held: number;
  /** Eligible loans kept because their patron's deletion is under way (it anonymises them itself). */
  deleting: number;
  pages: number;
}

export interface SweepSegmentInput extends RecordsDeps {
  holds: LegalHolds;
  runId: string;
  segment: number;
  totalSegments: number;
  /** Where the previous invocation stopped (a records-table key), or undefined to start the segment. */
  cursor: Key | undefined;
  /** Per kind, the library day a record's own date must be before (domain/retention.ts `retentionCutoffs`). */
  cutoffs: RetentionCutoffs;
  timezone: string;
  /** Items evaluated per Scan page. */
  pageSize: number;
  /** Stop after this many pages (0: no limit but the time). */
  maxPages: number;
  /** Stop before starting a page after this instant (epoch ms). */
  deadline: number;
  now: () => Date;
  /** The clock for the time budget (tests and the benchmark may pass their own). */
  elapsedNow?: () => number;
}

export interface SweepSegmentResult extends SegmentProgress {
  /** Where to go on from, or undefined when the segment is done. */
  cursor: Key | undefined;
}

const keyOf = (item: Item): Key => ({ pk: String(item.pk), sk: String(item.sk) });

/** DynamoDB's BatchGetItem limit. */
const GET_BATCH = 100;
const GET_ATTEMPTS = 8;

/** The patrons among `patronIds` whose own deletion is under way: its secret (`ERASURE#KEY`) is in their partition. */
async function deletionsUnderWay(deps: RecordsDeps, patronIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const prefix = recordKeys.patronPartition('');
  for (let i = 0; i < patronIds.length; i += GET_BATCH) {
    let keys: Key[] = patronIds.slice(i, i + GET_BATCH).map((p) => recordKeys.erasureKey(p));
    for (let attempt = 1; keys.length > 0; attempt++) {
      const out = await deps.db.send(
        new BatchGetCommand({
          RequestItems: { [deps.recordsTable]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'pk' } },
        }),
      );
      for (const item of out.Responses?.[deps.recordsTable] ?? []) found.add(String(item.pk).slice(prefix.length));
      keys = (out.UnprocessedKeys?.[deps.recordsTable]?.Keys ?? []) as Key[];
      if (keys.length === 0) break;
      if (attempt >= GET_ATTEMPTS)
        throw new TransientError(`retention: ${keys.length} deletion keys unread after ${GET_ATTEMPTS} attempts`);
      // Unprocessed keys mean throttling.
      await sleep(Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }
  return found;
}

const kindOfKey = (sk: unknown): RetentionKind | undefined =>
  RETENTION_KINDS.find((k) => typeof sk === 'string' && sk.startsWith(`${k}#`));

/**
 * The table's own filter: only records whose date sorts before their kind's bound come back (the
 * exact library day is then checked on each, `pastRetention`); profiles, links and shared content never.
 */
function retentionFilter(cutoffs: RetentionCutoffs) {
  const names: Record<string, string> = { '#pk': 'pk', '#sk': 'sk' };
  const values: Record<string, string> = { ':patron': PATRON_PREFIX };
  const clauses = RETENTION_KINDS.map((kind) => {
    const field = RETENTION_DATE_FIELD[kind];
    names[`#${field}`] = field;
    values[`:${kind}`] = `${kind}#`;
    values[`:${kind}bound`] = dateBeforeBound(cutoffs[kind]);
    return `(begins_with(#sk, :${kind}) AND #${field} < :${kind}bound)`;
  });
  return {
    FilterExpression: `begins_with(#pk, :patron) AND (${clauses.join(' OR ')})`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * Anonymises the segment's records past their period, page by page, until the segment ends,
 * the page limit is reached or the time is up. Each page's patrons are checked just before its
 * writes: legal hold (R13, the registry read each page) and a deletion under way (once an invocation).
 */
export async function sweepRetentionSegment(input: SweepSegmentInput): Promise<SweepSegmentResult> {
  const { db, recordsTable: table } = input;
  const clock = input.elapsedNow ?? Date.now;
  const progress: SegmentProgress = { scanned: 0, eligible: 0, anonymised: 0, held: 0, deleting: 0, pages: 0 };
  /** Whose own deletion is under way, each patron read once an invocation. */
  const deleting = new Map<string, boolean>();
  /** R13: the hold answers, kept only while the registry is incomplete (`LegalHolds.heldAmong`). */
  const heldChecked = new Map<string, boolean>();
  let secret: Buffer | undefined;
  let cursor: Key | undefined = input.cursor;
  const filter = retentionFilter(input.cutoffs);

  /**
   * What to do with each patron of a page, just before its writes. R13: the legal-hold registry read
   * afresh (one GetItem), and the precise query for each patron it lists (`heldAmong`: every patron,
   * once an invocation, while it is incomplete). Whether their own deletion is under way: its secret
   * read by key for the patrons new to this invocation, in batches of 100 (one BatchGetItem).
   */
  const actionsFor = async (patronIds: string[]): Promise<Map<string, LoanRetentionAction>> => {
    const fresh = patronIds.filter((p) => !deleting.has(p));
    const [held, underWay] = await Promise.all([
      input.holds.heldAmong(patronIds, heldChecked),
      deletionsUnderWay(input, fresh),
    ]);
    for (const p of fresh) deleting.set(p, underWay.has(p));
    return new Map(
      patronIds.map((p) => [p, loanRetentionAction({ held: held.has(p), deleting: deleting.get(p) === true })]),
    );
  };

  do {
    const res = await db.send(
      new ScanCommand({
        TableName: table,
        Segment: input.segment,
        TotalSegments: input.totalSegments,
        Limit: input.pageSize,
        ExclusiveStartKey: cursor,
        ...filter,
      }),
    );
    progress.pages++;
    progress.scanned += res.ScannedCount ?? 0;
    const eligible = (res.Items ?? []).flatMap((item) => {
      const kind = kindOfKey(item.sk);
      return kind && pastRetention(retentionFactsOf(kind, item, input.timezone), input.cutoffs) ? [{ kind, item }] : [];
    });
    const patronOf = ({ item }: { item: Item }) => String(item.pk).slice(PATRON_PREFIX.length);
    const actions = await actionsFor([...new Set(eligible.map(patronOf))]);
    const due: { kind: RetentionKind; item: Item }[] = [];
    for (const record of eligible) {
      progress.eligible++;
      const action = actions.get(patronOf(record));
      if (action === 'keep-held') progress.held++;
      else if (action === 'keep-deleting') progress.deleting++;
      else due.push(record);
    }
    if (due.length > 0) {
      secret ??= await retentionSecret(input, input.runId, input.now());
      const key = secret;
      // Every copy of the page first, at keys a re-run writes again rather than adds to; then the originals.
      await copyThenDelete(db, table, {
        copies: due.map(({ kind, item }) => anonymisedCopy(kind, anonKeyFor(key, keyOf(item)), item, input.timezone)),
        deletes: due.map(({ item }) => keyOf(item)),
      });
      progress.anonymised += due.length;
    }
    cursor = res.LastEvaluatedKey ? keyOf(res.LastEvaluatedKey) : undefined;
  } while (cursor && (input.maxPages <= 0 || progress.pages < input.maxPages) && clock() < input.deadline);

  return { ...progress, cursor };
}
