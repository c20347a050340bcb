import * as z from '../domain/zod.ts';
import { hasConnector, type ConnectedSystem } from '../connectors/index.ts';
import type { DeletionBlocker, PatronRef, PurgeCandidate, SystemConnector } from '../connectors/port.ts';
import { IntegrityError } from '../domain/errors.ts';
import type { Deps } from '../lib/deps.ts';
import { mapInParallel } from '../adapters/in-parallel.ts';
import { purgeProgressFields, runId } from './retention-state.ts';

/**
 * R16, R8, R13, R19: the nightly purge of patrons whose card expired more than
 * `retention.expiredPatronAfterDays` ago (off by default: domain/policy.ts says why). One key-range
 * segment of the system of record a call (its connector's `expiredPatrons`), page by page until the
 * time budget, then it returns where it got to and the state machine calls it again.
 *
 * Each patron is deleted as a deletion would delete them, through every connected system's
 * connector: every blocker checked first, in every system (an item on loan, money owed, a hold
 * waiting, the guarantor of a minor's card, R13 a legal hold), and any one keeps the patron
 * everywhere; then the other systems first and the system of record last (it is where the others
 * find the person). One audit event per patron (ids and codes only, R5, R17), on the patron's own
 * purge chain. The patron is not emailed: the card has long expired, the email on file is as old,
 * and the report states the rule (render/report.ts); systems without an API are told by their
 * periodic retention task (retention-staff-tasks.ts).
 *
 * A system of record with a batched path (the records table: its connector's `purgeRead` and
 * `purgeErase`) reads each page's candidates once and erases those cleared everywhere together, in
 * BatchWrites across patrons (`purgePage`): the same decisions in the same order, at the cost of
 * the writes rather than of one erasure per patron. R17: there the event is appended before the
 * patron's profile goes, so a crash between the two never leaves a purge without its event.
 */

export const purgeExpiredInput = z.lazy(() =>
  z.strictObject({
    runId,
    /** The system of record searched for expired cards (`expiredPatrons`). */
    systemId: z.string().check(z.minLength(1), z.maxLength(40)),
    /** Cards that expired before this library day go (domain/retention.ts `expiredPatronCutoff`). */
    expiredBefore: z.iso.date(),
    segment: z.number().check(z.int(), z.gte(0), z.lte(63)),
    totalSegments: z.number().check(z.int(), z.gte(1), z.lte(64)),
    pageSize: z.number().check(z.int(), z.gte(1), z.lte(1000)),
    budgetSeconds: z.number().check(z.int(), z.gte(1), z.lte(840)),
    cursor: z.nullable(
      z.strictObject({ pk: z.string().check(z.maxLength(400)), sk: z.string().check(z.maxLength(400)) }),
    ),
    progress: z.strictObject(purgeProgressFields),
    hasMore: z.optional(z.boolean()),
  }),
);
type PurgeExpiredInput = z.infer<typeof purgeExpiredInput>;

/** The audit chain of one patron's purge: the patron's id only (R5). */
export const purgeChain = (patronId: string) => `purge-${patronId}`;

/** Patrons purged at once: enough to hide latency, few enough to leave the table to others. */
const CONCURRENCY = 4;

export async function purgeExpiredSegment(
  deps: Deps,
  o: PurgeExpiredInput,
  deadline: number,
): Promise<PurgeExpiredInput & { hasMore: boolean }> {
  const home = connected(deps, o.systemId);
  const search = home.connector.expiredPatrons?.bind(home.connector);
  if (!search) throw new IntegrityError(`system ${o.systemId} cannot list expired cards`);
  const batched = batchedPath(home.connector);
  const p = { ...o.progress, invocations: o.progress.invocations + 1 };
  const tally = (done: boolean) => {
    if (done) p.purged++;
    else p.kept++;
  };
  let cursor = o.cursor ?? undefined;
  do {
    const page = await search({
      segment: o.segment,
      totalSegments: o.totalSegments,
      cursor,
      expiredBefore: o.expiredBefore,
      pageSize: o.pageSize,
      // The batched path counts them from its own read of each partition.
      countOpenHolds: !batched,
    });
    p.pages++;
    p.scanned += page.scanned;
    p.expired += page.patrons.length;
    if (batched)
      await purgePage(
        deps,
        o.runId,
        home,
        batched,
        page.patrons.map((c) => c.patronId),
        tally,
      );
    else await mapInParallel(page.patrons, CONCURRENCY, async (c) => tally(await purgePatron(deps, o.runId, home, c)));
    cursor = page.cursor;
  } while (cursor && Date.now() < deadline);
  deps.logger.info('purge segment', { runId: o.runId, segment: o.segment, ...p, hasMore: cursor !== undefined });
  return { ...o, cursor: cursor ?? null, hasMore: cursor !== undefined, progress: p };
}

