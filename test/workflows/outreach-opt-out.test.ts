import { startRuntimeWithSystems } from '../support/systems.ts';
import { answerManualSystem } from '../support/systems.ts';
import { fileURLToPath } from 'node:url';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { loadDataset, readDatasetFile } from '../../functions/connectors/records-table/load-dataset.ts';
import { RECORDS_TABLE } from '../../local/runtime.ts';
import { executionOf } from '../support/executions.ts';
import { kohaSpecAvailable, startKohaSimulator, type KohaSimulator } from '../support/koha-simulator/index.ts';
import { postForm, postFormAsBrowser } from '../support/http.ts';
import {
  ADA,
  DEMO_DATASET,
  eventually,
  linkIn,
  OFFICER,
  startTestRuntime,
  statusOf,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * The outreach opt-out (R20) through the real engine, over the demo systems file (R19): the
 * records table keeps the library's do-not-contact flag, and the fundraising list is a manual
 * system marked `outreach`. Its staff task is answered here by the stored callback token, as the
 * manual-task link will answer it.
 */
const DEMO_SYSTEMS = fileURLToPath(new URL('../../local/demo-systems.json', import.meta.url));
const ROSA = { id: 'G9001', email: 'rosa.delgado@example.net' };
const SAM = { id: 'P1004', cardNumber: '21234000011004', lastName: "O'Brien", email: 'sam.obrien@example.org' };

async function storedItem(rt: TestRuntime, key: { pk: string; sk: string }) {
  return (await rt.db.send(new GetCommand({ TableName: RECORDS_TABLE, Key: key, ConsistentRead: true }))).Item;
}

/** Answers the fundraising list's staff task `done` through its staff member's link (R19). */
const answerManualTask = (rt: TestRuntime, requestId: string, systemId = 'fundraising') =>
  answerManualSystem(rt, requestId, systemId, { state: 'done' });

async function problem(rt: TestRuntime, body: Record<string, unknown>) {
  const res = await fetch(`${rt.baseUrl}/api/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as { errors?: { path: string; message: string }[] },
  };
}

describe('outreach opt-out workflow (R20)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ systemsPath: DEMO_SYSTEMS });
  });
  afterAll(async () => rt.cleanup());

  it('R20 R19 a patron by card: verified through the email on file, outreach stops in the records table and the manual fundraising list, and the patron is told where', async () => {
    const { status, body } = await submit(rt, {
      kind: 'outreach-opt-out',
      cardNumber: ADA.cardNumber,
      lastName: ADA.lastName,
    });
    expect(status).toBe(202);
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    expect(verify.body.text).toContain('stop the library contacting you for outreach');
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);

    // R19: one result per outreach system; the e-book and booking systems are not outreach systems.
    await answerManualTask(rt, body.requestId);
    await waitForStatus(rt, body.statusUrl, 'completed');
    const results = await rt.deps.systemResults.list(body.requestId);
    expect(results.map((r) => [r.systemId, r.state]).sort()).toEqual([
      ['fundraising', 'done'],
      ['records', 'done'],
    ]);
    expect((await storedItem(rt, recordKeys.patron(ADA.id)))?.outreachOptOut).toBe(true);

    const told = await rt.mail.waitFor(ADA.email, /outreach opt-out/);
    expect(told.body.text).toContain('Privacy Desk records');
    expect(told.body.text).toContain('Newsletter and fundraising list');
    // R5: ids and states only in the workflow's history and the trail.
    const history = JSON.stringify(rt.engine.history(executionOf('outreach-opt-out', body.requestId)));
    const trail = JSON.stringify(await rt.deps.audit.list(body.requestId));
    for (const personal of [ADA.cardNumber, ADA.lastName, ADA.email]) {
      expect(history).not.toContain(personal);
      expect(trail).not.toContain(personal);
    }
    expect((await rt.deps.requests.get(body.requestId)).submitted).toBeUndefined();
  });

  it('R20 a donor without a card, by the email a donation record holds: matched by index, verified through that address, done; the typed email erased (R5)', async () => {
    const { status, body } = await submit(rt, { kind: 'outreach-opt-out', email: 'Rosa.Delgado@example.net' });
    expect(status).toBe(202);
    const verify = await rt.mail.waitFor(ROSA.email, /confirm your privacy request/);
    const stored = await rt.deps.requests.getOf(body.requestId, 'outreach-opt-out');
    expect(stored.submittedEmail).toBeUndefined();
    expect(stored.donorId).toBe(ROSA.id);
    expect(stored.patronId).toBeUndefined();
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);

    await answerManualTask(rt, body.requestId);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await storedItem(rt, recordKeys.donor(ROSA.id)))?.outreachOptOut).toBe(true);
    const told = await rt.mail.waitFor(ROSA.email, /outreach opt-out/);
    expect(told.body.text).toContain('Newsletter and fundraising list');
    const history = JSON.stringify(rt.engine.history(executionOf('outreach-opt-out', body.requestId)));
    expect(history.toLowerCase()).not.toContain('rosa');
  });

  it('R20 an email no donation record holds: the same answer (status code, body shape, status), and no email to anyone about it', async () => {
    const stranger = 'nobody.here@example.net';
    const before = (await rt.mail.all()).length;
    const known = await submit(rt, { kind: 'outreach-opt-out', email: ROSA.email });
    const unknown = await submit(rt, { kind: 'outreach-opt-out', email: stranger });
    expect(unknown.status).toBe(known.status);
    expect(Object.keys(unknown.body).sort()).toEqual(Object.keys(known.body).sort());
    expect(unknown.body.status).toBe(known.body.status);
    // Both wait for a verification the stranger never gets: the status page cannot tell them apart.
    await eventually(async () =>
      (await statusOf(rt, known.body.statusUrl)).status === 'verifying' ? true : undefined,
    );
    await eventually(async () =>
      (await statusOf(rt, unknown.body.statusUrl)).status === 'verifying' ? true : undefined,
    );
    await rt.mail.waitFor(ROSA.email, /confirm your privacy request/, 2);
    await new Promise((r) => setTimeout(r, 300));
    const sent = (await rt.mail.all()).slice(before);
    expect(sent.filter((e) => e.destination.to.includes(stranger))).toHaveLength(0);
    expect(sent).toHaveLength(1); // only the known donor's verification
    const request = await rt.deps.requests.getOf(unknown.body.requestId, 'outreach-opt-out');
    expect(request.matched).toBe(false);
    expect(request.submittedEmail).toBeUndefined(); // R5: erased after matching, matched or not
  });

  it('R20 the web form for a donor without a card: the page after sending reads the same whether or not a donation record holds the address', async () => {
    const pageFor = async (email: string) => {
      const res = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, { kind: 'outreach-opt-out', email });
      expect(res.status).toBe(202);
      return (await res.text()).replace(/\/api\/requests\/[^"<\s]+/g, 'STATUS');
    };
    const known = await pageFor(ROSA.email);
    const unknown = await pageFor('someone.else@example.net');
    expect(unknown).toBe(known);
    expect(known).toContain('If our donation records hold this email address');
    expect(known).not.toContain('card number');
  });

  it('R20 bad input is a 400 problem document naming the field: card and email together, neither, a malformed or oversized email, a card without its last name', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'outreach-opt-out', cardNumber: ADA.cardNumber, lastName: ADA.lastName, email: ROSA.email }, 'email'],
      [{ kind: 'outreach-opt-out' }, 'email'],
      [{ kind: 'outreach-opt-out', email: 'not-an-email' }, 'email'],
      [{ kind: 'outreach-opt-out', email: `${'a'.repeat(250)}@example.net` }, 'email'],
      [{ kind: 'outreach-opt-out', cardNumber: ADA.cardNumber }, 'lastName'],
      [{ kind: 'outreach-opt-out', email: ROSA.email, campaign: 'all' }, ''],
    ];
    for (const [body, path] of cases) {
      const res = await problem(rt, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(res.body.errors?.some((e) => e.path === path || (path === '' && e.path !== undefined))).toBe(true);
      // R5: no error echoes what was typed.
      expect(JSON.stringify(res.body)).not.toContain('example.net');
      expect(JSON.stringify(res.body)).not.toContain(ADA.cardNumber);
    }
  });

  it('R20 R6 reloading the dataset keeps an opt-out and a corrected field (issue #11: a reload never undoes them)', async () => {
    const { body } = await submit(rt, { kind: 'outreach-opt-out', cardNumber: SAM.cardNumber, lastName: SAM.lastName });
    const verify = await rt.mail.waitFor(SAM.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    await answerManualTask(rt, body.requestId);
    await waitForStatus(rt, body.statusUrl, 'completed');
    // The records table's own correction write (the connector's), as a correction's fan-out makes it.
    await rt.deps.records.updateProfile(SAM.id, { phone: '+12035550199' });

    await loadDataset(await readDatasetFile(DEMO_DATASET), {
      client: rt.db,
      tableName: RECORDS_TABLE,
      fingerprinter: rt.deps.fingerprinter,
    });
    const sam = await storedItem(rt, recordKeys.patron(SAM.id));
    expect(sam?.outreachOptOut).toBe(true);
    expect(sam?.phone).toBe('+12035550199');
    expect((await rt.deps.records.getPatron(SAM.id))?.phone).toBe('+12035550199');
    expect((await storedItem(rt, recordKeys.patron(ADA.id)))?.outreachOptOut).toBe(true);
    expect((await storedItem(rt, recordKeys.donor(ROSA.id)))?.outreachOptOut).toBe(true);
    // A field nobody corrected still follows the dataset.
    expect((await rt.deps.records.getPatron(SAM.id))?.email).toBe(SAM.email);
  });
});

describe('outreach opt-out with the records table alone (R20)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('R20 a library that configured no outreach system still records the opt-out in its own table', async () => {
    const { body } = await submit(rt, { kind: 'outreach-opt-out', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.deps.systemResults.list(body.requestId)).map((r) => [r.systemId, r.state])).toEqual([
      ['records', 'done'],
    ]);
    expect((await storedItem(rt, recordKeys.patron(ADA.id)))?.outreachOptOut).toBe(true);
  });
});

const KOHA_USER_ENV = 'OUTREACH_TEST_KOHA_USER';
const KOHA_PASSWORD_ENV = 'OUTREACH_TEST_KOHA_PASSWORD';

describe.skipIf(!kohaSpecAvailable())('outreach opt-out and a Koha marked for outreach (R20, R19)', () => {
  let rt: TestRuntime;
  let sim: KohaSimulator;
  beforeAll(async () => {
    sim = await startKohaSimulator({ basicUsers: [{ user: 'privacy-desk', password: 'basic-password' }] });
    sim.data.addPatron({ cardnumber: ADA.cardNumber, surname: ADA.lastName, firstname: 'Ada', email: ADA.email });
    process.env[KOHA_USER_ENV] = 'privacy-desk';
    process.env[KOHA_PASSWORD_ENV] = 'basic-password';
    rt = await startRuntimeWithSystems({
      systems: [
        {
          id: 'records',
          type: 'records-table',
          name: 'Privacy Desk records',
          identity: true,
          categories: ['personal', 'donations'],
        },
        {
          id: 'ils',
          type: 'koha',
          name: 'Koha ILS',
          outreach: true,
          baseUrl: sim.baseUrl,
          auth: { type: 'basic', userEnv: KOHA_USER_ENV, passwordEnv: KOHA_PASSWORD_ENV },
          categories: ['personal', 'library-records'],
        },
      ],
    });
  });
  afterAll(async () => {
    await rt.cleanup();
    const violations = [...sim.violations];
    await sim.close();
    delete process.env[KOHA_USER_ENV];
    delete process.env[KOHA_PASSWORD_ENV];
    expect(violations).toEqual([]);
  });

  it('R20 R19 a system whose connector has no outreach setting answers could-not, never done: the patron reads which systems stopped and which not, and the privacy officer is told', async () => {
    const { body } = await submit(rt, { kind: 'outreach-opt-out', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    const results = await rt.deps.systemResults.list(body.requestId);
    expect(results.map((r) => [r.systemId, r.state]).sort()).toEqual([
      ['ils', 'could-not'],
      ['records', 'done'],
    ]);
    const told = await rt.mail.waitFor(ADA.email, /outreach opt-out/);
    expect(told.body.text).toMatch(/recorded in: Privacy Desk records\./);
    expect(told.body.text).toMatch(/could not record it yet.*: Koha ILS\./s);
    const officer = await rt.mail.waitFor(OFFICER, /could not be recorded in: Koha ILS/);
    expect(officer.body.text).toContain(body.requestId);
    expect(officer.body.text).not.toContain(ADA.lastName);
  });
});
