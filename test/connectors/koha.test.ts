import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KohaConnector, kohaSettings, type KohaSettings } from '../../functions/connectors/koha/index.ts';
import { ConnectorTransientError, type PatronRef, type RecordPage } from '../../functions/connectors/port.ts';
import { ConnectorError, TransientError } from '../../functions/domain/errors.ts';
import {
  kohaSpecAvailable,
  kohaSpecDir,
  startKohaSimulator,
  type KohaSimulator,
} from '../support/koha-simulator/index.ts';

const CARD = '21000012345';
const SURNAME = 'O’Brien-Núñez';
const START = Date.UTC(2026, 0, 12, 9, 0, 0);

const KOHA_SPEC = kohaSpecAvailable();

let now = START;
const clock = () => now;
let sim: KohaSimulator;

beforeEach(async () => {
  now = START;
  sim = await startKohaSimulator({
    clients: [{ id: 'privacy-desk', secret: 'client-secret' }],
    basicUsers: [{ user: 'privacy-desk', password: 'basic-password' }],
    tokenTtlSeconds: 3600,
    now: clock,
  });
});

afterEach(async () => {
  const violations = [...sim.violations];
  await sim.close();
  // R19: every request the connector sent and every answer the simulator gave matched Koha's spec.
  expect(violations).toEqual([]);
});

function connector(over: Partial<KohaSettings> = {}): KohaConnector {
  return new KohaConnector(
    {
      systemId: 'ils',
      baseUrl: sim.baseUrl,
      auth: { type: 'oauth2', clientId: 'privacy-desk', clientSecret: 'client-secret' },
      timeoutMs: 2000,
      pageSize: 100,
      ...over,
    },
    { now: clock },
  );
}

const basic = { type: 'basic', user: 'privacy-desk', password: 'basic-password' } as const;

function addPatron(): { id: number; ref: PatronRef } {
  const id = sim.data.addPatron({
    cardnumber: CARD,
    surname: SURNAME,
    firstname: 'Aoife',
    email: 'aoife@example.org',
    userid: 'aoife.o',
    street_number: '7',
  });
  return { id, ref: { systemId: 'ils', patronId: String(id) } };
}

async function collect(pages: AsyncIterable<RecordPage>): Promise<RecordPage[]> {
  const out: RecordPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const failure = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'no error',
    (e: unknown) => e,
  );
const count = (op: string) => sim.calls.filter((c) => c === op).length;

