import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../adapters/dynamodb/client.ts';
import { recordKeys, type RecordKind } from '../../adapters/dynamodb/keys.ts';
import type { LegalHolds } from '../../adapters/dynamodb/legal-holds.ts';
import type { Category } from '../../domain/categories.ts';
import type { RecordTypes } from '../../domain/dataset.ts';
import { buildDeletionPlan, stepFor, type DeletionFacts, type DeletionPlan } from '../../domain/deletion-plan.ts';
import {
  ConnectorError,
  IntegrityError,
  LegalHoldError,
  StalePlanError,
  WithheldPortError,
} from '../../domain/errors.ts';
import type { Fingerprinter } from '../../domain/erasure-memory.ts';
import type { Policy } from '../../domain/policy.ts';
import { sameLastName, type CorrectionChanges } from '../../domain/request.ts';
import type {
  BlockerCheck,
  ConnectorCapabilities,
  CorrectResult,
  EraseResult,
  FindResult,
  PatronRef,
  PreferenceChange,
  ReadOptions,
  RecordPage,
  ExpiredPatronsPage,
  ExpiredPatronsQuery,
  PurgeCandidate,
  PurgeEraseResult,
  PurgeHooks,
  RetentionSweep,
  RetentionSweepResult,
  SystemConnector,
  SystemRecord,
} from '../port.ts';
import { collectDeletionFacts, executeDeletionPlan, verifyErasure, type RecordsDeps } from './erasure.ts';
import { LibraryRecords } from './library-records.ts';
import { blockersOf } from './blockers.ts';
import { purgeErase, purgeRead, type PurgeReadDeps } from './purge-batch.ts';

export { blockersOf };
import { sweepRetentionSegment } from './retention.ts';
import { expiredPatronsPage } from './expired-patrons.ts';
import {
  credentialRecords,
  donationRecord,
  fineRecord,
  holdRecord,
  loanRecord,
  personalRecords,
  programRecord,
  sharedContentRecord,
} from './system-records.ts';

/** The categories the table holds; residency and automatic data are never stored in it (R4). */
export const RECORDS_TABLE_CATEGORIES = [
  'personal',
  'credentials',
  'library-records',
  'payments',
  'donations',
  'shared-content',
] as const satisfies readonly Category[];

export interface RecordsTableConnectorDeps extends RecordsDeps {
  /** R13: the legal holds a deletion must respect (Privacy Desk's own, in the requests table). */
  holds: LegalHolds;
  /** R8, R11: retention periods and the adult age the plan is built with. */
  policy: Policy;
  clock: () => Date;
  /** R8: remembers an erased person as keyed hashes, so a reload never brings them back. */
  fingerprinter?: Fingerprinter;
}

export interface RecordsTableConnectorOptions {
  /** The systems file's id for this system. */
  systemId: string;
  /** The categories the systems file says this system holds (default: every one the table can). */
  categories?: readonly Category[];
  /** Records per page when a caller does not say (DynamoDB's Limit per query). */
  pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 500;

/**
 * An operation this function's bundle left out: its code never calls it (infra/store-usage.ts
 * folds `PD_BUNDLE_USES_<OPERATION>` at bundling), so the erasure, retention and purge code a
 * function that only finds and reads patrons never runs is not compiled at its cold start.
 */
const withheldOperation = (operation: string): Promise<never> =>
  Promise.reject(
    new WithheldPortError(
      `this function was built without the records table's ${operation} (its code never names .${operation}: infra/store-usage.ts)`,
    ),
  );

// Each test below is a conditional expression, not an early return: esbuild folds it while parsing,
// before it decides what is used, so the code behind a withheld operation is left out. Read when
// called, as buildDeps reads its flags. Unset (the local runtime, tests): every operation is there.
const planning = () =>
  process.env.PD_BUNDLE_USES_ERASE === 'false' &&
  process.env.PD_BUNDLE_USES_CHECK_BLOCKERS === 'false' &&
  process.env.PD_BUNDLE_USES_PLAN_DELETION === 'false'
    ? undefined
    : { collectDeletionFacts, buildDeletionPlan };
const erasing = () =>
  process.env.PD_BUNDLE_USES_ERASE === 'false' ? undefined : { executeDeletionPlan, verifyErasure };

/**
 * The built-in records table as a system of record (R19): what `npm start` runs on and what a
 * library without an ILS API can use. Reads go through `LibraryRecords`, page by page; deletion is
 * today's plan-then-execute (erasure.ts with the domain's plan and per-record decisions), so the
 * same rules hold whichever path calls it.
 */
export class RecordsTableConnector implements SystemConnector {
  readonly type = 'records-table';
  readonly capabilities: ConnectorCapabilities;
  readonly systemId: string;
  private readonly records: LibraryRecords;
  private readonly pageSize: number;

