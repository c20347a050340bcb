import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../../functions/domain/errors.ts';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { LegalHolds } from '../../functions/adapters/dynamodb/legal-holds.ts';
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