describe.skipIf(!KOHA_SPEC)('Koha connector against the Koha simulator (R19)', () => {
  it('R19 R7: finds the patron by card and checks the last name (case, accents, apostrophes aside)', async () => {
    const { id } = addPatron();
    const koha = connector();
    expect(await koha.findPatron(CARD, "o'brien nunez")).toEqual({
      found: true,
      ref: { systemId: 'ils', patronId: String(id) },
    });
    expect(await koha.findPatron(CARD, 'Byrne')).toEqual({ found: false, reason: 'name-mismatch' });
    expect(await koha.findPatron('99999999', SURNAME)).toEqual({ found: false, reason: 'unknown-card' });
    // Koha matches `contains` by default: a prefix of a real card must not find its holder.
    expect(await koha.findPatron(CARD.slice(0, -1), SURNAME)).toEqual({ found: false, reason: 'unknown-card' });
  });

  it('R19: reads personal data and the username, never a password', async () => {
    const { ref } = addPatron();
    const koha = connector();
    const [personal] = await collect(koha.readRecords(ref, 'personal'));
    expect(personal?.records).toEqual([
      expect.objectContaining({
        type: 'profile',
        cardNumber: CARD,
        lastName: SURNAME,
        email: 'aoife@example.org',
        address: { street: '7 12 Elm Street', city: 'Greenwich', state: 'CT', postalCode: '06830' },
      }),
    ]);
    const credentials = await collect(koha.readRecords(ref, 'credentials'));
    expect(credentials.flatMap((p) => p.records)).toEqual([
      { type: 'username', id: ref.patronId, username: 'aoife.o' },
    ]);
  });

  it('R19: reads current and returned checkouts and holds page by page', async () => {
    const { id, ref } = addPatron();
    for (let i = 0; i < 3; i++) sim.data.addCheckout(id);
    sim.data.addReturnedCheckouts(id, 20);
    sim.data.addHold(id);
    sim.data.addHold(id);
    const pages = await collect(connector().readRecords(ref, 'library-records', { pageSize: 7 }));
    const records = pages.flatMap((p) => p.records);
    expect(records.filter((r) => r.type === 'loan' && r.returnedAt === null)).toHaveLength(3);
    expect(records.filter((r) => r.type === 'loan' && r.returnedAt !== null)).toHaveLength(20);
    expect(records.filter((r) => r.type === 'hold')).toHaveLength(2);
    expect(new Set(records.map((r) => r.id)).size).toBe(25);
    // 3 current in one page, 20 returned in three pages of at most 7, 2 holds in one.
    expect(pages.map((p) => p.records.length)).toEqual([3, 7, 7, 6, 2]);
    expect(pages.every((p) => p.records.length <= 7 && p.category === 'library-records')).toBe(true);
    expect(count('listCheckouts')).toBe(4);
  });

  it('R19: reads payments (debits and credits) across pages', async () => {
    const { id, ref } = addPatron();
    for (let i = 0; i < 5; i++) sim.data.addDebit(id, 1.5);
    sim.data.payAll(id);
    const records = (await collect(connector().readRecords(ref, 'payments', { pageSize: 2 }))).flatMap(
      (p) => p.records,
    );
    expect(records.filter((r) => r.type === 'account-line' && r.direction === 'debit')).toHaveLength(5);
    expect(records.filter((r) => r.type === 'account-line' && r.direction === 'credit')).toEqual([
      expect.objectContaining({ lineType: 'PAYMENT', amount: 7.5, outstanding: 0 }),
    ]);
    expect(count('listPatronDebits')).toBe(3);
  });

  it('R19: a category Koha does not hold is refused as unsupported', async () => {
    const { ref } = addPatron();
    const koha = connector();
    expect(koha.capabilities.categories).not.toContain('donations');
    const e = await failure(collect(koha.readRecords(ref, 'donations')));
    expect(e).toBeInstanceOf(ConnectorError);
    expect((e as ConnectorError).reason).toBe('unsupported');
  });

  it('R19 R8: checks loans and money owed ahead, and says guarantees can only show on deletion', async () => {
    const { id, ref } = addPatron();
    sim.data.addCheckout(id);
    sim.data.addCheckout(id);
    sim.data.addDebit(id, 4.25);
    expect(await connector().checkBlockers(ref)).toEqual({
      blockers: [
        { kind: 'on-loan', count: 2 },
        { kind: 'money-owed', amount: 4.25 },
      ],
      unchecked: ['guarantor'],
    });
  });

  it("R19 R8: Koha's DELETE refusals are blockers; the erasure finishes once each clears, pending Koha's cleanup", async () => {
    const { id, ref } = addPatron();
    const child = sim.data.addPatron({ cardnumber: '21000099999', surname: 'Kid' });
    const loan = sim.data.addCheckout(id);
    sim.data.addDebit(id, 2);
    sim.data.addGuarantee(id, child);
    const koha = connector({ auth: basic });

    expect(await koha.erase(ref)).toEqual({ result: 'blocked', blockers: [{ kind: 'on-loan' }] });
    sim.data.returnItem(loan);
    expect(await koha.erase(ref)).toEqual({ result: 'blocked', blockers: [{ kind: 'money-owed' }] });
    sim.data.payAll(id);
    expect(await koha.erase(ref)).toEqual({ result: 'blocked', blockers: [{ kind: 'guarantor' }] });
    sim.data.endGuarantee(child);

    expect(await koha.erase(ref)).toEqual({ result: 'done', pendingCleanup: true });
    expect(sim.data.patrons.has(id)).toBe(false);
    expect(sim.data.deletedPatrons.has(id)).toBe(true); // deletedborrowers, until the cleanup job runs
    sim.data.runCleanup();
    expect(sim.data.deletedPatrons.has(id)).toBe(false);
    // A retried step finds nobody: said as such, not as a second deletion.
    expect(await koha.erase(ref)).toEqual({ result: 'absent' });
  });

  it('R19 R6: a correction is made in Koha, with the old address lines cleared', async () => {
    const { id, ref } = addPatron();
    const result = await connector().correct(ref, {
      email: 'aoife.new@example.org',
      address: { street: '1 Harbour Road', city: 'Stamford', state: 'CT', postalCode: '06901' },
    });
    expect(result).toEqual({ result: 'done', fields: ['email', 'address'] });
    expect(sim.data.patrons.get(id)).toMatchObject({
      email: 'aoife.new@example.org',
      street_number: null,
      address: '1 Harbour Road',
      address2: null,
      city: 'Stamford',
      postal_code: '06901',
      surname: SURNAME,
      cardnumber: CARD,
    });
  });

  it("R19: the reading-history preference goes through the patron's privacy field; outreach is not Koha's", async () => {
    const { id, ref } = addPatron();
    const koha = connector();
    await koha.setPreferences(ref, { readingHistory: 'forget' });
    expect(sim.data.patrons.get(id)?.privacy).toBe(2);
    await koha.setPreferences(ref, { readingHistory: 'keep' });
    expect(sim.data.patrons.get(id)?.privacy).toBe(0);
    const e = await failure(koha.setPreferences(ref, { outreach: 'opted-out' }));
    expect((e as ConnectorError).reason).toBe('unsupported');
    expect(koha.capabilities.preferences).toEqual(['reading-history']);
  });
});