  constructor(
    private readonly deps: RecordsTableConnectorDeps,
    options: RecordsTableConnectorOptions,
  ) {
    this.systemId = options.systemId;
    this.records = new LibraryRecords(deps.db, deps.recordsTable);
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const configured = options.categories ?? RECORDS_TABLE_CATEGORIES;
    this.capabilities = {
      categories: RECORDS_TABLE_CATEGORIES.filter((c) => configured.includes(c)),
      operations: ['find', 'read', 'blockers', 'erase', 'correct', 'preferences'],
      // R20: outreach only; see `setPreferences` for why reading history has no per-patron setting here.
      preferences: ['outreach'],
    };
  }

  async findPatron(cardNumber: string, lastName: string): Promise<FindResult> {
    const patron = await this.records.findPatronByCard(cardNumber.trim());
    if (!patron) return { found: false, reason: 'unknown-card' };
    // R7: the card alone names nobody; the last name on file must agree.
    if (!sameLastName(patron.lastName, lastName)) return { found: false, reason: 'name-mismatch' };
    return { found: true, ref: { systemId: this.systemId, patronId: patron.id } };
  }

  /** One page per query (DynamoDB's Limit), kind after kind: a long history never sits in memory. */
  async *readRecords(ref: PatronRef, category: Category, options: ReadOptions = {}): AsyncGenerator<RecordPage> {
    const patronId = this.patronId(ref);
    if (!this.capabilities.categories.includes(category)) throw this.unsupported(`reading ${category}`);
    const pageSize = Math.max(1, Math.floor(options.pageSize ?? this.pageSize));
    if (category === 'personal' || category === 'credentials') {
      const patron = await this.records.getPatron(patronId);
      const records = patron ? (category === 'personal' ? personalRecords(patron) : credentialRecords(patron)) : [];
      for (let i = 0; i < records.length; i += pageSize) yield { category, records: records.slice(i, i + pageSize) };
      return;
    }
    const pages = <K extends RecordKind>(kind: K, map: (r: RecordTypes[K]) => SystemRecord) =>
      this.pages(category, patronId, kind, map, pageSize);
    switch (category) {
      case 'library-records':
        yield* pages('LOAN', loanRecord);
        yield* pages('HOLD', holdRecord);
        yield* pages('PROGRAM', programRecord);
        return;
      case 'payments':
        yield* pages('FINE', fineRecord);
        return;
      case 'donations':
        yield* pages('DONATION', donationRecord);
        return;
      case 'shared-content':
        yield* pages('SHARED', sharedContentRecord);
        return;
      default:
        throw this.unsupported(`reading ${category}`);
    }
  }

  private async *pages<K extends RecordKind>(
    category: Category,
    patronId: string,
    kind: K,
    map: (r: RecordTypes[K]) => SystemRecord,
    pageSize: number,
  ): AsyncGenerator<RecordPage> {
    for await (const page of this.records.records(patronId, kind, pageSize)) yield { category, records: page.map(map) };
  }

  /** R8, R11, R13: every blocker can be checked ahead here, so nothing is left unchecked. */
  async checkBlockers(ref: PatronRef): Promise<BlockerCheck> {
    const { facts } = await this.planFor(this.patronId(ref), 'checkBlockers');
    return { blockers: blockersOf(facts), unchecked: [] };
  }

