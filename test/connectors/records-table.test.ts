import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { readRegistry } from '../../functions/adapters/dynamodb/hold-registry.ts';
import { LegalHolds, legalHoldEntity } from '../../functions/adapters/dynamodb/legal-holds.ts';
import { connectorFor, hasConnector, type ConnectorDeps } from '../../functions/connectors/index.ts';
import { KohaConnector } from '../../functions/connectors/koha/index.ts';
import type { PatronRef, RecordPage, SystemConnector } from '../../functions/connectors/port.ts';
import { RecordsTableConnector } from '../../functions/connectors/records-table/connector.ts';
import { LibraryRecords } from '../../functions/connectors/records-table/library-records.ts';
import { datasetToItems, parseDataset } from '../../functions/connectors/records-table/load-dataset.ts';
import { ConnectorError } from '../../functions/domain/errors.ts';
import { defaultPolicy, policySchema, type Policy } from '../../functions/domain/policy.ts';
import { retentionCutoffs } from '../../functions/domain/retention.ts';
import type { SystemConfig } from '../../functions/domain/systems.ts';
import { checkConnectorContract } from '../support/connector-contract.ts';
import { putItems, useDynalite } from '../support/dynalite.ts';
import { kohaSpecAvailable, startKohaSimulator } from '../support/koha-simulator/index.ts';

const RECORDS = 'library-records';
const REQUESTS = 'requests';
const NY = 'America/New_York';
const NOW = new Date('2026-11-28T15:00:00Z');
const clock = () => NOW;
const SYSTEM = 'library';

type Item = Record<string, unknown>;

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'no error',
    (e: unknown) => e,
  );

