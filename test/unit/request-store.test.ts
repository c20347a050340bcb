import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { RequestStore } from '../../functions/adapters/dynamodb/requests.ts';
import { GoneError, IntegrityError } from '../../functions/domain/errors.ts';
import type { RequestRecord } from '../../functions/domain/request.ts';
import { tombstone } from '../../functions/domain/tombstone.ts';
import { useDynalite } from '../support/dynalite.ts';

const TABLE = 'requests';
const NOW = new Date('2026-11-28T15:00:00.000Z');
const CARD = '21234000012345';

const base = (n: number) => ({
  requestId: `00000000-0000-4000-8000-00000000000${n}`,
  status: 'verifying' as const,
  version: 0,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  dueAt: '2026-12-28T15:00:00.000Z',
  statusKeyHash: 'a'.repeat(64),
  patronId: `P${n}`,
  matched: true,
  verification: { method: 'email-link' as const, verifiedAt: NOW.toISOString() },
});

/** One request of each kind, with the fields only that kind has. */
const ofEveryKind: RequestRecord[] = [
  { ...base(1), kind: 'access', submitted: { cardNumber: CARD, lastName: 'Lovelace' } },
  { ...base(2), kind: 'export' },
  {
    ...base(3),
    kind: 'deletion',
    contactEmail: 'ada@example.org',
    plan: {
      version: 1,
      mode: 'full',
      steps: [{ category: 'personal', action: 'erase', count: 1 }],
      blockers: [],
      stopOutreach: true,
      asOf: '2026-11-28',
      timezone: 'America/New_York',
    },
    outcome: { erased: ['personal'], anonymised: ['library-records'], retained: [] },
  },
  {
    ...base(4),
    kind: 'correction',
    changes: {
      email: 'ada@new.example.org',
      address: { street: '1 Main St', city: 'X', state: 'CT', postalCode: '1' },
    },
  },
  {
    ...base(5),
    kind: 'guardian-access',
    requesterPatronId: 'P50',
    submittedChild: { cardNumber: CARD, lastName: 'Child' },
    guardianLink: 'linked',
    ageBand: 'consent-age',
    guardianLinkCheck: { byStaffId: 'desk@library.example', role: 'circulation', documentKind: 'x', at: '2026-11-28' },
    consent: { decision: 'consent', at: NOW.toISOString(), channel: 'email', categories: ['library-records'] },
  },
  {
    ...base(6),
    kind: 'third-party',
    thirdParty: { categories: ['payments'], name: 'Sam', email: 'sam@example.org', purpose: 'a case' },
    consent: { decision: 'decline', at: NOW.toISOString(), channel: 'in-person', recordedByStaffId: 'desk@x' },
  },
  { ...base(7), kind: 'court-order', orderId: 'o-7', submittedByStaff: 'counsel@library.example' },
];

describe('RequestStore reads every request item through its entity (R5, R16)', () => {
  const dynamo = useDynalite([TABLE]);
  const store = () => new RequestStore(dynamo.db, TABLE, () => NOW);

  it.each(ofEveryKind.map((r) => [r.kind, r] as const))(
    'R5: a %s request round-trips: written, read back equal, with its kind-specific fields and no table attributes',
    async (_kind, r) => {
      await store().create(r);
      expect(await store().get(r.requestId)).toEqual(r);
      expect(await store().findStored(r.requestId)).toEqual(r);
    },
  );

  it('R5: a corrupt request item is an IntegrityError naming the entity and field, never the value', async () => {
    const r = ofEveryKind[0] as RequestRecord;
    await dynamo.db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: requestKeys.request(r.requestId),
        UpdateExpression: 'SET submitted = :s',
        ExpressionAttributeValues: { ':s': { cardNumber: 21234000012345, lastName: 'Lovelace' } },
      }),
    );
    const error = await store()
      .get(r.requestId)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toMatch(/request.*submitted\.cardNumber/);
    expect((error as Error).message).not.toMatch(/21234000012345|Lovelace/);
  });

  it('a step of one kind refuses a request of another (getOf, updateOf): an IntegrityError', async () => {
    const r = ofEveryKind[1] as RequestRecord;
    await expect(store().getOf(r.requestId, 'correction')).rejects.toThrow(IntegrityError);
    await expect(store().updateOf(r.requestId, 'deletion', (d) => d)).rejects.toThrow(IntegrityError);
    expect((await store().getOf(r.requestId, 'export')).kind).toBe('export');
  });

  it('R16: a tombstone is stored as its own type: read as stored, Gone to a live read, and never reduced twice', async () => {
    const live = { ...(ofEveryKind[2] as RequestRecord), status: 'completed' as const, requestId: 'tomb-1' };
    await store().create(live);
    const t = await store().reduceToTombstone('tomb-1', (r) => tombstone(r, NOW));
    expect(t).toMatchObject({ requestId: 'tomb-1', kind: 'deletion', tombstonedAt: NOW.toISOString() });
    expect(await store().findStored('tomb-1')).toEqual(t);
    await expect(store().get('tomb-1')).rejects.toThrow(GoneError);
    expect(await store().reduceToTombstone('tomb-1', () => undefined)).toEqual(t);
    const item = (await dynamo.db.send(new GetCommand({ TableName: TABLE, Key: requestKeys.request('tomb-1') }))).Item;
    expect(JSON.stringify(item)).not.toContain('ada@example.org');
    expect(item).toMatchObject({ gsi2pk: requestKeys.byStatus('completed') });
  });
});
