import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BATCHES_IN_FLIGHT, MAX_BATCH, batchWrite, type WriteRequest } from '../../adapters/dynamodb/batch-write.ts';
import { recordKeys } from '../../adapters/dynamodb/keys.ts';
import type { LegalHold, LegalHolds } from '../../adapters/dynamodb/legal-holds.ts';
import { isoDateIn } from '../../domain/age.ts';
import { buildDeletionPlan, type DeletionPlan } from '../../domain/deletion-plan.ts';
import {
  blocksProfileErasure,
  decideRecord,
  deletionFactsTally,
  erasureRulesOf,
  hasCredentials,
  recordFactsOf,
} from '../../domain/erasure-decisions.ts';
import { IntegrityError } from '../../domain/errors.ts';
import type { Fingerprinter } from '../../domain/erasure-memory.ts';
import type { Policy } from '../../domain/policy.ts';
import { retentionCutoffs } from '../../domain/retention.ts';
import type { PurgeCandidate, PurgeEraseResult, PurgeHooks } from '../port.ts';
import { blockersOf } from './blockers.ts';
import { anonKeyFor, anonymisedCopy, childIdOf, childIsMinor, kindOf, type RecordsDeps } from './erasure.ts';
import { fingerprintsOf } from './erasure-memory.ts';
import { openHolds as countOpenHolds } from './expired-patrons.ts';
import { retentionSecret } from './retention.ts';
import { mapInParallel } from '../../adapters/in-parallel.ts';

/**
 * R16, R8, R13, R17: the nightly purge of long-expired cards in the records table, batched across
 * patrons. A purge erases hundreds of patrons with a handful of records each, so what one erasure at
 * a time costs per patron (the partition read for the blockers, read again for the plan, again to
 * verify, a secret of its own written and deleted, a hold check per step, BatchWrites of a few items)
 * is most of the work. Here:
 *
 * - one consistent Query of each candidate's partition gives the blockers, the plan (the domain's
 *   `buildDeletionPlan` and `decideRecord`, as a deletion decides) and the records to write;
 *   a partition longer than one read, or holding a deletion's own secret (a deletion under way, or
 *   cut short), is left to the one-patron path (`alone`), which finishes it with that secret;
 * - the copies are keyed under the retention run's secret (retention.ts), as the run's sweep keys its
 *   own: a re-run after a crash derives the same keys and writes the same copies, and the secret is
 *   deleted when the run completes, which is when nothing can link a copy back to its patron any more;
 * - patrons are written in groups of at most 100 records, the erasure's own batch between two
 *   legal-hold checks (R13): every patron of a group is checked just before the group's writes, and
 *   a held one is not touched (two groups are written at once: a patron's own records are in one);
 *   a check is one read of the legal-hold registry (adapters/dynamodb/hold-registry.ts) and a query
 *   for each patron of the group it lists, or a query for each patron while it is incomplete;
 * - per group, BatchWrites of 25 across patrons: the copies and the erased person's fingerprints
 *   (R8, erasure-memory.ts), then the originals deleted, then (after `beforePersonal`, where the
 *   caller appends its audit events, R17) the guarantee links and the profiles. Personal data goes
 *   last, so a crash at any point leaves the profile for the re-run to find;
 * - R8: what is reported erased is what the writes removed: each record's decision is the domain's,
 *   made on the consistent read of the same invocation, and every write of every BatchWrite is
 *   acknowledged (`batchWrite` sends again what DynamoDB leaves unprocessed, or fails the step).
 *   The one-patron path's verification, a second read of every partition, is not repeated here: it
 *   cost a third more than the purge's floor (one more query a patron). What it would catch beyond
 *   that is a record added to an expired card's partition while its purge runs: only a dataset
 *   load could add one, between the read and the fingerprints' write (after it, a load skips the
 *   person), with a new record for a card that expired years ago.
 *
 * Nothing here is logged or returned but ids (R5).
 */

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

export interface PurgeReadDeps extends RecordsDeps {
  holds: LegalHolds;
  policy: Policy;
  clock: () => Date;
  fingerprinter?: Fingerprinter;
  /** The library's time zone (its records-table item). */
  timezone: () => Promise<string>;
}

/** Records written between two legal-hold checks: the erasure's own group (erasure.ts MAX_GROUP). */
const GROUP_RECORDS = MAX_BATCH * BATCHES_IN_FLIGHT;
/**
 * Items one read of a candidate's partition takes. A longer history (rare by the time a card has
 * been expired for years: the daily sweep has anonymised its old records) is erased by the
 * one-patron path, which checks the hold before every 100 records of it.
 */
