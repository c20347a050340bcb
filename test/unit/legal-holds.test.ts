import { InternalServerError } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../../functions/domain/errors.ts';
import { readRegistry } from '../../functions/adapters/dynamodb/hold-registry.ts';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { LegalHolds, legalHoldEntity } from '../../functions/adapters/dynamodb/legal-holds.ts';
import { useDynalite } from '../support/dynalite.ts';

const TABLE = 'requests';

describe('LegalHolds against dynalite (R13)', () => {
  const dynamo = useDynalite([TABLE]);
  let db: DynamoDBDocumentClient;
  let now = new Date('2026-11-28T15:00:00Z');
  let holds: LegalHolds;

  beforeAll(async () => {
    db = dynamo.db;
    holds = new LegalHolds(db, TABLE, () => now);
  });

  it('R13: a placed hold is active until released; releasing twice changes nothing', async () => {
    expect(await holds.isHeld('P1')).toBe(false);
    const hold = await holds.place({
      holdId: 'h1',
      patronId: 'P1',
      orderId: 'O1',
      placedBy: 'counsel@library.example',
      nondisclosure: true,
    });
    expect(hold).toMatchObject({
      holdId: 'h1',
      patronId: 'P1',
      orderId: 'O1',
      nondisclosure: true,
      placedAt: now.toISOString(),
    });
    expect(await holds.isHeld('P1')).toBe(true);
    expect(await holds.active('P1')).toEqual([hold]);
    const stored = await db.send(new GetCommand({ TableName: TABLE, Key: requestKeys.hold('P1', 'h1') }));
    expect(stored.Item).toMatchObject({ pk: 'HOLD#P1', sk: 'HOLD#h1' });

    const released = await holds.release('P1', 'h1', 'counsel@library.example');
    expect(released).toMatchObject({ releasedBy: 'counsel@library.example', releasedAt: now.toISOString() });
    expect(await holds.isHeld('P1')).toBe(false);
    expect(await holds.release('P1', 'h1', 'someone-else')).toEqual(released);
    await expect(holds.release('P1', 'nope', 'x')).rejects.toThrow(NotFoundError);
  });

  it('R13: placing the same hold again (a retried step) returns the stored one; a different hold under the id is a conflict', async () => {
    const input = { holdId: 'h2', patronId: 'P2', placedBy: 'counsel@library.example', nondisclosure: false };
    const first = await holds.place(input);
    now = new Date(now.getTime() + 60_000);
    expect(await holds.place(input)).toEqual(first);
    await expect(holds.place({ ...input, nondisclosure: true })).rejects.toThrow(ConflictError);
    expect(await holds.list('P2')).toHaveLength(1);
  });

  it('R13: a hold lapses after its day has ended everywhere, or at its instant; one patron’s hold does not hold another', async () => {
    now = new Date('2026-11-28T15:00:00Z');
    await holds.place({
      holdId: 'day',
      patronId: 'P3',
      placedBy: 'counsel',
      nondisclosure: false,
      lapsesOn: '2026-11-30',
    });
    await holds.place({
      holdId: 'instant',
      patronId: 'P4',
      placedBy: 'counsel',
      nondisclosure: false,
      lapsesOn: '2026-11-29T00:00:00Z',
    });
    expect(await holds.isHeld('P3')).toBe(true);
    expect(await holds.isHeld('P4')).toBe(true);
    expect(await holds.isHeld('P5')).toBe(false);
    now = new Date('2026-11-29T00:00:00Z');
    expect(await holds.isHeld('P4')).toBe(false);
    now = new Date('2026-12-01T11:59:59Z'); // still Nov 30 somewhere (UTC-12)
    expect(await holds.isHeld('P3')).toBe(true);
    now = new Date('2026-12-01T12:00:00Z');
    expect(await holds.isHeld('P3')).toBe(false);
    await expect(
      holds.place({ holdId: 'bad', patronId: 'P3', placedBy: 'c', nondisclosure: false, lapsesOn: 'soon' }),
    ).rejects.toThrow(InvalidInputError);
  });
});

/** The client with every command counted by type, and `fail` deciding which ones the table refuses. */
function watched(db: DynamoDBDocumentClient, fail: (command: unknown) => boolean = () => false) {
  const sent: unknown[] = [];
  const client = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown) => {
        sent.push(command);
        // The function dies here: what the SDK throws once its own retries are spent.
        if (fail(command))
          throw new InternalServerError({
            $metadata: { httpStatusCode: 500, attempts: 3 },
            message: 'Internal server error',
          });
        return (target.send as (c: unknown) => Promise<unknown>)(command);
      };
    },
  });
  const queries = () => sent.filter((c) => c instanceof QueryCommand).length;
  return { client, queries };
}

