import { createHmac, randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { parseDataset, datasetToItems } from '../../functions/connectors/records-table/load-dataset.ts';
import { fingerprintsOf } from '../../functions/connectors/records-table/erasure-memory.ts';
import { KmsFingerprinter } from '../../functions/adapters/kms-fingerprinter.ts';
import {
  erasedPatronIds,
  fingerprintMessage,
  withoutErased,
  type ErasureMemory,
  type FingerprintKind,
} from '../../functions/domain/erasure-memory.ts';
import { IntegrityError, TransientError } from '../../functions/domain/errors.ts';
import { LocalFingerprinter } from '../../local/fingerprinter.ts';

const NY = 'America/New_York';
const KEY = randomBytes(32);
const hmac = (kind: FingerprintKind, value: string) =>
  createHmac('sha256', KEY).update(fingerprintMessage(kind, value)).digest('hex');

/** A memory that remembers `prints`, fingerprinting as the local key does. */
const memoryOf = (prints: string[]): ErasureMemory => ({ remembered: new Set(prints), fingerprint: hmac });

const patron = (id: string, cardNumber: string, over: Record<string, unknown> = {}) => ({
  id,
  cardNumber,
  firstName: `First${id}`,
  lastName: `Last${id}`,
  dateOfBirth: '1980-01-01',
  ...over,
});

const owned = (id: string, patronId: string) => ({ id, patronId });

/** E1 is remembered by id, E2 by card (a new id in a later export), K stays; E1 guarantees K's card. */
const dataset = parseDataset({
  library: { name: 'Test', timezone: NY },
  staff: [{ email: 'po@library.example', name: 'PO', roles: ['privacy-officer'] }],
  patrons: [
    patron('E1', '900000000001'),
    patron('E2-NEW', '900000000002', { guarantorIds: ['E1'] }),
    patron('K', '900000000003', { guarantorIds: ['E1'] }),
    patron('K2', '900000000004'),
  ],
  loans: [
    {
      ...owned('L1', 'E1'),
      itemId: 'I1',
      title: 'T',
      checkedOutAt: '2026-01-01T10:00:00Z',
      dueAt: '2026-01-15T10:00:00Z',
      returnedAt: '2026-01-10T10:00:00Z',
    },
    {
      ...owned('L2', 'K'),
      itemId: 'I2',
      title: 'T',
      checkedOutAt: '2026-01-01T10:00:00Z',
      dueAt: '2026-01-15T10:00:00Z',
    },
  ],
  holds: [{ ...owned('H1', 'E2-NEW'), title: 'T', placedAt: '2026-01-01T10:00:00Z', status: 'waiting' }],
  fines: [{ ...owned('F1', 'E1'), amount: 2, outstanding: 0, reason: 'late', createdAt: '2026-01-01T10:00:00Z' }],
  programs: [{ ...owned('G1', 'E2-NEW'), title: 'Story time', date: '2026-01-03', attended: true }],
  donations: [{ ...owned('D1', 'E1'), amount: 20, date: '2026-01-04' }],
  sharedContent: [
    { ...owned('S1', 'E2-NEW'), kind: 'review', title: 'R', text: 'Loved it', createdAt: '2026-01-05T10:00:00Z' },
    { ...owned('S2', 'K2'), kind: 'list', title: 'L', text: 'Mine', createdAt: '2026-01-05T10:00:00Z' },
  ],
});

const remembered = memoryOf([hmac('patron-id', 'E1'), hmac('card', '900000000002')]);
const ERASED_IDS = ['E1', 'E2-NEW'];

describe('erasure memory: a load never brings back an erased person (R8)', () => {
  it('R8: finds the erased by patron id or by card, and nobody else', () => {
    expect([...erasedPatronIds(dataset, remembered)].sort()).toEqual(ERASED_IDS);
    expect(erasedPatronIds(dataset, memoryOf([])).size).toBe(0);
  });

  it('R8: skips a remembered person and every record and guarantee link naming them; counts only', () => {
    const { dataset: kept, skipped } = withoutErased(dataset, remembered);
    expect(kept.patrons.map((p) => p.id)).toEqual(['K', 'K2']);
    expect(kept.patrons.find((p) => p.id === 'K')?.guarantorIds).toEqual([]);
    for (const key of ['loans', 'holds', 'fines', 'programs', 'donations', 'sharedContent'] as const) {
      for (const r of kept[key]) expect(ERASED_IDS).not.toContain(r.patronId);
    }
    expect(kept.loans.map((l) => l.id)).toEqual(['L2']);
    expect(kept.sharedContent.map((s) => s.id)).toEqual(['S2']);
    // 6 records (L1 F1 D1 H1 G1 S1), E2-NEW's link under E1 and K's link under E1.
    expect(skipped).toEqual({ patrons: 2, records: 8 });
  });

  it('R8: datasetToItems writes nothing of a remembered person, and everything of the others', () => {
    const items = datasetToItems(dataset, remembered);
    const text = JSON.stringify(items);
    for (const gone of [...ERASED_IDS, '900000000001', '900000000002', 'LastE1', 'Loved it']) {
      expect(text).not.toContain(gone);
    }
    expect(items.filter((i) => i.kind === 'PATRON').map((i) => i.id)).toEqual(['K', 'K2']);
    expect(items.filter((i) => i.kind === 'GUARANTEE')).toEqual([]);
    expect(items.filter((i) => i.kind === 'LOAN').map((i) => i.id)).toEqual(['L2']);
    expect(items.at(-1)?.kind).toBe('LIBRARY');
  });

  it('R8: with nothing remembered the load is what it always was', () => {
    const items = datasetToItems(dataset);
    expect(items).toEqual(datasetToItems(dataset, memoryOf([])));
    expect(items.filter((i) => i.kind === 'PATRON')).toHaveLength(4);
    expect(items.filter((i) => i.kind === 'GUARANTEE')).toHaveLength(2);
  });

  it('R8: a card is fingerprinted the same however it is typed; kinds never collide', async () => {
    const local = new LocalFingerprinter(KEY);
    const print = await local.fingerprint('card', '900000000002');
    expect(await local.fingerprint('card', ' 9000-0000 0002 ')).toBe(print);
    expect(await local.fingerprint('patron-id', '900000000002')).not.toBe(print);
    expect(print).toMatch(/^[0-9a-f]{64}$/);
    expect(print).toBe(hmac('card', '900000000002'));
  });

  it('R8: a fingerprint is only ever a MAC: an identifier is refused before it could be stored', async () => {
    const echo = { fingerprint: (_kind: FingerprintKind, value: string) => Promise.resolve(value) };
    await expect(fingerprintsOf(echo, { patronId: 'E1', cardNumber: '900000000001' })).rejects.toThrow(IntegrityError);
    const prints = await fingerprintsOf(new LocalFingerprinter(KEY), { patronId: 'E1', cardNumber: '900000000001' });
    expect(prints).toEqual([hmac('patron-id', 'E1'), hmac('card', '900000000001')]);
  });
});

describe('KmsFingerprinter (R8)', () => {
  /** A KMS stand-in: GenerateMac with a local key, or the error given. */
  const fakeKms = (sent: unknown[], fail?: Error) =>
    ({
      send: (command: { input: { KeyId: string; MacAlgorithm: string; Message: Uint8Array } }) => {
        sent.push(command.input);
        if (fail) return Promise.reject(fail);
        return Promise.resolve({
          Mac: new Uint8Array(createHmac('sha256', KEY).update(command.input.Message).digest()),
        });
      },
    }) as unknown as KMSClient;

  it('R8: asks KMS for HMAC_SHA_256 of the shared message, and agrees with the local fingerprinter on the same key', async () => {
    const sent: unknown[] = [];
    const kms = new KmsFingerprinter('key-1', { client: fakeKms(sent) });
    expect(await kms.fingerprint('card', '900000000002')).toBe(
      await new LocalFingerprinter(KEY).fingerprint('card', '900000000002'),
    );
    expect(sent).toEqual([
      {
        KeyId: 'key-1',
        MacAlgorithm: 'HMAC_SHA_256',
        Message: new TextEncoder().encode(fingerprintMessage('card', '900000000002')),
      },
    ]);
  });

  it('R8: throttling is transient; a refusal is permanent; neither names the identifier (R5)', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    const a = new KmsFingerprinter('key-1', { client: fakeKms([], throttled) });
    const b = new KmsFingerprinter('key-1', { client: fakeKms([], denied) });
    const e1 = await a.fingerprint('card', '900000000002').catch((e: unknown) => e);
    const e2 = await b.fingerprint('card', '900000000002').catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(TransientError);
    expect(e2).toBeInstanceOf(IntegrityError);
    for (const e of [e1, e2]) expect(String((e as Error).message)).not.toContain('900000000002');
  });
});