describe.skipIf(!KOHA_SPEC)('Koha authentication (R19)', () => {
  it('R19: the OAuth2 token is fetched once, reused, and renewed when it nears expiry', async () => {
    const { ref } = addPatron();
    const koha = connector();
    await Promise.all([koha.checkBlockers(ref), collect(koha.readRecords(ref, 'personal'))]);
    await collect(koha.readRecords(ref, 'credentials'));
    expect(count('tokenOAuth')).toBe(1);
    now += 3_500_000; // 58 m 20 s into the hour: more than a minute left
    await collect(koha.readRecords(ref, 'personal'));
    expect(count('tokenOAuth')).toBe(1);
    now += 60_000; // within the last minute: renewed before it can expire mid-request
    await collect(koha.readRecords(ref, 'personal'));
    expect(count('tokenOAuth')).toBe(2);
  });

  it('R19: a token Koha no longer accepts is renewed once and the call succeeds', async () => {
    const { ref } = addPatron();
    const koha = connector();
    await collect(koha.readRecords(ref, 'personal'));
    sim.revokeTokens();
    await collect(koha.readRecords(ref, 'personal'));
    expect(count('tokenOAuth')).toBe(2);
  });

  it('R19: HTTP Basic works without any token; wrong credentials are a permanent error', async () => {
    const { ref } = addPatron();
    await collect(connector({ auth: basic }).readRecords(ref, 'personal'));
    expect(count('tokenOAuth')).toBe(0);
    const e = await failure(connector({ auth: { ...basic, password: 'wrong' } }).findPatron(CARD, SURNAME));
    expect(e).toBeInstanceOf(ConnectorError);
    expect(e).toMatchObject({ name: 'ConnectorError', reason: 'unauthorised', status: 401 });
  });

  it('R19: a wrong OAuth2 client is refused at the token endpoint, permanently', async () => {
    const e = await failure(
      connector({ auth: { type: 'oauth2', clientId: 'privacy-desk', clientSecret: 'nope' } }).findPatron(CARD, SURNAME),
    );
    expect(e).toMatchObject({ name: 'ConnectorError', reason: 'unauthorised', status: 403 });
  });

  it('R19: settings name a missing secret variable, never a value', () => {
    const system = {
      id: 'ils',
      type: 'koha' as const,
      name: 'Koha',
      baseUrl: 'https://koha.example.org/api/v1/',
      auth: { type: 'oauth2' as const, clientIdEnv: 'KOHA_CLIENT_ID', clientSecretEnv: 'KOHA_CLIENT_SECRET' },
      identity: true,
      categories: ['personal' as const],
    };
    expect(() => kohaSettings(system, { KOHA_CLIENT_ID: 'abc' })).toThrow(/KOHA_CLIENT_SECRET is not set/);
    const settings = kohaSettings(system, { KOHA_CLIENT_ID: 'abc', KOHA_CLIENT_SECRET: 'xyz' });
    expect(settings).toMatchObject({ baseUrl: 'https://koha.example.org/api/v1', timeoutMs: 10_000, pageSize: 100 });
  });
});

