import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { purgeChain } from '../../functions/app/purge-expired.ts';
import { datasetToItems, parseDataset } from '../../functions/connectors/records-table/load-dataset.ts';
import { isoDateIn } from '../../functions/domain/age.ts';
import { defaultPolicy, policySchema, type Policy } from '../../functions/domain/policy.ts';
import { addDays } from '../../functions/domain/retention.ts';
import { createHandler as startRetention } from '../../functions/handlers/start-retention.ts';
import { emptyPatronReport } from '../support/report.ts';
import { RECORDS_TABLE } from '../../local/runtime.ts';
import { partitionItems, putItems } from '../support/dynalite.ts';
import { expectNoPersonalData } from '../support/executions.ts';
import { kohaSpecAvailable, startKohaSimulator, type KohaSimulator } from '../support/koha-simulator/index.ts';
import type { TestRuntime } from '../support/runtime.ts';
import { startRuntimeWithSystems } from '../support/systems.ts';

/**
 * R16, R8, R13, R19: the nightly purge of patrons whose card expired more than
 * `retention.expiredPatronAfterDays` ago, through the real retention workflow, handlers, dynalite and
 * the Koha simulator beside the records table. The period is read back from the rendered report
 * (never a copy of its words): a card that expired one day longer ago than the printed period goes,
 * in every system (Koha first, the system of record last); one that expired exactly the printed period
 * ago stays. Every blocker keeps the patron, in every system, with the reason on the audit trail;
 * nobody is emailed.
 */

type Item = Record<string, unknown>;
/** Noon in New York: the run's library day is 2026-06-01. */
const RUN_AT = Date.parse('2026-06-01T16:00:00.000Z');
const TZ = 'America/New_York';
const RUN_DAY = isoDateIn(new Date(RUN_AT), TZ);
const KOHA_SPEC = kohaSpecAvailable();

const policy: Policy = policySchema.parse({
  ...structuredClone(defaultPolicy),
  retention: { ...defaultPolicy.retention, expiredPatronAfterDays: 1000 },
});

const report = (p: Policy) => emptyPatronReport({ library: 'Purge Library', timezone: TZ, at: RUN_AT, policy: p });

/** The purge period the report prints, as a reader sees it: the number of days in its statement. */
function printedPurgeDays(html: string): number | undefined {
  const statement = /<li data-retention-purge="[^"]*">([^<]*)<\/li>/.exec(html)?.[1];
  expect(statement, 'the report states the purge of expired cards').toBeDefined();
  const m = /more than (\d+) days? ago/.exec(statement ?? '');
  return m ? Number(m[1]) : undefined;
}

const PRINTED = printedPurgeDays(report(policy)) ?? Number.NaN;
const expiredDaysAgo = (days: number) => addDays(RUN_DAY, -days);

interface TestPatron {
  id: string;
  cardNumber: string;
  lastName: string;
  email: string;
  expiresOn: string;
  /** Also a patron in Koha, with a checkout still out there when `kohaLoan`. */
  inKoha?: { kohaLoan?: boolean };
}

const patron = (n: number, id: string, expiresOn: string, inKoha?: TestPatron['inKoha']): TestPatron => ({
  id,
  cardNumber: `2123400077${String(n).padStart(4, '0')}`,
  lastName: `Purgetest${id.replace(/[^A-Z]/g, '')}`,
  email: `${id.toLowerCase()}@patrons.example`,
  expiresOn,
  ...(inKoha ? { inKoha } : {}),
});

/** One day past the printed period: goes. Exactly the printed period: stays. */
const GONE = patron(1, 'X-GONE', expiredDaysAgo(PRINTED + 1), {});
const EDGE = patron(2, 'X-EDGE', expiredDaysAgo(PRINTED));
const LOAN = patron(3, 'X-LOAN', expiredDaysAgo(PRINTED + 400));
const KOHA_LOAN = patron(4, 'X-KOHALOAN', expiredDaysAgo(PRINTED + 400), { kohaLoan: true });
const HELD = patron(5, 'X-HELD', expiredDaysAgo(PRINTED + 400));
const HOLD_WAITING = patron(6, 'X-HOLDWAIT', expiredDaysAgo(PRINTED + 400));
const ACTIVE = patron(7, 'X-ACTIVE', addDays(RUN_DAY, 300));
const OLD_CLEAR = patron(8, 'X-OLDCLEAR', expiredDaysAgo(PRINTED + 2000));
const ALL = [GONE, EDGE, LOAN, KOHA_LOAN, HELD, HOLD_WAITING, ACTIVE, OLD_CLEAR];