const READ_LIMIT = GROUP_RECORDS;
/** Candidates read at once. */
const READS_IN_FLIGHT = 8;
/**
 * Groups written at once: a group is a chain of round trips (the hold checks, three waves of
 * BatchWrites, the audit events, the verification), so one group alone leaves the table idle
 * between them. Each patron is in one group, checked for a hold just before that group's writes.
 */
const GROUPS_IN_FLIGHT = 2;

/** What `purgeRead` keeps of a candidate for `purgeErase`, out of the port's sight. */
interface ReadState {
  items: Item[];
  plan: DeletionPlan;
  profile: Item;
}
const readStates = new WeakMap<PurgeCandidate, ReadState>();

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const keyOf = (item: Item): Key => ({ pk: String(item.pk), sk: String(item.sk) });

/**
 * R8, R13: each candidate read once: its partition (consistent), and with `checkHolds` its legal
 * holds at the same time. The facts, blockers and plan come from what was read.
 */
export async function purgeRead(
  deps: PurgeReadDeps,
  patronIds: readonly string[],
  options: { checkHolds: boolean },
): Promise<PurgeCandidate[]> {
  const timezone = await deps.timezone();
  const now = deps.clock();
  const today = isoDateIn(now, timezone);
  const cutoffs = retentionCutoffs(today, deps.policy);
  // R13: the page's holds at once: the registry, then the patrons it lists (`activeAmong`).
  const holdsOf = options.checkHolds ? await deps.holds.activeAmong(patronIds) : new Map<string, LegalHold[]>();
  return mapInParallel(patronIds, READS_IN_FLIGHT, async (patronId): Promise<PurgeCandidate> => {
    const res = await deps.db.send(
      new QueryCommand({
        TableName: deps.recordsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': recordKeys.patronPartition(patronId) },
        ConsistentRead: true,
        Limit: READ_LIMIT,
      }),
    );
    const holds = holdsOf.get(patronId) ?? [];
    const items = res.Items ?? [];
    const held = holds.length > 0;
    const base = { patronId, absent: false, alone: false, held, openHolds: 0, blockers: [] };
    const profile = items.find((i) => i.sk === recordKeys.patron(patronId).sk);
    if (!profile) return { ...base, absent: true };
    if (res.LastEvaluatedKey || items.some((i) => i.sk === recordKeys.erasureKey(patronId).sk))
      return { ...base, alone: true, openHolds: await countOpenHolds(deps, patronId) };
    const tally = deletionFactsTally(cutoffs);
    let openHolds = 0;
    for (const item of items) {
      const sk = String(item.sk);
      if (sk.startsWith(recordKeys.guaranteesPrefix)) {
        // R11: one minor is enough.
        if (!tally.guaranteesMinor)
          tally.addGuaranteedChild(await childIsMinor(deps, childIdOf(item), today, deps.policy));
        continue;
      }
      const kind = kindOf(sk);
      if (!kind) continue;
      if (kind === 'HOLD' && (item.status === 'waiting' || item.status === 'ready')) openHolds++;
      tally.addRecord(recordFactsOf(kind, item, timezone));
    }
    const facts = tally.result({
      hasCredentials: hasCredentials(profile),
      legalHold: { active: held, nondisclosure: holds.some((h) => h.nondisclosure) },
    });
    const cardNumber = str(profile.cardNumber);
    const lastName = str(profile.lastName);
    const candidate: PurgeCandidate = {
      ...base,
      openHolds,
      blockers: blockersOf(facts),
      ...(cardNumber && lastName ? { person: { cardNumber, lastName } } : {}),
    };
    readStates.set(candidate, {
      items,
      profile,
      plan: buildDeletionPlan({ patronId, now, timezone, policy: deps.policy, facts }),
    });
    return candidate;
  });
}

/** One cleared patron's writes, decided from its read. */
interface PatronWrites {
  patronId: string;
  copies: Item[];
  originals: Key[];
  personal: Key[];
  cardNumber: string | undefined;
}

/**
 * R8: erases the cleared candidates (read by `purgeRead` in this invocation, no blocker anywhere),
 * group by group. Returns who was erased, who a legal hold placed since keeps (R13), and who is left
 * to the one-patron path (a plan that would keep the person: nothing written for them).
 */