interface Reached {
  system: ConnectedSystem;
  connector: SystemConnector;
}

function connected(deps: Deps, systemId: string): Reached {
  const system = deps.systems.systems.find((s) => s.id === systemId);
  if (!system || !hasConnector(system)) throw new IntegrityError(`system ${systemId} has no connector`);
  return { system, connector: deps.connector(system) };
}

/** Every connected system but the system of record. */
const otherSystems = (deps: Deps, home: Reached): Reached[] =>
  deps.systems.systems.filter((s) => s.id !== home.system.id && hasConnector(s)).map((s) => connected(deps, s.id));

/** Why a patron was kept, as the audit trail records it: codes only (R5). */
type KeptBecause = DeletionBlocker['kind'] | 'legal-hold' | 'holds-waiting';

/** R17: the patron kept, and why (codes and system ids only, R5); one event per run. */
async function auditKept(deps: Deps, runId: string, patronId: string, because: KeptBecause[], systems: string[]) {
  await deps.audit.append(purgeChain(patronId), {
    eventId: `purge-kept:${runId}`,
    type: 'expired-patron-kept',
    actor: { kind: 'system' },
    data: { patron: patronId, runId, because: [...new Set(because)].sort(), systems: [...new Set(systems)].sort() },
  });
  return false;
}

/** R17: the patron purged, in these systems; one event ever (a re-run appends nothing). */
async function auditPurged(deps: Deps, runId: string, patronId: string, systems: string[], pendingCleanup: string[]) {
  await deps.audit.append(purgeChain(patronId), {
    eventId: 'purged',
    type: 'expired-patron-purged',
    actor: { kind: 'system' },
    data: { patron: patronId, runId, systems, pendingCleanup },
  });
}

type Batched = SystemConnector & Required<Pick<SystemConnector, 'purgeRead' | 'purgeErase'>>;
const batchedPath = (c: SystemConnector): Batched | undefined =>
  c.purgeRead && c.purgeErase ? (c as Batched) : undefined;

/**
 * One page of candidates through a system of record with a batched path: each read once there
 * (`purgeRead`), the other systems asked one patron at a time as `purgePatron` asks them, and those
 * cleared everywhere erased there together (`purgeErase`), the system of record last. The same
 * decisions as `purgePatron`, in the same order; a candidate the batched path leaves alone goes
 * through `purgePatron`.
 */
