import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KohaConnector, kohaSettings } from '../../functions/connectors/koha/index.ts';
import { PatronDirectory, qualifiedId, refOf } from '../../functions/connectors/people.ts';
import { LibraryRecords } from '../../functions/connectors/records-table/library-records.ts';
import { parseSystemsFile, type SystemsFile } from '../../functions/domain/systems.ts';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { putItems, useDynalite } from '../support/dynalite.ts';
import { kohaSpecAvailable, startKohaSimulator, type KohaSimulator } from '../support/koha-simulator/index.ts';

/**
 * R19, R7: a card number and last name are matched against the systems marked `identity`, in the
 * systems file's order; the first that knows the card is the person's system of record, and their
 * Privacy Desk id names it, so every later step reads their contact details from that system.
 */
const RECORDS = 'records';
const CARD_IN_TABLE = '21234000099001';
const CARD_IN_KOHA = '21234000099002';
const BOTH_CARD = '21234000099003';

describe.skipIf(!kohaSpecAvailable())('the people directory over the records table and Koha (R19, R7)', () => {
  const dynamo = useDynalite([RECORDS]);
  let sim: KohaSimulator;
  let kohaId: number;
  const env = { K_USER: 'pd', K_PASS: 'people-test-secret' };

  const file = (order: 'koha-first' | 'table-first'): SystemsFile => {
    const table = { id: 'records', type: 'records-table', name: 'Table', identity: true, categories: ['personal'] };
    const koha = {
      id: 'ils',
      type: 'koha',
      name: 'Koha',
      identity: true,
      baseUrl: sim.baseUrl,
      auth: { type: 'basic', userEnv: 'K_USER', passwordEnv: 'K_PASS' },
      categories: ['personal', 'credentials'],
    };
    return parseSystemsFile({ systems: order === 'koha-first' ? [koha, table] : [table, koha] });
  };

  const directory = (systems: SystemsFile) => {
    const records = new LibraryRecords(dynamo.db, RECORDS);
    return new PatronDirectory(systems, records, (system) => {
      if (system.type !== 'koha') throw new Error('only Koha has a connector here');
      return new KohaConnector(kohaSettings(system, env));
    });
  };

  beforeAll(async () => {
    sim = await startKohaSimulator({ basicUsers: [{ user: 'pd', password: 'people-test-secret' }] });
    kohaId = sim.data.addPatron({
      cardnumber: CARD_IN_KOHA,
      surname: 'Okafor',
      firstname: 'Chidi',
      email: 'chidi@example.org',
      userid: 'chidi',
      date_of_birth: '2012-03-04',
    });
    sim.data.addPatron({ cardnumber: BOTH_CARD, surname: 'Kohaname', firstname: 'K' });
    const profile = (id: string, card: string, lastName: string) => ({
      ...recordKeys.patron(id),
      gsi1pk: recordKeys.byCard(card),
      gsi1sk: 'PROFILE',
      id,
      cardNumber: card,
      firstName: 'T',
      lastName,
      dateOfBirth: '1980-01-01',
      guarantorIds: [],
      securityQuestions: [],
      paymentMethods: [],
      linkedAccounts: [],
    });
    await putItems(dynamo.db, RECORDS, [
      profile('T1', CARD_IN_TABLE, 'Tablename'),
      profile('T2', BOTH_CARD, 'Tablename'),
    ]);
  });
  afterAll(async () => {
    const violations = [...sim.violations];
    await sim.close();
    expect(violations).toEqual([]);
  });

  it('R19: a Koha patron is found by card and surname, read from Koha, and their id names Koha', async () => {
    const people = directory(file('table-first'));
    const found = await people.findByCard(CARD_IN_KOHA, 'okafor');
    expect(found).toMatchObject({
      id: `ils/${kohaId}`,
      cardNumber: CARD_IN_KOHA,
      lastName: 'Okafor',
      email: 'chidi@example.org', // R7: the email on file in the system of record
      dateOfBirth: '2012-03-04',
      username: 'chidi',
    });
    expect(await people.getPatron(`ils/${kohaId}`)).toEqual(found);
    expect(refOf(`ils/${kohaId}`, file('table-first'))?.ref).toEqual({ systemId: 'ils', patronId: String(kohaId) });
  });

  it('R7: a wrong surname finds nobody, in Koha as in the table, and looks the same as an unknown card', async () => {
    const people = directory(file('table-first'));
    expect(await people.findByCard(CARD_IN_KOHA, 'Okafo')).toBeUndefined();
    expect(await people.findByCard(CARD_IN_TABLE, 'Other')).toBeUndefined();
    expect(await people.findByCard('99999999999999', 'Okafor')).toBeUndefined();
  });

  it('R19: the first identity system that knows the card is the system of record; the other is not asked', async () => {
    const tableFirst = await directory(file('table-first')).findByCard(BOTH_CARD, 'Tablename');
    expect(tableFirst?.id).toBe('T2');
    const calls = sim.calls.length;
    // Koha first: Koha knows the card, with another surname: nobody, and the table is not asked instead.
    expect(await directory(file('koha-first')).findByCard(BOTH_CARD, 'Tablename')).toBeUndefined();
    expect(sim.calls.length).toBeGreaterThan(calls);
    expect((await directory(file('koha-first')).findByCard(BOTH_CARD, 'Kohaname'))?.id).toMatch(/^ils\//);
  });

  it('R5: a records-table id stays the dataset id; another system’s names the system, never a card or name', () => {
    const systems = file('table-first');
    const [table, koha] = systems.systems;
    if (!table || !koha) throw new Error('two systems');
    expect(qualifiedId({ systemId: 'records', patronId: 'P1001' }, table)).toBe('P1001');
    expect(qualifiedId({ systemId: 'ils', patronId: '42' }, koha)).toBe('ils/42');
    expect(refOf('P1001', systems)?.system.id).toBe('records');
    expect(refOf('nowhere/42', systems)).toBeUndefined();
  });
});