describe('the legal-hold registry against dynalite (R13)', () => {
  const dynamo = useDynalite([TABLE]);
  const now = new Date('2026-11-28T15:00:00Z');
  const counsel = { placedBy: 'counsel@library.example', nondisclosure: false };
  let holds: LegalHolds;
  beforeAll(() => {
    holds = new LegalHolds(dynamo.db, TABLE, () => now);
  });
  /** A hold stored as it was before the registry existed: the hold item alone. */
  const oldHold = (patronId: string, holdId: string) =>
    dynamo.db.send(
      new PutCommand({
        TableName: TABLE,
        Item: legalHoldEntity.item({ holdId, patronId, placedAt: now.toISOString(), ...counsel }),
      }),
    );

  it('R13: until the back-fill completes the registry, every patron is checked: a hold placed before it still holds', async () => {
    await oldHold('OLD1', 'h-old');
    await holds.place({ holdId: 'h-new', patronId: 'NEW1', ...counsel });
    const registry = await readRegistry(dynamo.db, TABLE);
    expect(registry.complete).toBe(false);
    expect([...registry.patrons]).toEqual(['NEW1']);

    const { client, queries } = watched(dynamo.db);
    const reading = new LegalHolds(client, TABLE, () => now);
    expect(await reading.heldAmong(['OLD1', 'NEW1', 'FREE1'])).toEqual(new Set(['OLD1', 'NEW1']));
    expect([...(await reading.activeAmong(['OLD1', 'FREE1'])).keys()]).toEqual(['OLD1']);
    expect(queries()).toBe(5);
  });

  it('R13: the back-fill lists every hold placed before the registry, resumes where it stopped, and only then sets it complete', async () => {
    for (let i = 0; i < 4; i++) await oldHold(`OLD${i + 2}`, `h-old${i + 2}`);
    // One item a page and no time left: each call reads one page and saves where it got to.
    let calls = 0;
    for (let done = false; !done; calls++) {
      done = (await holds.backfillRegistry(0, { pageSize: 1 })).complete;
      // R13: a hold placed while the back-fill runs lists itself.
      if (calls === 1) await holds.place({ holdId: 'h-mid', patronId: 'MID1', ...counsel });
      if (!done) expect((await readRegistry(dynamo.db, TABLE)).complete).toBe(false);
      expect(calls).toBeLessThan(50);
    }
    expect(calls).toBeGreaterThan(3);
    const registry = await readRegistry(dynamo.db, TABLE);
    expect(registry.complete).toBe(true);
    expect([...registry.patrons].sort()).toEqual(['MID1', 'NEW1', 'OLD1', 'OLD2', 'OLD3', 'OLD4', 'OLD5']);
    // Complete: one more call is one read.
    expect(await holds.backfillRegistry(0)).toEqual({ complete: true, added: 0 });

    // Now only the patrons it lists get the precise query.
    const { client, queries } = watched(dynamo.db);
    const reading = new LegalHolds(client, TABLE, () => now);
    expect(await reading.heldAmong(['OLD1', 'FREE1', 'OLD5', 'FREE2', 'MID1'])).toEqual(
      new Set(['OLD1', 'OLD5', 'MID1']),
    );
    expect(queries()).toBe(3);
    expect(await reading.heldAmong(['FREE1', 'FREE2'])).toEqual(new Set());
    expect(queries()).toBe(3);
  });

  it('R13: a crash between the registry add and the hold put leaves the patron listed, and the retried place puts the hold', async () => {
    expect((await readRegistry(dynamo.db, TABLE)).complete).toBe(true);
    const input = { holdId: 'h-crash', patronId: 'CRASH1', ...counsel };
    const dying = watched(dynamo.db, (c) => c instanceof PutCommand);
    await expect(new LegalHolds(dying.client, TABLE, () => now).place(input)).rejects.toThrow(InternalServerError);
    expect((await readRegistry(dynamo.db, TABLE)).patrons.has('CRASH1')).toBe(true);
    expect(await holds.list('CRASH1')).toEqual([]);
    // Listed without a hold: one precise query, which frees nothing that is not free.
    expect(await holds.heldAmong(['CRASH1'])).toEqual(new Set());

    await holds.place(input);
    expect(await holds.heldAmong(['CRASH1', 'FREE1'])).toEqual(new Set(['CRASH1']));
  });

  it('R13: the registry is written before the hold: when its add fails, no hold exists that it does not list', async () => {
    const input = { holdId: 'h-first', patronId: 'FIRST1', ...counsel };
    const refusing = watched(dynamo.db, (c) => c instanceof UpdateCommand);
    await expect(new LegalHolds(refusing.client, TABLE, () => now).place(input)).rejects.toThrow(InternalServerError);
    expect(await holds.list('FIRST1')).toEqual([]);
    expect((await readRegistry(dynamo.db, TABLE)).patrons.has('FIRST1')).toBe(false);
  });

  it('R13: a listed patron whose holds are all released or lapsed is processed: the precise query frees them', async () => {
    await holds.place({ holdId: 'h-rel', patronId: 'REL1', ...counsel });
    await holds.place({ holdId: 'h-lapsed', patronId: 'LAPSED1', ...counsel, lapsesOn: '2026-11-28T14:00:00Z' });
    expect(await holds.heldAmong(['REL1', 'LAPSED1'])).toEqual(new Set(['REL1']));
    await holds.release('REL1', 'h-rel', 'counsel@library.example');
    const registry = await readRegistry(dynamo.db, TABLE);
    expect(registry.patrons.has('REL1') && registry.patrons.has('LAPSED1')).toBe(true);
    expect(await holds.heldAmong(['REL1', 'LAPSED1'])).toEqual(new Set());
    expect((await holds.activeAmong(['REL1', 'LAPSED1'])).size).toBe(0);
  });
});