export async function purgeErase(
  deps: PurgeReadDeps,
  runId: string,
  cleared: readonly PurgeCandidate[],
  hooks: PurgeHooks,
): Promise<PurgeEraseResult> {
  const result = { erased: [] as string[], held: [] as string[], alone: [] as string[] };
  const writes: PatronWrites[] = [];
  let secret: Buffer | undefined;
  for (const candidate of cleared) {
    const state = readStates.get(candidate);
    if (!state) throw new IntegrityError('a purge candidate not read in this invocation');
    const rules = erasureRulesOf(state.plan);
    const decided = state.items.flatMap((item) => {
      const kind = kindOf(item.sk);
      return kind ? [{ item, decision: decideRecord(recordFactsOf(kind, item, rules.timezone), rules) }] : [];
    });
    if (rules.blocked || !rules.erasePersonal || decided.some((d) => blocksProfileErasure(d.decision))) {
      result.alone.push(candidate.patronId);
      continue;
    }
    const anonymise = decided.filter((d) => d.decision.action === 'anonymise');
    if (anonymise.length > 0) secret ??= await retentionSecret(deps, runId, deps.clock());
    const key = secret;
    const { patronId } = candidate;
    const guarantorIds = Array.isArray(state.profile.guarantorIds)
      ? state.profile.guarantorIds.filter((g): g is string => typeof g === 'string')
      : [];
    writes.push({
      patronId,
      copies: key
        ? anonymise.map(({ item, decision }) =>
            anonymisedCopy(decision.kind, anonKeyFor(key, keyOf(item)), item, rules.timezone),
          )
        : [],
      originals: decided.filter((d) => d.decision.action !== 'retain').map((d) => keyOf(d.item)),
      personal: [
        ...state.items.filter((i) => String(i.sk).startsWith(recordKeys.guaranteesPrefix)).map(keyOf),
        ...guarantorIds.map((g) => recordKeys.guarantees(g, patronId)),
        recordKeys.patron(patronId),
      ],
      cardNumber: str(state.profile.cardNumber),
    });
  }

  const groups: PatronWrites[][] = [];
  let group: PatronWrites[] = [];
  let records = 0;
  for (const w of writes) {
    const size = w.originals.length + w.personal.length;
    if (group.length > 0 && records + size > GROUP_RECORDS) {
      groups.push(group);
      group = [];
      records = 0;
    }
    group.push(w);
    records += size;
  }
  if (group.length > 0) groups.push(group);
  await mapInParallel(groups, GROUPS_IN_FLIGHT, (g) => eraseGroup(deps, g, hooks, result));
  return result;
}

async function eraseGroup(
  deps: PurgeReadDeps,
  group: PatronWrites[],
  hooks: PurgeHooks,
  result: PurgeEraseResult,
): Promise<void> {
  // R13: every patron of the group checked just before its writes (the registry read afresh, then
  // the patrons it lists); a held one is not touched.
  const held = await deps.holds.heldAmong(group.map((w) => w.patronId));
  const go = group.filter((w) => !held.has(w.patronId));
  result.held.push(...group.filter((w) => held.has(w.patronId)).map((w) => w.patronId));
  if (go.length === 0) return;
  // R8: remembered before anything personal goes; a re-run writes the same items.
  const prints = deps.fingerprinter
    ? (
        await Promise.all(
          go.map((w) =>
            fingerprintsOf(deps.fingerprinter as Fingerprinter, { patronId: w.patronId, cardNumber: w.cardNumber }),
          ),
        )
      ).flat()
    : [];
  const puts = (items: Item[]): WriteRequest[] => items.map((Item) => ({ PutRequest: { Item } }));
  const deletes = (keys: Key[]): WriteRequest[] => keys.map((Key) => ({ DeleteRequest: { Key } }));
  await batchWrite(deps.db, deps.recordsTable, [
    ...puts(go.flatMap((w) => w.copies)),
    ...puts(prints.map((p) => ({ ...recordKeys.erased(p), kind: 'ERASED' }))),
  ]);
  await batchWrite(deps.db, deps.recordsTable, deletes(go.flatMap((w) => w.originals)));
  const ids = go.map((w) => w.patronId);
  await hooks.beforePersonal(ids);
  // The guarantee links before the profiles: a crash between the two leaves the profile to find.
  const profileSk = recordKeys.patron('').sk;
  await batchWrite(
    deps.db,
    deps.recordsTable,
    deletes(go.flatMap((w) => w.personal.filter((k) => k.sk !== profileSk))),
  );
  await batchWrite(
    deps.db,
    deps.recordsTable,
    deletes(go.flatMap((w) => w.personal.filter((k) => k.sk === profileSk))),
  );
  result.erased.push(...ids);
}