  /**
   * R8: plans and carries out the deletion as today's deletion does: erase, anonymise, delete or
   * retain per category. While a blocker holds, what may go goes (returned loans anonymised,
   * shared content deleted) and the person is kept: `blocked`, to be tried again when it clears.
   * R13: under a legal hold nothing is touched. Idempotent: a retry after the person is gone
   * answers `absent`; a run cut short is finished by the next (erasure.ts).
   */
  async erase(ref: PatronRef): Promise<EraseResult> {
    const erasure = erasing();
    if (!erasure) return withheldOperation('erase');
    const { executeDeletionPlan, verifyErasure } = erasure;
    const patronId = this.patronId(ref);
    if (!(await this.records.getPatron(patronId))) return { result: 'absent' };
    // A plan goes stale if a blocker appears while it runs: rebuilt once, it then keeps the person.
    for (let attempt = 1; ; attempt++) {
      const { plan, facts } = await this.planFor(patronId, 'erase');
      if (plan.mode === 'blocked') return { result: 'blocked', blockers: blockersOf(facts) };
      try {
        await executeDeletionPlan({ ...this.deps, patronId, plan });
      } catch (e) {
        if (e instanceof LegalHoldError) return { result: 'blocked', blockers: [{ kind: 'hold' }] };
        if (e instanceof StalePlanError && attempt < 2) continue;
        throw e;
      }
      if (stepFor(plan, 'personal', 'erase') === undefined) return { result: 'blocked', blockers: blockersOf(facts) };
      // R8: nothing is reported erased that is still there.
      const check = await verifyErasure({ ...this.deps, patronId, plan });
      if (!check.ok)
        throw new IntegrityError(
          `system ${this.systemId}: erasure left records in ${check.remaining.map((r) => r.category).join(', ')}`,
        );
      const retained = plan.steps
        .filter((s) => s.action === 'retain' && s.reason === 'retention-period' && s.count > 0)
        .map((s) => ({ category: s.category, ...(s.until ? { until: s.until } : {}) }));
      return { result: 'done', pendingCleanup: false, ...(retained.length > 0 ? { retained } : {}) };
    }
  }

  /**
   * R6: the same profile write the correction use case makes (`LibraryRecords.updateProfile`, one
   * conditional update). Whether a new phone was confirmed is the use case's to check, not the system's.
   */
  async correct(ref: PatronRef, changes: CorrectionChanges): Promise<CorrectResult> {
    const patronId = this.patronId(ref);
    const fields = (Object.keys(changes) as (keyof CorrectionChanges)[]).filter((k) => changes[k] !== undefined);
    try {
      await this.records.updateProfile(patronId, changes);
    } catch (e) {
      if (isConditionalCheckFailed(e))
        throw new ConnectorError(`system ${this.systemId}: no such patron to correct`, 'rejected');
      throw e;
    }
    return { result: 'done', fields };
  }