const dataset = parseDataset({
  library: { name: 'Purge Library', timezone: TZ },
  staff: [{ name: 'Pat Staff', email: 'pat.staff@library.example', roles: ['circulation'] }],
  patrons: ALL.map((p) => ({
    id: p.id,
    cardNumber: p.cardNumber,
    firstName: 'Test',
    lastName: p.lastName,
    dateOfBirth: '1970-03-04',
    email: p.email,
    enrolledOn: '2010-01-01',
    expiresOn: p.expiresOn,
  })),
  loans: [
    ...[GONE, OLD_CLEAR].map((p) => ({
      id: `L-${p.id}`,
      patronId: p.id,
      itemId: 'I-1',
      title: 'An old book',
      checkedOutAt: '2019-01-02T10:00:00Z',
      dueAt: '2019-01-23T10:00:00Z',
      returnedAt: '2019-01-20T10:00:00Z',
    })),
    {
      id: `L-${LOAN.id}`,
      patronId: LOAN.id,
      itemId: 'I-2',
      title: 'Never returned',
      checkedOutAt: '2020-01-02T10:00:00Z',
      dueAt: '2020-01-23T10:00:00Z',
    },
  ],
  holds: [
    {
      id: `H-${HOLD_WAITING.id}`,
      patronId: HOLD_WAITING.id,
      title: 'Waited for',
      placedAt: '2021-01-01T10:00:00Z',
      status: 'ready',
    },
  ],
});

const SYSTEMS = (koha: KohaSimulator) => ({
  systems: [
    {
      id: 'records',
      type: 'records-table',
      name: 'Privacy Desk records',
      identity: true,
      categories: ['personal', 'credentials', 'library-records', 'payments', 'donations', 'shared-content'],
    },
    {
      id: 'ils',
      type: 'koha',
      name: 'Koha',
      baseUrl: koha.baseUrl,
      auth: { type: 'basic', userEnv: 'PD_TEST_PURGE_KOHA_USER', passwordEnv: 'PD_TEST_PURGE_KOHA_PASSWORD' },
      categories: ['personal', 'credentials', 'library-records', 'payments'],
    },
  ],
});

type AuditData = Record<string, unknown>;