async function purgePage(
  deps: Deps,
  runId: string,
  home: Reached,
  connector: Batched,
  patronIds: readonly string[],
  tally: (purged: boolean) => void,
): Promise<void> {
  const others = otherSystems(deps, home);
  const homeId = home.system.id;
  // R13: with other systems to erase in first, the hold is checked before any of them is touched;
  // otherwise just before the system of record's writes (`purgeErase`), which is then the first.
  const reads = await connector.purgeRead(patronIds, { checkHolds: others.length > 0 });
  // R13: a patron kept anyway is kept for the hold, whatever else keeps them: those not checked
  // above, all at once (one read of the legal-hold registry, LegalHolds.heldAmong).
  const heldKept = await deps.holds.heldAmong(
    reads
      .filter((c) => !c.held && !c.absent && !c.alone && (c.blockers.length > 0 || c.openHolds > 0))
      .map((c) => c.patronId),
  );
  const cleared = new Map<string, { candidate: PurgeCandidate; systems: string[]; pendingCleanup: string[] }>();
  await mapInParallel(reads, CONCURRENCY, async (c) => {
    const keep = (because: KeptBecause[], systems: string[]) => auditKept(deps, runId, c.patronId, because, systems);
    if (c.absent) return tally(true); // gone since the page was read: another night's purge or a deletion finished it
    if (c.alone) return tally(await purgePatron(deps, runId, home, c));
    // R13: a held patron is kept for the hold, whatever else keeps them.
    const held = c.held || heldKept.has(c.patronId);
    if (held) return tally(await keep(['legal-hold'], [homeId]));
    if (c.openHolds > 0) return tally(await keep(['holds-waiting'], [homeId]));
    const elsewhere: { reached: Reached; ref: PatronRef }[] = [];
    for (const reached of others) {
      if (!c.person) break;
      const found = await reached.connector.findPatron(c.person.cardNumber, c.person.lastName);
      if (found.found) elsewhere.push({ reached, ref: found.ref });
    }
    // R8: every blocker in every system first.
    const checks = await Promise.all(
      elsewhere.map(async (r) => ({ id: r.reached.system.id, check: await r.reached.connector.checkBlockers(r.ref) })),
    );
    const blocked = [{ id: homeId, check: { blockers: c.blockers } }, ...checks].filter(
      (x) => x.check.blockers.length > 0,
    );
    if (blocked.length > 0)
      return tally(
        await keep(
          blocked.flatMap((x) => x.check.blockers.map((b) => b.kind)),
          blocked.map((x) => x.id),
        ),
      );
    const pendingCleanup: string[] = [];
    for (const { reached, ref } of elsewhere) {
      const erased = await reached.connector.erase(ref);
      if (erased.result === 'blocked')
        return tally(
          await keep(
            erased.blockers.map((b) => b.kind),
            [reached.system.id],
          ),
        );
      if (erased.result === 'done' && erased.pendingCleanup) pendingCleanup.push(reached.system.id);
    }
    cleared.set(c.patronId, {
      candidate: c,
      systems: [...elsewhere.map((r) => r.reached.system.id), homeId],
      pendingCleanup,
    });
  });
  if (cleared.size === 0) return;
  const out = await connector.purgeErase(
    runId,
    [...cleared.values()].map((x) => x.candidate),
    {
      // R17: each patron's event before their profile goes (purge-batch.ts).
      beforePersonal: async (ids) => {
        await Promise.all(
          ids.map((id) => {
            const x = cleared.get(id);
            return x ? auditPurged(deps, runId, id, x.systems, x.pendingCleanup) : undefined;
          }),
        );
      },
    },
  );
  for (const _ of out.erased) tally(true);
  // R13: a hold placed since the read: nothing more of theirs is touched.
  await mapInParallel(out.held, CONCURRENCY, async (id) =>
    tally(await auditKept(deps, runId, id, ['legal-hold'], [homeId])),
  );
  await mapInParallel(out.alone, CONCURRENCY, async (id) =>
    tally(await purgePatron(deps, runId, home, { patronId: id, openHolds: 0 })),
  );
}

/**
 * One patron: kept (and audited with why) when anything blocks, else erased in every connected
 * system, the system of record last. True when the patron is gone.
 */
export async function purgePatron(
  deps: Deps,
  runId: string,
  home: Reached,
  candidate: { patronId: string; openHolds: number },
): Promise<boolean> {
  const { patronId } = candidate;
  const keep = (because: KeptBecause[], systems: string[]) => auditKept(deps, runId, patronId, because, systems);
  // R13: nothing is deleted or anonymised while a legal hold stands.
  if (await deps.holds.isHeld(patronId)) return keep(['legal-hold'], [home.system.id]);
  if (candidate.openHolds > 0) return keep(['holds-waiting'], [home.system.id]);
  const person = await deps.records.getPatron(patronId);
  if (!person) return true; // gone since the page was read: another night's purge or a deletion finished it

  // R19: the person in every other connected system, found by the card and last name the system of record holds.
  const refs: { reached: Reached; ref: PatronRef }[] = [];
  for (const reached of otherSystems(deps, home)) {
    const found = await reached.connector.findPatron(person.cardNumber, person.lastName);
    if (found.found) refs.push({ reached, ref: found.ref });
  }
  const everywhere = [...refs, { reached: home, ref: { systemId: home.system.id, patronId } }];

  // R8: every blocker in every system first, so that no system erases a patron another one keeps.
  const checks = await Promise.all(
    everywhere.map(async (r) => ({ r, check: await r.reached.connector.checkBlockers(r.ref) })),
  );
  const blocked = checks.filter((c) => c.check.blockers.length > 0);
  if (blocked.length > 0)
    return keep(
      blocked.flatMap((c) => c.check.blockers.map((b) => b.kind)),
      blocked.map((c) => c.r.reached.system.id),
    );

  const pendingCleanup: string[] = [];
  for (const { reached, ref } of everywhere) {
    const erased = await reached.connector.erase(ref);
    if (erased.result === 'blocked')
      return keep(
        erased.blockers.map((b) => b.kind),
        [reached.system.id],
      );
    if (erased.result === 'done' && erased.pendingCleanup) pendingCleanup.push(reached.system.id);
  }
  await auditPurged(
    deps,
    runId,
    patronId,
    everywhere.map((r) => r.reached.system.id),
    pendingCleanup,
  );
  return true;
}