describe('pruning the legal-hold registry (R13)', () => {
  const dynamo = useDynalite([TABLE]);
  const day = 24 * 60 * 60 * 1000;
  const placedAt = new Date('2026-11-28T15:00:00Z');
  const counsel = { placedBy: 'counsel@library.example', nondisclosure: false };
  const at = (ms: number) => new LegalHolds(dynamo.db, TABLE, () => new Date(placedAt.getTime() + ms));
  const listed = async () => [...(await readRegistry(dynamo.db, TABLE)).patrons].sort();

  it('R13: lets go of patrons whose holds were released or lapsed, and keeps the held and the lately listed', async () => {
    const then = at(0);
    await then.place({ holdId: 'h-a', patronId: 'RELEASED', ...counsel });
    await then.release('RELEASED', 'h-a', 'counsel@library.example');
    await then.place({ holdId: 'h-b', patronId: 'LAPSED', ...counsel, lapsesOn: '2026-11-29' });
    await then.place({ holdId: 'h-c', patronId: 'HELD', ...counsel });
    await then.place({ holdId: 'h-d', patronId: 'TWO', ...counsel });
    await then.place({ holdId: 'h-e', patronId: 'TWO', ...counsel, lapsesOn: '2026-11-29' });
    await then.release('TWO', 'h-d', 'counsel@library.example');
    // Within a day of its listing a patron stays, held or not: a placing may be between its two writes.
    expect(await at(day / 2).pruneRegistry(Number.MAX_SAFE_INTEGER)).toEqual({ complete: true, removed: 0 });
    const lately = at(2.5 * day);
    await lately.place({ holdId: 'h-f', patronId: 'RECENT', ...counsel });
    await lately.release('RECENT', 'h-f', 'counsel@library.example');

    const later = at(3 * day);
    expect(await later.pruneRegistry(Number.MAX_SAFE_INTEGER)).toEqual({ complete: true, removed: 3 });
    expect(await listed()).toEqual(['HELD', 'RECENT']);
    // What it let go of was free; what it kept is still told apart precisely.
    expect(await later.heldAmong(['RELEASED', 'LAPSED', 'TWO', 'HELD', 'RECENT'])).toEqual(new Set(['HELD']));

    // A new hold on a patron let go lists them again.
    await later.place({ holdId: 'h-g', patronId: 'RELEASED', ...counsel });
    expect(await listed()).toEqual(['HELD', 'RECENT', 'RELEASED']);
    expect(await later.heldAmong(['RELEASED'])).toEqual(new Set(['RELEASED']));
  });

  it('R13: a hold placed on a patron while they are pruned keeps them listed', async () => {
    await at(0).place({ holdId: 'h-old', patronId: 'RACED', ...counsel });
    await at(0).release('RACED', 'h-old', 'counsel@library.example');
    const later = at(3 * day);
    // The patron's query found nothing; before the removal lands, counsel places a new hold (the
    // registry first, then the hold), as two Lambdas at once would.
    const racing = new Proxy(dynamo.db, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof UpdateCommand && command.input.UpdateExpression?.startsWith('REMOVE'))
            await later.place({ holdId: 'h-new', patronId: 'RACED', ...counsel });
          return (target.send as (c: unknown) => Promise<unknown>)(command);
        };
      },
    });
    const pruning = new LegalHolds(racing, TABLE, () => new Date(placedAt.getTime() + 3 * day));
    const result = await pruning.pruneRegistry(Number.MAX_SAFE_INTEGER);
    expect(result.complete).toBe(true);
    expect(await listed()).toContain('RACED');
    expect(await later.heldAmong(['RACED'])).toEqual(new Set(['RACED']));
  });

  it('R13: with no time left it takes nothing out and says so; the next call finishes', async () => {
    await at(0).place({ holdId: 'h-x', patronId: 'LATE', ...counsel });
    await at(0).release('LATE', 'h-x', 'counsel@library.example');
    const later = at(4 * day);
    expect(await later.pruneRegistry(0)).toEqual({ complete: false, removed: 0 });
    expect(await listed()).toContain('LATE');
    expect(await later.pruneRegistry(Number.MAX_SAFE_INTEGER)).toMatchObject({ complete: true });
    expect(await listed()).not.toContain('LATE');
  });

  it('R13: an entry whose timestamp cannot be read stays', async () => {
    await dynamo.db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: requestKeys.holdRegistry,
        UpdateExpression: 'SET #patrons.#p = :at',
        ExpressionAttributeNames: { '#patrons': 'patrons', '#p': 'ODD' },
        ExpressionAttributeValues: { ':at': 'not a time' },
      }),
    );
    await at(10 * day).pruneRegistry(Number.MAX_SAFE_INTEGER);
    expect(await listed()).toContain('ODD');
  });
});