describe.skipIf(!KOHA_SPEC)('the nightly purge of long-expired cards (R16, R8, R13, R19)', () => {
  let rt: TestRuntime;
  let koha: KohaSimulator;
  const kohaIds = new Map<string, number>();
  let result: Record<string, unknown> | undefined;
  let executionId: string;

  const profileOf = async (p: TestPatron) =>
    (await partitionItems(rt.db, RECORDS_TABLE, recordKeys.patronPartition(p.id))).find(
      (i: Item) => i.sk === recordKeys.patron(p.id).sk,
    );
  const auditOf = async (p: TestPatron) => rt.deps.audit.list(purgeChain(p.id));

  beforeAll(async () => {
    process.env.PD_TEST_PURGE_KOHA_USER = 'privacy-desk';
    process.env.PD_TEST_PURGE_KOHA_PASSWORD = 'purge-password';
    koha = await startKohaSimulator({ basicUsers: [{ user: 'privacy-desk', password: 'purge-password' }] });
    for (const p of ALL.filter((x) => x.inKoha)) {
      const id = koha.data.addPatron({ cardnumber: p.cardNumber, surname: p.lastName, firstname: 'Test' });
      koha.data.addReturnedCheckouts(id, 2);
      if (p.inKoha?.kohaLoan) koha.data.addCheckout(id);
      kohaIds.set(p.id, id);
    }
    const offset = RUN_AT - Date.now();
    rt = await startRuntimeWithSystems(SYSTEMS(koha), { clock: () => new Date(Date.now() + offset), policy });
    await putItems(
      rt.db,
      RECORDS_TABLE,
      datasetToItems(dataset).filter((i) => String(i.pk).startsWith(recordKeys.patronPartition(''))),
    );
    await rt.deps.holds.place({
      holdId: 'H-purge',
      patronId: HELD.id,
      placedBy: 'counsel@library.example',
      nondisclosure: true,
    });
    ({ executionId } = await startRetention(rt.deps)({ runId: 'purge', totalSegments: 2 }));
    await rt.engine.whenDone(executionId);
    expect(await rt.engine.status(executionId)).toBe('SUCCEEDED');
    const finish = rt.engine
      .history(executionId)
      .find((e) => e.type === 'StateExited' && e.state === 'FinishRetention');
    result = (finish?.output as { result?: Record<string, unknown> } | undefined)?.result;
  }, 120_000);
  afterAll(async () => {
    await rt?.cleanup();
    await koha?.close();
  });

  it('R18: the report prints the purge period the policy configures', () => {
    expect(PRINTED).toBe(policy.retention.expiredPatronAfterDays);
  });

  it('R16, R8, R19: a card expired longer ago than the printed period, nothing open: gone in every system, the system of record last, audited by id', async () => {
    for (const p of [GONE, OLD_CLEAR]) {
      expect(await profileOf(p), `${p.id} in the records table`).toBeUndefined();
      expect(await rt.deps.records.findPatronByCard(p.cardNumber)).toBeUndefined();
      const [event] = (await auditOf(p)).filter((e) => e.type === 'expired-patron-purged');
      expect(event?.data).toMatchObject({ patron: p.id, runId: 'purge' });
      // R19: reached in every system that holds them, the system of record last.
      expect((event?.data as AuditData).systems).toEqual(p.inKoha ? ['ils', 'records'] : ['records']);
    }
    // Koha: deleted (its deletedborrowers copy waits for Koha's cleanup job, said on the event).
    const id = kohaIds.get(GONE.id) ?? -1;
    expect(koha.data.patrons.has(id)).toBe(false);
    expect(koha.data.deletedPatrons.has(id)).toBe(true);
    const [gone] = (await auditOf(GONE)).filter((e) => e.type === 'expired-patron-purged');
    expect((gone?.data as AuditData).pendingCleanup).toEqual(['ils']);
    expect(result).toMatchObject({ complete: true, patronsPurged: 2 });
  });

  it('R16, R18: a card that expired exactly the printed period ago, and an active card, are kept and not even looked at', async () => {
    for (const p of [EDGE, ACTIVE]) {
      expect(await profileOf(p), p.id).toBeDefined();
      expect(await auditOf(p), p.id).toEqual([]);
    }
  });

  it.each([
    ['R8: an item still on loan', LOAN, ['on-loan'], ['records']],
    ['R8, R19: an item on loan in Koha keeps the patron in the records table too', KOHA_LOAN, ['on-loan'], ['ils']],
    ['R13: a legal hold', HELD, ['legal-hold'], ['records']],
    ['R8: a hold waiting for the patron', HOLD_WAITING, ['holds-waiting'], ['records']],
  ] as const)(
    '%s: the expired patron is kept everywhere and the reason audited by id',
    async (_, p, because, systems) => {
      expect(await profileOf(p), `${p.id} in the records table`).toBeDefined();
      const kohaId = kohaIds.get(p.id);
      if (kohaId !== undefined) expect(koha.data.patrons.has(kohaId)).toBe(true);
      const events = await auditOf(p);
      expect(events.filter((e) => e.type === 'expired-patron-purged')).toEqual([]);
      const [kept] = events.filter((e) => e.type === 'expired-patron-kept');
      expect(kept?.data).toEqual({ patron: p.id, runId: 'purge', because: [...because], systems: [...systems] });
      expect(result).toMatchObject({ patronsKept: 4 });
    },
  );

  it('R5: no patron is emailed, and neither the execution nor the audit trail names anyone', async () => {
    const mail = await rt.mail.all();
    for (const p of ALL) expect(mail.flatMap((m) => m.destination.to)).not.toContain(p.email);
    expectNoPersonalData(rt, executionId, ALL, 'PurgeExpiredSegment');
    const audit = JSON.stringify(await Promise.all(ALL.map(auditOf)));
    for (const p of ALL) for (const v of [p.cardNumber, p.lastName, p.email]) expect(audit).not.toContain(v);
  });

  it('R16: a second run the same night changes nothing and appends no second event', async () => {
    const { executionId: again } = await startRetention(rt.deps)({ runId: 'purge-again', totalSegments: 2 });
    await rt.engine.whenDone(again);
    expect(await rt.engine.status(again)).toBe('SUCCEEDED');
    for (const p of [GONE, OLD_CLEAR]) {
      expect((await auditOf(p)).filter((e) => e.type === 'expired-patron-purged')).toHaveLength(1);
    }
    expect(await profileOf(LOAN)).toBeDefined();
  });
});

describe('the purge is off unless the policy sets a period (R16, R18)', () => {
  it('R18: the default policy says an expired card is not deleted automatically, and sets no period', () => {
    expect(defaultPolicy.retention.expiredPatronAfterDays).toBeNull();
    const html = report(defaultPolicy);
    expect(/<li data-retention-purge="off">([^<]*)<\/li>/.exec(html)?.[1]).toMatch(/not deleted automatically/);
  });
});