  /**
   * Reading history: the table has no per-patron setting. Its loan history is anonymised for
   * everyone after the policy's `loanHistoryDays` by the daily run (R16), which is the library's
   * default; `default` is therefore already true and accepted, while `keep` or `forget` would
   * promise what the table cannot do, and are refused before anything is written.
   *
   * R20 outreach: the dataset has no outreach or contact-preference field, so the opt-out is a
   * flag on the patron's own profile item (`outreachOptOut`), set by one idempotent update. Nobody
   * in the table (the person erased) is nobody to contact: nothing to stop, no error.
   */
  async setPreferences(ref: PatronRef, change: PreferenceChange): Promise<void> {
    const patronId = this.patronId(ref);
    if (change.readingHistory !== undefined && change.readingHistory !== 'default')
      throw this.unsupported(`a reading-history setting of ${change.readingHistory}`);
    if (change.outreach !== 'opted-out') return;
    try {
      await this.deps.db.send(
        new UpdateCommand({
          TableName: this.deps.recordsTable,
          Key: recordKeys.patron(patronId),
          UpdateExpression: 'SET outreachOptOut = :yes',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':yes': true },
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }

  /**
   * R16, R13: the daily run's sweep of the whole table, one key-range segment a call (retention.ts:
   * a parallel Scan filtered by each kind's cutoff, copy-then-delete in batches, legal holds and
   * deletions under way skipped). The table holds every patron's records, whoever's system of record.
   */
  anonymiseBefore(sweep: RetentionSweep): Promise<RetentionSweepResult> {
    return process.env.PD_BUNDLE_USES_ANONYMISE_BEFORE === 'false'
      ? withheldOperation('anonymiseBefore')
      : sweepRetentionSegment({
          db: this.deps.db,
          recordsTable: this.deps.recordsTable,
          holds: this.deps.holds,
          now: this.deps.clock,
          runId: sweep.runId,
          segment: sweep.segment,
          totalSegments: sweep.totalSegments,
          cursor: sweep.cursor,
          cutoffs: sweep.cutoffs,
          timezone: sweep.timezone,
          pageSize: sweep.pageSize,
          maxPages: sweep.maxPages,
          deadline: sweep.deadline,
        });
  }

  /** R16, R8: one page of one segment of the patrons whose card expired before a day (expired-patrons.ts). */
  expiredPatrons(query: ExpiredPatronsQuery): Promise<ExpiredPatronsPage> {
    return process.env.PD_BUNDLE_USES_EXPIRED_PATRONS === 'false'
      ? withheldOperation('expiredPatrons')
      : expiredPatronsPage(this.deps, query);
  }

  /** R16, R8, R13: the purge's batched path (purge-batch.ts): each candidate read once. */
  purgeRead(patronIds: readonly string[], options: { checkHolds: boolean }): Promise<PurgeCandidate[]> {
    return process.env.PD_BUNDLE_USES_PURGE_READ === 'false'
      ? withheldOperation('purgeRead')
      : purgeRead(this.purgeDeps(), patronIds, options);
  }

  /** R16, R8, R13, R17: erases the cleared candidates, BatchWrites across patrons (purge-batch.ts). */
  purgeErase(runId: string, cleared: readonly PurgeCandidate[], hooks: PurgeHooks): Promise<PurgeEraseResult> {
    return process.env.PD_BUNDLE_USES_PURGE_ERASE === 'false'
      ? withheldOperation('purgeErase')
      : purgeErase(this.purgeDeps(), runId, cleared, hooks);
  }

  private purgeDeps(): PurgeReadDeps {
    return { ...this.deps, timezone: async () => (await this.records.library()).timezone };
  }

  /**
   * R8: the plan for erasing the patron now, and the facts it was built from (counts and codes
   * only, R5): for a workflow that shows the plan for approval before `erase` carries it out.
   */
  planDeletion(ref: PatronRef): Promise<{ plan: DeletionPlan; facts: DeletionFacts }> {
    return this.planFor(this.patronId(ref), 'planDeletion');
  }

  /** `operation`: the public one asking, named if this bundle left planning out. */
  private async planFor(
    patronId: string,
    operation: 'erase' | 'checkBlockers' | 'planDeletion',
  ): Promise<{ plan: DeletionPlan; facts: DeletionFacts }> {
    const plans = planning();
    if (!plans) return withheldOperation(operation);
    const { collectDeletionFacts, buildDeletionPlan } = plans;
    const { timezone } = await this.records.library();
    const now = this.deps.clock();
    const { policy, holds } = this.deps;
    const facts = await collectDeletionFacts(this.deps, holds, patronId, now, timezone, policy);
    return { plan: buildDeletionPlan({ patronId, now, timezone, policy, facts }), facts };
  }

  private patronId(ref: PatronRef): string {
    if (ref.systemId !== this.systemId || ref.patronId.length === 0)
      throw new ConnectorError(`system ${this.systemId}: a patron reference of another system`, 'rejected');
    return ref.patronId;
  }

  private unsupported(what: string): ConnectorError {
    return new ConnectorError(`system ${this.systemId} (records-table) does not support ${what}`, 'unsupported');
  }
}
