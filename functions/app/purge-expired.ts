import * as z from '../domain/zod.ts';
import { hasConnector, type ConnectedSystem } from '../connectors/index.ts';
import type { DeletionBlocker, PatronRef, SystemConnector } from '../connectors/port.ts';
import { IntegrityError } from '../domain/errors.ts';
import type { Deps } from '../lib/deps.ts';

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
 */

const count = z.number().check(z.int(), z.gte(0));

export const purgeProgressFields = {
  scanned: count,
  expired: count,
  purged: count,
  kept: count,
  pages: count,
  invocations: count,
};

export const purgeExpiredInput = z.lazy(() =>
  z.strictObject({
    runId: z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/)),
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
  const p = { ...o.progress, invocations: o.progress.invocations + 1 };
  let cursor = o.cursor ?? undefined;
  do {
    const page = await search({
      segment: o.segment,
      totalSegments: o.totalSegments,
      cursor,
      expiredBefore: o.expiredBefore,
      pageSize: o.pageSize,
    });
    p.pages++;
    p.scanned += page.scanned;
    p.expired += page.patrons.length;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < page.patrons.length; i = next++) {
        const candidate = page.patrons[i];
        if (!candidate) continue;
        const done = await purgePatron(deps, o.runId, home, candidate);
        if (done) p.purged++;
        else p.kept++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, page.patrons.length) }, worker));
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

/** Why a patron was kept, as the audit trail records it: codes only (R5). */
type KeptBecause = DeletionBlocker['kind'] | 'legal-hold' | 'holds-waiting';

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
  const chain = purgeChain(patronId);
  const keep = async (because: KeptBecause[], systems: string[]) => {
    await deps.audit.append(chain, {
      eventId: `purge-kept:${runId}`,
      type: 'expired-patron-kept',
      actor: { kind: 'system' },
      data: { patron: patronId, runId, because: [...new Set(because)].sort(), systems: [...new Set(systems)].sort() },
    });
    return false;
  };
  // R13: nothing is deleted or anonymised while a legal hold stands.
  if (await deps.holds.isHeld(patronId)) return keep(['legal-hold'], [home.system.id]);
  if (candidate.openHolds > 0) return keep(['holds-waiting'], [home.system.id]);
  const person = await deps.records.getPatron(patronId);
  if (!person) return true; // gone since the page was read: another night's purge or a deletion finished it

  // R19: the person in every other connected system, found by the card and last name the system of record holds.
  const refs: { reached: Reached; ref: PatronRef }[] = [];
  for (const system of deps.systems.systems) {
    if (system.id === home.system.id || !hasConnector(system)) continue;
    const reached = connected(deps, system.id);
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
  await deps.audit.append(chain, {
    eventId: 'purged',
    type: 'expired-patron-purged',
    actor: { kind: 'system' },
    data: { patron: patronId, runId, systems: everywhere.map((r) => r.reached.system.id), pendingCleanup },
  });
  return true;
}