async function collect(pages: AsyncIterable<RecordPage>): Promise<RecordPage[]> {
  const out: RecordPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

/** A patron of the small dataset; each test uses its own ids and cards, so tests never share a patron. */
const patron = (id: string, card: string, over: Record<string, unknown> = {}) => ({
  id,
  cardNumber: card,
  firstName: 'Róisín',
  lastName: `O’Dáire-${id}`,
  dateOfBirth: '1980-01-01',
  email: `${id.toLowerCase()}@example.org`,
  ...over,
});
const loan = (id: string, patronId: string, returnedAt: string | null) => ({
  id,
  patronId,
  itemId: `I-${id}`,
  title: `Title ${id}`,
  branch: 'Main',
  checkedOutAt: '2026-01-02T10:00:00Z',
  dueAt: '2026-01-23T10:00:00Z',
  returnedAt,
});
const RETURNED = '2026-01-20T10:00:00Z';

describe('records-table connector against dynalite (R19)', () => {
  const dynamo = useDynalite([RECORDS, REQUESTS]);
  let db: DynamoDBDocumentClient;
  let holds: LegalHolds;

  beforeAll(async () => {
    db = dynamo.db;
    holds = new LegalHolds(db, REQUESTS, clock);
  });

  const connector = (over: { policy?: Policy; categories?: SystemConfig['categories'] } = {}) =>
    new RecordsTableConnector(
      { db, recordsTable: RECORDS, holds, policy: over.policy ?? defaultPolicy, clock },
      { systemId: SYSTEM, ...(over.categories ? { categories: over.categories } : {}) },
    );
  const ref = (patronId: string): PatronRef => ({ systemId: SYSTEM, patronId });

  /** Loads a small dataset (with the library's time zone) through the loader's own item mapping. */
  const load = async (d: Record<string, unknown>) => {
    const parsed = parseDataset({
      library: { name: 'Test Library', timezone: NY },
      staff: [{ email: 'po@library.example', name: 'PO', roles: ['privacy-officer'] }],
      ...d,
    });
    const items = datasetToItems(parsed).filter((i) => i.kind !== 'STAFF');
    for (let i = 0; i < items.length; i += 25)
      await db.send(
        new BatchWriteCommand({
          RequestItems: { [RECORDS]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
  };
  const profile = async (patronId: string): Promise<Item | undefined> =>
    (await db.send(new GetCommand({ TableName: RECORDS, Key: recordKeys.patron(patronId), ConsistentRead: true })))
      .Item;
  const partition = async (patronId: string): Promise<Item[]> =>
    (
      await db.send(
        new QueryCommand({
          TableName: RECORDS,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': recordKeys.patronPartition(patronId) },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  const setOnRecord = (patronId: string, sk: string, field: string, value: unknown) =>
    db.send(
      new UpdateCommand({
        TableName: RECORDS,
        Key: { pk: recordKeys.patronPartition(patronId), sk },
        UpdateExpression: 'SET #f = :v',
        ExpressionAttributeNames: { '#f': field },
        ExpressionAttributeValues: { ':v': value },
      }),
    );

  it('R19 R7: finds a patron by card and checks the last name (case, accents, apostrophes aside)', async () => {
    await load({ patrons: [patron('F1', '31000000001')] });
    const c = connector();
    expect(await c.findPatron('31000000001', "o'daire-f1")).toEqual({ found: true, ref: ref('F1') });
    expect(await c.findPatron(' 31000000001 ', 'O’DÁIRE-F1')).toEqual({ found: true, ref: ref('F1') });
    expect(await c.findPatron('31000000001', 'Byrne')).toEqual({ found: false, reason: 'name-mismatch' });
    expect(await c.findPatron('31000000009', 'O’Dáire-F1')).toEqual({ found: false, reason: 'unknown-card' });
  });

  it('R19: reads personal data and credentials, never a password hash or a security answer', async () => {
    await load({
      patrons: [
        patron('P1', '31000000011', {
          phone: '+12035550100',
          address: { street: '1 Main St', city: 'Greenwich', state: 'CT', postalCode: '06830' },
          enrolledOn: '2020-02-02',
          username: 'roisin',
          passwordHash: '$2b$12$secret-hash-value',
          securityQuestions: [{ question: 'First pet?', answerHash: '$2b$12$answer-hash-value' }],
          paymentMethods: [
            { type: 'visa', last4: '4242' },
            { type: 'mastercard', last4: '5555' },
          ],
          linkedAccounts: [{ service: 'Libby', externalId: 'lb-77' }],
        }),
      ],
    });
    const c = connector();
    const personal = await collect(c.readRecords(ref('P1'), 'personal', { pageSize: 2 }));
    expect(personal.map((p) => p.records.length)).toEqual([2, 2]);
    expect(personal.flatMap((p) => p.records)).toEqual([
      {
        type: 'profile',
        id: 'P1',
        cardNumber: '31000000011',
        firstName: 'Róisín',
        lastName: 'O’Dáire-P1',
        dateOfBirth: '1980-01-01',
        email: 'p1@example.org',
        phone: '+12035550100',
        address: { street: '1 Main St', city: 'Greenwich', state: 'CT', postalCode: '06830' },
        enrolledOn: '2020-02-02',
        expiresOn: null,
      },
      { type: 'payment-method', id: 'P1-pm-0', methodType: 'visa', last4: '4242' },
      { type: 'payment-method', id: 'P1-pm-1', methodType: 'mastercard', last4: '5555' },
      { type: 'linked-account', id: 'P1-la-0', service: 'Libby', externalId: 'lb-77' },
    ]);
    const credentials = (await collect(c.readRecords(ref('P1'), 'credentials'))).flatMap((p) => p.records);
    expect(credentials).toEqual([
      { type: 'username', id: 'P1', username: 'roisin' },
      { type: 'login-secrets', id: 'P1', passwordSet: true, securityQuestions: 1 },
    ]);
    expect(JSON.stringify(credentials)).not.toMatch(/hash|First pet/);
  });

  it('R19: reads library records kind by kind, in pages no larger than asked, titles included', async () => {
    const id = 'L1';
    await load({
      patrons: [patron(id, '31000000021')],
      loans: [loan('L1-a', id, null), ...Array.from({ length: 4 }, (_, i) => loan(`L1-r${i}`, id, RETURNED))],
      holds: Array.from({ length: 3 }, (_, i) => ({
        id: `H${i}`,
        patronId: id,
        title: `Hold ${i}`,
        placedAt: '2026-10-01T12:00:00Z',
        status: 'waiting',
      })),
      programs: [{ id: 'PR1', patronId: id, title: 'Story time', date: '2026-03-03', attended: true }],
    });
    const pages = await collect(connector().readRecords(ref(id), 'library-records', { pageSize: 2 }));
    // 5 loans in pages of 2, 3 holds in pages of 2, 1 program: one query per page, never all at once.
    expect(pages.map((p) => p.records.length)).toEqual([2, 2, 1, 2, 1, 1]);
    expect(pages.every((p) => p.category === 'library-records')).toBe(true);
    const records = pages.flatMap((p) => p.records);
    expect(records.filter((r) => r.type === 'loan')).toHaveLength(5);
    expect(records).toContainEqual({
      type: 'loan',
      id: 'L1-a',
      itemId: 'I-L1-a',
      branch: 'Main',
      checkedOutAt: '2026-01-02T10:00:00Z',
      dueAt: '2026-01-23T10:00:00Z',
      returnedAt: null,
      title: 'Title L1-a',
    });
    expect(records).toContainEqual(expect.objectContaining({ type: 'hold', id: 'H0', title: 'Hold 0', titleId: null }));
    expect(records).toContainEqual({
      type: 'program',
      id: 'PR1',
      title: 'Story time',
      date: '2026-03-03',
      attended: true,
    });
  });

  it('R19: reads payments, donations and shared content across pages', async () => {
    const id = 'M1';
    await load({
      patrons: [patron(id, '31000000031')],
      fines: Array.from({ length: 3 }, (_, i) => ({
        id: `F${i}`,
        patronId: id,
        amount: 2,
        outstanding: i === 0 ? 2 : 0,
        reason: 'Overdue',
        createdAt: '2026-02-01T12:00:00Z',
      })),
      donations: Array.from({ length: 3 }, (_, i) => ({
        id: `D${i}`,
        patronId: id,
        amount: 25,
        date: '2019-05-05',
        campaign: 'Books for all',
      })),
      sharedContent: [
        {
          id: 'S1',
          patronId: id,
          kind: 'review',
          title: 'A review',
          text: 'Loved it',
          createdAt: '2026-04-04T12:00:00Z',
        },
      ],
    });
    const c = connector();
    const payments = await collect(c.readRecords(ref(id), 'payments', { pageSize: 2 }));
    expect(payments.map((p) => p.records.length)).toEqual([2, 1]);
    expect(payments[0]?.records[0]).toEqual({
      type: 'account-line',
      id: 'F0',
      direction: 'debit',
      lineType: 'fine',
      description: 'Overdue',
      amount: 2,
      outstanding: 2,
      createdAt: '2026-02-01T12:00:00Z',
    });
    const donations = await collect(c.readRecords(ref(id), 'donations', { pageSize: 2 }));
    expect(donations.map((p) => p.records.length)).toEqual([2, 1]);
    expect(donations[0]?.records[0]).toEqual({
      type: 'donation',
      id: 'D0',
      amount: 25,
      date: '2019-05-05',
      campaign: 'Books for all',
    });
    expect((await collect(c.readRecords(ref(id), 'shared-content'))).flatMap((p) => p.records)).toEqual([
      {
        type: 'shared-content',
        id: 'S1',
        contentKind: 'review',
        title: 'A review',
        text: 'Loved it',
        createdAt: '2026-04-04T12:00:00Z',
      },
    ]);
  });

  it('R19 R4: residency and automatic data are not held; the systems file can narrow the categories further', async () => {
    await load({ patrons: [patron('N1', '31000000041')] });
    for (const category of ['residency', 'automatic'] as const) {
      const e = await failure(collect(connector().readRecords(ref('N1'), category)));
      expect(e).toMatchObject({ name: 'ConnectorError', reason: 'unsupported' });
    }
    const narrow = connector({ categories: ['personal', 'payments', 'residency'] });
    expect(narrow.capabilities.categories).toEqual(['personal', 'payments']);
    expect(await failure(collect(narrow.readRecords(ref('N1'), 'donations')))).toBeInstanceOf(ConnectorError);
    // A reference of another system is refused before anything is read.
    const other = await failure(collect(connector().readRecords({ systemId: 'ils', patronId: 'N1' }, 'personal')));
    expect(other).toMatchObject({ name: 'ConnectorError', reason: 'rejected' });
  });

  it('R19 R8: blockers: an item on loan, money owed, guarantor of a minor (the policy’s adult age)', async () => {
    await load({
      patrons: [
        patron('B1', '31000000051'),
        patron('B2', '31000000052'),
        patron('B3', '31000000053'),
        // 19 on the test day: a minor only where the policy's adult age is above 19.
        patron('B3c', '31000000054', { dateOfBirth: '2007-06-01', guarantorIds: ['B3'] }),
        patron('B4', '31000000055'),
      ],
      loans: [loan('B1-a', 'B1', null), loan('B1-b', 'B1', null), loan('B4-r', 'B4', RETURNED)],
      fines: [
        { id: 'B2-f', patronId: 'B2', amount: 5, outstanding: 3.5, reason: 'Lost', createdAt: '2026-02-01T12:00:00Z' },
      ],
    });
    const c = connector();
    expect(await c.checkBlockers(ref('B1'))).toEqual({ blockers: [{ kind: 'on-loan', count: 2 }], unchecked: [] });
    expect(await c.checkBlockers(ref('B2'))).toEqual({
      blockers: [{ kind: 'money-owed', amount: 3.5 }],
      unchecked: [],
    });
    expect(await c.checkBlockers(ref('B3'))).toEqual({ blockers: [], unchecked: [] });
    const at21 = policySchema.parse({ ...defaultPolicy, minors: { ...defaultPolicy.minors, adultAge: 21 } });
    expect(await connector({ policy: at21 }).checkBlockers(ref('B3'))).toEqual({
      blockers: [{ kind: 'guarantor' }],
      unchecked: [],
    });
    // A returned loan blocks nothing.
    expect(await c.checkBlockers(ref('B4'))).toEqual({ blockers: [], unchecked: [] });
  });

  it('R19 R13 R13a: a legal hold is a blocker, the same neutral `hold` whether or not the order forbids notice', async () => {
    await load({ patrons: [patron('H1', '31000000061'), patron('H2', '31000000062')] });
    await holds.place({ holdId: 'o-1', patronId: 'H1', placedBy: 'counsel@library.example', nondisclosure: false });
    await holds.place({ holdId: 'o-2', patronId: 'H2', placedBy: 'counsel@library.example', nondisclosure: true });
    const c = connector();
    const open = await c.checkBlockers(ref('H1'));
    const secret = await c.checkBlockers(ref('H2'));
    expect(open).toEqual({ blockers: [{ kind: 'hold' }], unchecked: [] });
    expect(secret).toEqual(open);
    expect(JSON.stringify(secret)).not.toMatch(/legal|order|nondisclosure|o-2/);
  });

  it('R19 R8: erase without blockers erases the person, unlinks the history and deletes shared content; a retry answers absent', async () => {
    const id = 'E1';
    await load({
      patrons: [patron(id, '31000000071', { username: 'e1', passwordHash: 'h' })],
      loans: [loan('E1-r1', id, RETURNED), loan('E1-r2', id, RETURNED)],
      holds: [{ id: 'E1-h', patronId: id, title: 'Held', placedAt: '2026-10-01T12:00:00Z', status: 'fulfilled' }],
      sharedContent: [
        { id: 'E1-s', patronId: id, kind: 'list', title: 'Mine', text: 'x', createdAt: '2026-04-04T12:00:00Z' },
      ],
    });
    const c = connector();
    expect(await c.erase(ref(id))).toEqual({ result: 'done', pendingCleanup: false });
    expect(await partition(id)).toEqual([]);
    expect(await c.findPatron('31000000071', 'O’Dáire-E1')).toEqual({ found: false, reason: 'unknown-card' });
    // Idempotent: the retried step finds nobody and harms nothing.
    expect(await c.erase(ref(id))).toEqual({ result: 'absent' });
    expect(await c.checkBlockers(ref(id))).toEqual({ blockers: [], unchecked: [] });
  });

  it('R19 R8: an erase cut short (the function dies mid-way) is finished by the retry, with no duplicate copy', async () => {
    const id = 'E6';
    const loans = Array.from({ length: 30 }, (_, i) => loan(`E6-r${i}`, id, RETURNED));
    await load({ patrons: [patron(id, '31000000141')], loans });
    let calls = 0;
    const dying = Object.create(db) as DynamoDBDocumentClient;
    dying.send = ((command: Parameters<DynamoDBDocumentClient['send']>[0]) =>
      ++calls > 8 ? Promise.reject(new Error('injected crash')) : db.send(command)) as DynamoDBDocumentClient['send'];
    const crashing = new RecordsTableConnector(
      { db: dying, recordsTable: RECORDS, holds, policy: defaultPolicy, clock },
      { systemId: SYSTEM },
    );
    const copiesOf = async (itemPrefix: string) =>
      (
        await db.send(
          new QueryCommand({
            TableName: RECORDS,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': 'ANON#LOAN' },
            ConsistentRead: true,
          }),
        )
      ).Items?.filter((i) => String(i.itemId).startsWith(itemPrefix)) ?? [];
    expect(await failure(crashing.erase(ref(id)))).toMatchObject({ message: 'injected crash' });
    // Cut short between a batch's copies and the deletion of its originals: both exist for now.
    expect(await profile(id)).toBeDefined();
    expect(await copiesOf('I-E6-')).toHaveLength(25);
    expect((await partition(id)).filter((i) => String(i.sk).startsWith('LOAN#'))).toHaveLength(30);

    expect(await connector().erase(ref(id))).toEqual({ result: 'done', pendingCleanup: false });
    expect(await partition(id)).toEqual([]);
    const copies = await copiesOf('I-E6-');
    // Nothing on a copy leads back to the person (R8).
    expect(copies?.some((c) => 'patronId' in c || JSON.stringify(c).includes('PATRON#'))).toBe(false);
  });

  it('R19 R8 R11: a minor’s card guaranteed while the erase runs keeps the person: the plan is rebuilt, not obeyed', async () => {
    const id = 'E7';
    await load({ patrons: [patron(id, '31000000151')], loans: [loan('E7-r', id, RETURNED)] });
    const c = connector();
    expect((await c.planDeletion(ref(id))).plan.mode).toBe('full');
    let linked = false;
    const racing = Object.create(db) as DynamoDBDocumentClient;
    racing.send = (async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
      const out = await db.send(command);
      // Once the history is unlinked, desk staff link a child's card to this patron (R11).
      if (!linked && command instanceof BatchWriteCommand) {
        linked = true;
        await load({
          patrons: [patron('E7g', '31000000152'), patron('E7c', '31000000153', { dateOfBirth: '2016-01-01' })],
        });
        await new LibraryRecords(db, RECORDS).addGuarantor('E7c', id);
      }
      return out;
    }) as DynamoDBDocumentClient['send'];
    const result = await new RecordsTableConnector(
      { db: racing, recordsTable: RECORDS, holds, policy: defaultPolicy, clock },
      { systemId: SYSTEM },
    ).erase(ref(id));
    expect(linked).toBe(true);
    expect(result).toEqual({ result: 'blocked', blockers: [{ kind: 'guarantor' }] });
    expect(await profile(id)).toBeDefined();
    expect((await c.planDeletion(ref(id))).plan.blockers).toEqual(['guarantor-of-minor']);
  });

  it('R19 R8: erase with an item on loan keeps the person, unlinks what it may, and finishes once the item is back', async () => {
    const id = 'E2';
    await load({
      patrons: [patron(id, '31000000081')],
      loans: [loan('E2-out', id, null), loan('E2-r', id, RETURNED)],
      sharedContent: [
        { id: 'E2-s', patronId: id, kind: 'review', title: 'R', text: 'x', createdAt: '2026-04-04T12:00:00Z' },
      ],
    });
    const c = connector();
    expect(await c.erase(ref(id))).toEqual({ result: 'blocked', blockers: [{ kind: 'on-loan', count: 1 }] });
    // Partial, as today's deletion is: the profile and the open loan stay, the rest is gone.
    expect((await partition(id)).map((i) => i.sk).sort()).toEqual(['LOAN#E2-out', 'PROFILE']);
    // Blocked again while nothing changed, and nothing more is touched.
    expect(await c.erase(ref(id))).toEqual({ result: 'blocked', blockers: [{ kind: 'on-loan', count: 1 }] });

    await setOnRecord(id, 'LOAN#E2-out', 'returnedAt', '2026-11-27T10:00:00Z');
    expect(await c.erase(ref(id))).toEqual({ result: 'done', pendingCleanup: false });
    expect(await partition(id)).toEqual([]);
    expect(await c.erase(ref(id))).toEqual({ result: 'absent' });
  });

  it('R19 R8: money owed and a minor guaranteed keep the person; a paid fine then lets the erasure finish', async () => {
    await load({
      patrons: [
        patron('E3', '31000000091'),
        patron('E4', '31000000092'),
        patron('E4c', '31000000093', { dateOfBirth: '2015-01-01', guarantorIds: ['E4'] }),
      ],
      fines: [
        { id: 'E3-f', patronId: 'E3', amount: 4, outstanding: 4, reason: 'Lost', createdAt: '2026-02-01T12:00:00Z' },
      ],
    });
    const c = connector();
    expect(await c.erase(ref('E3'))).toEqual({ result: 'blocked', blockers: [{ kind: 'money-owed', amount: 4 }] });
    expect(await profile('E3')).toBeDefined();
    expect(await c.erase(ref('E4'))).toEqual({ result: 'blocked', blockers: [{ kind: 'guarantor' }] });
    expect(await profile('E4')).toBeDefined();

    await setOnRecord('E3', 'FINE#E3-f', 'outstanding', 0);
    // R8: the paid fine is within the payments retention period: the person goes, the fine is kept, and said so.
    const done = await c.erase(ref('E3'));
    expect(done).toEqual({
      result: 'done',
      pendingCleanup: false,
      retained: [{ category: 'payments', until: '2033-02-01' }],
    });
    expect(await profile('E3')).toBeUndefined();
  });

  it('R19 R13: erase under a legal hold touches nothing and reads like any blocker', async () => {
    const id = 'E5';
    await load({
      patrons: [patron(id, '31000000101', { username: 'e5' })],
      loans: [loan('E5-r', id, RETURNED)],
    });
    await holds.place({ holdId: 'o-5', patronId: id, placedBy: 'counsel@library.example', nondisclosure: true });
    const before = await partition(id);
    const c = connector();
    expect(await c.erase(ref(id))).toEqual({ result: 'blocked', blockers: [{ kind: 'hold' }] });
    expect(await partition(id)).toEqual(before);

    await holds.release(id, 'o-5', 'privacy@library.example');
    expect(await c.erase(ref(id))).toEqual({ result: 'done', pendingCleanup: false });
  });

  it('R19 R6: a correction is made in the table; the card still finds the patron', async () => {
    await load({ patrons: [patron('C1', '31000000111')] });
    const c = connector();
    const result = await c.correct(ref('C1'), {
      lastName: 'Byrne',
      email: 'new@example.org',
      address: { street: '2 Oak Ave', city: 'Stamford', state: 'CT', postalCode: '06901' },
    });
    expect(result).toEqual({ result: 'done', fields: ['lastName', 'email', 'address'] });
    expect(await profile('C1')).toMatchObject({
      lastName: 'Byrne',
      email: 'new@example.org',
      address: { street: '2 Oak Ave', city: 'Stamford', state: 'CT', postalCode: '06901' },
      cardNumber: '31000000111',
      firstName: 'Róisín',
    });
    expect(await c.findPatron('31000000111', 'byrne')).toEqual({ found: true, ref: ref('C1') });
    // Nobody to correct is an error the privacy officer sees, never a silent success.
    const e = await failure(c.correct(ref('C-none'), { email: 'x@example.org' }));
    expect(e).toMatchObject({ name: 'ConnectorError', reason: 'rejected' });
    expect(await profile('C-none')).toBeUndefined();
  });

  it('R19 R20: an outreach opt-out is a flag on the patron item, set idempotently; reading history keeps the policy default', async () => {
    await load({ patrons: [patron('O1', '31000000121')] });
    const c = connector();
    expect(c.capabilities.preferences).toEqual(['outreach']);
    await c.setPreferences(ref('O1'), { outreach: 'opted-out' });
    await c.setPreferences(ref('O1'), { outreach: 'opted-out' });
    expect(await profile('O1')).toMatchObject({ outreachOptOut: true, lastName: 'O’Dáire-O1' });
    // An erased person has nothing left to contact: nothing to stop, and no profile brought back.
    await c.setPreferences(ref('O-gone'), { outreach: 'opted-out' });
    expect(await profile('O-gone')).toBeUndefined();

    // R16: the table has no per-patron history setting; only the policy's default is true of it.
    await c.setPreferences(ref('O1'), { readingHistory: 'default' });
    for (const readingHistory of ['keep', 'forget'] as const) {
      const e = await failure(c.setPreferences(ref('O1'), { readingHistory, outreach: 'opted-out' }));
      expect(e).toMatchObject({ name: 'ConnectorError', reason: 'unsupported' });
    }
  });
});

describe('connectorFor: one connector per system type (R19)', () => {
  const recordsTable = {} as ConnectorDeps['recordsTable'];
  const common = { name: 'S', identity: true, outreach: false, categories: ['personal' as const] };

  it('R19: records-table and koha systems get their connector; a manual system is a staff task, not a connector', () => {
    const table = connectorFor({ ...common, id: 'library', type: 'records-table' }, { recordsTable, env: {} });
    expect(table).toBeInstanceOf(RecordsTableConnector);
    expect(table.systemId).toBe('library');
    expect(table.capabilities.categories).toEqual(['personal']);

    const koha: SystemConfig = {
      ...common,
      id: 'ils',
      type: 'koha',
      baseUrl: 'https://koha.example.org/api/v1',
      auth: { type: 'basic', userEnv: 'KOHA_USER', passwordEnv: 'KOHA_PASSWORD' },
    };
    const ils = connectorFor(koha, { recordsTable, env: { KOHA_USER: 'u', KOHA_PASSWORD: 'p' } });
    expect(ils).toBeInstanceOf(KohaConnector);
    expect(ils.systemId).toBe('ils');
    expect(() => connectorFor(koha, { recordsTable, env: {} })).toThrow(/KOHA_USER is not set/);

    const manual: SystemConfig = {
      ...common,
      id: 'ebooks',
      type: 'manual',
      role: 'circulation',
      instructions: { deletion: 'Delete the patron in the vendor portal.' },
    };
    expect(hasConnector(manual)).toBe(false);
    expect(hasConnector(koha)).toBe(true);
    expect(() => connectorFor(manual, { recordsTable, env: {} })).toThrow(ConnectorError);
  });
});

describe('the connector contract, kept by every connector (R19)', () => {
  const dynamo = useDynalite([RECORDS, REQUESTS]);

  it('R19: the records-table connector keeps the contract (find → read → blockers)', async () => {
    const items = datasetToItems(
      parseDataset({
        library: { name: 'Test Library', timezone: NY },
        staff: [{ email: 'po@library.example', name: 'PO', roles: ['privacy-officer'] }],
        patrons: [
          patron('K1', '31000000131', {
            lastName: 'Ní Bhriain',
            username: 'k1',
            paymentMethods: [
              { type: 'visa', last4: '4242' },
              { type: 'amex', last4: '0005' },
            ],
          }),
        ],
        loans: [loan('K1-out', 'K1', null), loan('K1-r1', 'K1', RETURNED), loan('K1-r2', 'K1', RETURNED)],
        fines: [{ id: 'K1-f', patronId: 'K1', amount: 1, outstanding: 0, reason: 'Late', createdAt: RETURNED }],
      }),
    );
    await dynamo.db.send(
      new BatchWriteCommand({ RequestItems: { [RECORDS]: items.map((Item) => ({ PutRequest: { Item } })) } }),
    );
    const c: SystemConnector = connectorFor(
      {
        id: 'library',
        type: 'records-table',
        name: 'Records',
        identity: true,
        outreach: true,
        categories: ['personal', 'credentials', 'library-records', 'payments', 'donations', 'shared-content'],
      },
      {
        recordsTable: {
          db: dynamo.db,
          recordsTable: RECORDS,
          holds: new LegalHolds(dynamo.db, REQUESTS, clock),
          policy: defaultPolicy,
          clock,
        },
        env: {},
      },
    );
    await checkConnectorContract({
      connector: c,
      cardNumber: '31000000131',
      lastName: 'Ní Bhriain',
      typedLastName: 'ni bhriain',
      unknownCard: '31000000139',
    });
  });

  it.skipIf(!kohaSpecAvailable())(
    'R19: the Koha connector keeps the same contract against the Koha simulator',
    async () => {
      const sim = await startKohaSimulator({ basicUsers: [{ user: 'privacy-desk', password: 'basic-password' }] });
      try {
        const id = sim.data.addPatron({ cardnumber: '21000012345', surname: 'Ní Bhriain', userid: 'nb' });
        sim.data.addCheckout(id);
        sim.data.addReturnedCheckouts(id, 3);
        sim.data.addDebit(id, 1);
        await checkConnectorContract({
          connector: new KohaConnector({
            systemId: 'ils',
            baseUrl: sim.baseUrl,
            auth: { type: 'basic', user: 'privacy-desk', password: 'basic-password' },
            timeoutMs: 2000,
            pageSize: 100,
          }),
          cardNumber: '21000012345',
          lastName: 'Ní Bhriain',
          typedLastName: 'ni bhriain',
          unknownCard: '21000099999',
        });
        expect(sim.violations).toEqual([]);
      } finally {
        await sim.close();
      }
    },
  );
});

describe('the retention sweep and legal holds placed before and during it (R16, R13)', () => {
  const dynamo = useDynalite([RECORDS, REQUESTS]);
  const counsel = { placedBy: 'counsel@library.example', nondisclosure: false };
  /** Returned in 2024: past the default loan history's period on NOW's day. */
  const OLD_RETURN = '2024-01-20T10:00:00Z';
  const loansOf = (patronId: string, n: number) =>
    Array.from({ length: n }, (_, k) => ({
      ...loan(`${patronId}-${String(k).padStart(2, '0')}`, patronId, OLD_RETURN),
    }));
  const load = async (patrons: { id: string; card: string; loans: number }[]) =>
    putItems(
      dynamo.db,
      RECORDS,
      datasetToItems(
        parseDataset({
          library: { name: 'Test Library', timezone: NY },
          staff: [{ email: 'po@library.example', name: 'PO', roles: ['privacy-officer'] }],
          patrons: patrons.map((p) => patron(p.id, p.card)),
          loans: patrons.flatMap((p) => loansOf(p.id, p.loans)),
        }),
      ).filter((i) => i.kind !== 'STAFF'),
    );
  const loansLeft = async (patronId: string) =>
    (
      await dynamo.db.send(
        new QueryCommand({
          TableName: RECORDS,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :loan)',
          ExpressionAttributeValues: { ':pk': recordKeys.patronPartition(patronId), ':loan': 'LOAN#' },
          ConsistentRead: true,
        }),
      )
    ).Items?.length ?? 0;
  /** One whole segment, `pageSize` items a page, through the connector on `db`. */
  const sweep = (db: DynamoDBDocumentClient, runId: string, pageSize: number) =>
    new RecordsTableConnector(
      { db, recordsTable: RECORDS, holds: new LegalHolds(dynamo.db, REQUESTS, clock), policy: defaultPolicy, clock },
      { systemId: SYSTEM },
    ).anonymiseBefore({
      runId,
      segment: 0,
      totalSegments: 1,
      cursor: undefined,
      cutoffs: retentionCutoffs('2026-11-28', defaultPolicy),
      timezone: NY,
      pageSize,
      maxPages: 0,
      deadline: Number.MAX_SAFE_INTEGER,
    });

  it('R13: before the registry is complete, a hold placed without it (before it existed) still keeps the patron’s records', async () => {
    await load([
      { id: 'RH-OLD', card: '31000000901', loans: 4 },
      { id: 'RH-FREE', card: '31000000902', loans: 3 },
    ]);
    await dynamo.db.send(
      new PutCommand({
        TableName: REQUESTS,
        Item: legalHoldEntity.item({ holdId: 'h-old', patronId: 'RH-OLD', placedAt: NOW.toISOString(), ...counsel }),
      }),
    );
    expect((await readRegistry(dynamo.db, REQUESTS)).complete).toBe(false);
    const result = await sweep(dynamo.db, 'before-registry', 100);
    expect(result).toMatchObject({ anonymised: 3, held: 4, cursor: undefined });
    expect(await loansLeft('RH-OLD')).toBe(4);
    expect(await loansLeft('RH-FREE')).toBe(0);
  });

  it('R13: with the registry complete, a hold placed between two pages stops that patron’s writes from the next page on', async () => {
    const holds = new LegalHolds(dynamo.db, REQUESTS, clock);
    expect(await holds.backfillRegistry(Number.MAX_SAFE_INTEGER)).toMatchObject({ complete: true });
    const LOANS = 20;
    await load([{ id: 'RH-MID', card: '31000000903', loans: LOANS }]);
    // Counsel places the hold as the first page's copies are written: that page was checked before it.
    let placed = false;
    const placingOnFirstWrite = new Proxy(dynamo.db, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof BatchWriteCommand && !placed) {
            placed = true;
            await holds.place({ holdId: 'h-mid', patronId: 'RH-MID', ...counsel });
          }
          return (target.send as (c: unknown) => Promise<unknown>)(command);
        };
      },
    });
    const PAGE = 5;
    const result = await sweep(placingOnFirstWrite, 'held-mid-run', PAGE);
    expect(placed).toBe(true);
    expect(result.pages).toBeGreaterThan(2);
    // The page under way when the hold came is written (the erasure's own tolerance); no later one.
    const left = await loansLeft('RH-MID');
    expect(LOANS - left).toBeGreaterThan(0);
    expect(LOANS - left).toBeLessThanOrEqual(PAGE);
    // RH-OLD's four loans are still kept by its hold, now listed by the back-fill.
    expect(result.held).toBe(left + 4);
    expect(result.anonymised).toBe(LOANS - left);
  });
});