describe.skipIf(!KOHA_SPEC)('Koha faults are typed (R19, ARCHITECTURE.md Faults)', () => {
  /** R5: whatever failed, the error names the system and the operation, never the patron. */
  const expectNoPersonalData = (e: unknown) => {
    const text = `${(e as Error).message} ${JSON.stringify(e)}`;
    for (const secret of [CARD, SURNAME, 'Brien', 'aoife', 'client-secret', 'basic-password'])
      expect(text).not.toContain(secret);
  };

  it('R19: a Koha that is down (connections dropped) is transient', async () => {
    sim.setFault({ kind: 'down' });
    const e = await failure(connector().findPatron(CARD, SURNAME));
    expect(e).toBeInstanceOf(TransientError);
    expect((e as Error).name).toBe('TransientError');
    expectNoPersonalData(e);
  });

  it('R19: a slow Koha times out, transiently', async () => {
    sim.setFault({ kind: 'slow', delayMs: 1500 }, { operationId: 'listPatrons' });
    const e = await failure(connector({ timeoutMs: 200 }).findPatron(CARD, SURNAME));
    expect(e).toBeInstanceOf(ConnectorTransientError);
    expect((e as Error).message).toMatch(/timed out after 200 ms/);
    expectNoPersonalData(e);
  });

  it('R19: 401 on every call (even with a fresh token) is permanent', async () => {
    sim.setFault({ kind: 'unauthorised' }, { operationId: 'listPatrons' });
    const e = await failure(connector().findPatron(CARD, SURNAME));
    expect(e).toMatchObject({ name: 'ConnectorError', reason: 'unauthorised', status: 401 });
    expect(count('tokenOAuth')).toBe(2); // renewed once, then given up
    expectNoPersonalData(e);
  });

  it('R19: 500 is transient', async () => {
    sim.setFault({ kind: 'server-error' });
    const e = await failure(connector({ auth: basic }).findPatron(CARD, SURNAME));
    expect(e).toBeInstanceOf(ConnectorTransientError);
    expect((e as Error).name).toBe('TransientError');
    expect((e as Error).message).toMatch(/answered 500/);
    expectNoPersonalData(e);
  });

  it('R19: 429 is transient and carries Retry-After (seconds or an HTTP date)', async () => {
    sim.setFault({ kind: 'rate-limited', retryAfter: '7' }, { times: 1 });
    const e = await failure(connector({ auth: basic }).findPatron(CARD, SURNAME));
    expect(e).toBeInstanceOf(ConnectorTransientError);
    expect((e as ConnectorTransientError).retryAfterMs).toBe(7000);

    sim.setFault({ kind: 'rate-limited', retryAfter: new Date(now + 30_000).toUTCString() }, { times: 1 });
    const dated = await failure(connector({ auth: basic }).findPatron(CARD, SURNAME));
    expect((dated as ConnectorTransientError).retryAfterMs).toBe(30_000);
    // The fault was for one request only: the next call goes through.
    expect(await connector({ auth: basic }).findPatron(CARD, SURNAME)).toEqual({
      found: false,
      reason: 'unknown-card',
    });
  });

  it('R19: a short Retry-After is waited out once; a second refusal goes to the workflow', async () => {
    addPatron();
    sim.setFault({ kind: 'rate-limited', retryAfter: '1' }, { times: 1 });
    const t0 = performance.now();
    expect((await connector({ auth: basic }).findPatron(CARD, SURNAME)).found).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(count('listPatrons')).toBe(2);

    sim.setFault({ kind: 'rate-limited', retryAfter: '0' }, { times: 2 });
    const e = await failure(connector({ auth: basic }).findPatron(CARD, SURNAME));
    expect(e).toBeInstanceOf(ConnectorTransientError);
    expect(count('listPatrons')).toBe(4);
  });

  it('R19: malformed JSON is permanent', async () => {
    addPatron();
    sim.setFault({ kind: 'malformed' }, { operationId: 'listPatrons' });
    const e = await failure(connector().findPatron(CARD, SURNAME));
    expect(e).toMatchObject({ name: 'ConnectorError', reason: 'malformed' });
    expectNoPersonalData(e);
  });
});

