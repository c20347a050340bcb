import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectedSystem } from '../../functions/connectors/index.ts';
import { newRequestRecord } from '../../functions/domain/new-request.ts';
import { defaultPolicy } from '../../functions/domain/policy.ts';
import { RECORDS_TABLE_ONLY } from '../../functions/domain/systems.ts';
import { buildDeps, createLogger, type Deps } from '../../functions/lib/deps.ts';
import { createHandler } from '../../functions/handlers/task-set-status.ts';
import { HANDLERS_DIR } from '../../infra/paths.ts';
import { partDefines } from '../../infra/store-usage.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { testAuditKey } from '../support/audit-key.ts';
import { useDynalite } from '../support/dynalite.ts';

const NOW = new Date('2026-12-01T10:00:00.000Z');

/**
 * The flags a function's bundle folds (infra/store-usage.ts), set in the environment instead:
 * buildDeps reads the same `process.env.PD_BUNDLE_USES_*` tests when they are not folded.
 */
function stubFlagsOf(fn: string): void {
  for (const [name, value] of Object.entries(partDefines(join(HANDLERS_DIR, `${fn}.ts`))))
    vi.stubEnv(name.replace(/^process\.env\./, ''), JSON.parse(value) as string);
}

describe('a function built with only the stores its code names (issue 15: cold start)', () => {
  const dynamo = useDynalite(['requests', 'records', 'audit']);
  afterEach(() => vi.unstubAllEnvs());

  const deps = (): Deps =>
    buildDeps({
      db: dynamo.db,
      tables: { requests: 'requests', records: 'records', audit: 'audit' },
      baseUrl: 'http://localhost',
      clock: () => NOW,
      auditKey: testAuditKey(),
      logger: createLogger('ERROR'),
    });

  const storedRequest = async (d: Deps) => {
    const { record } = newRequestRecord(
      { kind: 'access', cardNumber: '21234000012345', lastName: 'Lovelace' },
      NOW,
      defaultPolicy,
    );
    await d.requests.create(record);
    return record.requestId;
  };

  it('task-set-status, with its own flags, expires a request: the stores it never names are not needed', async () => {
    stubFlagsOf('task-set-status');
    const d = deps();
    // Withheld, as in its bundle: nothing it runs touches them.
    expect(() => d.orders.get).toThrow('built without court orders (its code never names deps.orders');
    expect(() => d.people.findByCard).toThrow('built without the patron directory');
    expect(() => d.connector(RECORDS_TABLE_ONLY.systems[0] as ConnectedSystem)).toThrow('built without connectors');
    const requestId = await storedRequest(d);
    const handler = createHandler(d);
    expect(await handler({ requestId, status: 'expired' }, lambdaContext('task-set-status'))).toEqual({
      status: 'expired',
    });
  });

  it('a handler that uses a store its bundle was built without fails, naming the store', async () => {
    stubFlagsOf('task-set-status');
    // A wrong flag: expiring a request revokes its links (deps.tokens), which this build lacks.
    vi.stubEnv('PD_BUNDLE_USES_TOKENS', 'false');
    const d = deps();
    const requestId = await storedRequest(d);
    const failed = await createHandler(d)({ requestId, status: 'expired' }, lambdaContext('task-set-status')).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // A typed error keeps its message through the task wrapper (R5: it names a store, no patron).
    expect(failed?.name).toBe('WithheldPortError');
    expect(failed?.message).toMatch(/built without link tokens \(its code never names deps\.tokens/);
  });

  it("the records table's connector, built for a function that only finds and reads patrons, refuses to erase, naming the operation", async () => {
    stubFlagsOf('task-request-verification');
    const system = RECORDS_TABLE_ONLY.systems[0] as ConnectedSystem;
    const connector = deps().connector(system);
    const ref = { systemId: system.id, patronId: 'P-0001' };
    await expect(connector.erase(ref)).rejects.toThrow(/built without the records table's erase/);
    await expect(connector.checkBlockers(ref)).rejects.toThrow(/built without the records table's checkBlockers/);
    // What it does call is there: nobody of that card in an empty table.
    expect((await connector.findPatron('21234000012345', 'Lovelace')).found).toBe(false);
  });

  it('unset (the local runtime, tests): every store is built, as before', () => {
    const d = deps();
    expect(() => d.orders.get).not.toThrow();
    expect(() => d.tokens.revokeAll).not.toThrow();
    expect(() => d.people.findByCard).not.toThrow();
  });
});