describe.skipIf(!KOHA_SPEC)('the Koha spec validator (R19)', () => {
  it('R19: a request the spec forbids is caught, so the connector cannot drift from Koha', async () => {
    addPatron();
    const auth = { authorization: `Basic ${Buffer.from('privacy-desk:basic-password').toString('base64')}` };
    // A misspelt filter: Koha would ignore it and list every patron.
    const misspelt = await fetch(`${sim.baseUrl}/patrons?card_number=${CARD}`, { headers: auth });
    expect(misspelt.status).toBe(400);
    // A read-only field in a patron update, and a wrongly typed one.
    const put = await fetch(`${sim.baseUrl}/patrons/1`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ surname: 'X', library_id: 'MPL', category_id: 'PT', anonymized: false, privacy: 'never' }),
    });
    expect(put.status).toBe(400);
    // A route Koha does not have.
    expect((await fetch(`${sim.baseUrl}/patrons/1/history`, { headers: auth })).status).toBe(404);
    expect(sim.violations).toEqual([
      'listPatrons request: query parameter card_number is not in the spec',
      'updatePatron request: body must NOT have additional properties (anonymized)',
      'updatePatron request: body/privacy must be integer',
      'GET /api/v1/patrons/1/history: no such operation in the spec',
    ]);
    sim.violations.length = 0; // caught on purpose
  });

  it('R19: an answer the spec forbids is caught, so the simulator cannot drift from Koha', () => {
    const getPatron = sim.spec.match('GET', '/patrons/1');
    expect(getPatron?.op.operationId).toBe('getPatron');
    if (!getPatron) return;
    expect(sim.spec.checkResponse(getPatron.op, 200, { patron_id: 1, surname: 'X', library_id: 'MPL' })).toEqual([
      "response must have required property 'category_id'",
    ]);
    expect(sim.spec.checkResponse(getPatron.op, 418, { error: 'teapot' })).toEqual([
      'getPatron does not document status 418',
    ]);
  });

  it('R19: a missing spec folder is a clear error naming KOHA_API_SPEC_DIR', () => {
    expect(() => kohaSpecDir({ KOHA_API_SPEC_DIR: '/nonexistent/koha-api' })).toThrow(
      /swagger\.yaml does not exist.*KOHA_API_SPEC_DIR/,
    );
    expect(kohaSpecDir({})).toMatch(/shared\/koha-api$/);
  });
});
