import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../functions/domain/categories.ts';
import { TransientError } from '../../functions/domain/errors.ts';
import { RESIDENCY_STATEMENT } from '../../functions/domain/export-format.ts';
import { defaultPolicy, type Policy } from '../../functions/domain/policy.ts';
import { createHandler as createBuildExport } from '../../functions/handlers/task-build-export.ts';
import type { Mailer } from '../../functions/adapters/ses-mailer.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { executionOf, expectNoPersonalData } from '../support/executions.ts';
import { downloadAtDesk, handOverAtDesk } from '../support/desk.ts';
import { postForm } from '../support/http.ts';
import {
  ADA,
  CIRCULATION,
  eventually,
  HAROLD,
  linkIn,
  startTestRuntime,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';
import { unzip } from '../support/zip.ts';
import type { KohaSimulator } from '../support/koha-simulator/index.ts';
import {
  ADA_IN_KOHA,
  answerManualSystem,
  KOHA_ID,
  KOHA_SPEC,
  type KohaAda,
  RECORDS_AND_MANUAL,
  startKohaWithAda,
  startRuntimeWithSystems,
} from '../support/systems.ts';

/**
 * The export workflow (workflows/export.asl.json) on aws-local-stepfunctions with the real
 * handlers, dynalite and the local SES: the zip is downloaded over HTTP and unpacked here.
 */
const ADA_PASSWORD_HASH = '$2b$12$nszE3uthxlxtx9ORckzmBf2HZGQMviFakL0Kv4VFByutnBF3yQAm9';
const ADA_ANSWER_HASH = '$2b$12$8vfcjZ6iR5E8dCKdGYrm7n0iTJbJ2fV2F7TPNa0EKt6JNFraPyJp3';
const READY = /Your data export from .* is ready/;

async function download(link: string, atDesk = false) {
  // R1, R17: a staff member's own link downloads on its page's POST; a patron's on the GET.
  const res = atDesk ? await downloadAtDesk(link) : await fetch(link);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/zip');
  expect(res.headers.get('content-disposition')).toMatch(
    /^attachment; filename="library-data-export-[0-9a-f]{8}\.zip"$/,
  );
  return unzip(Buffer.from(await res.arrayBuffer()));
}

/** The export files stored under the files folder. */
async function storedExports(filesDir: string): Promise<string[]> {
  const root = join(filesDir, 'exports');
  const dirs = await readdir(root).catch(() => [] as string[]);
  const files = await Promise.all(dirs.map(async (d) => (await readdir(join(root, d))).map((f) => `${d}/${f}`)));
  return files.flat();
}

describe('export workflow', () => {
  let rt: TestRuntime;
  let filesDir: string;
  beforeAll(async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'privacy-desk-export-files-'));
    rt = await startTestRuntime({ filesDir });
  });
  afterAll(async () => {
    await rt.cleanup();
    await rm(filesDir, { recursive: true, force: true });
  });

  it('R8a verified: R7 link to the email on file, then an export link, then completed; the zip holds JSON and a CSV per category (R5, R17)', async () => {
    const { status, body } = await submit(rt, { kind: 'export', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    expect(status).toBe(202);
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const ready = await rt.mail.waitFor(ADA.email, READY);
    expect(ready.subject).toBe('Your data export from Greenwich Example Public Library is ready');
    await waitForStatus(rt, body.statusUrl, 'completed');
    await rt.engine.whenDone(executionOf('export', body.requestId));
    expect(await rt.engine.status(executionOf('export', body.requestId))).toBe('SUCCEEDED');

    const files = await download(linkIn(ready, 'download'));
    expect([...files.keys()]).toEqual(['export.json', ...CATEGORIES.map((c) => `${c}.csv`)]);
    const doc = JSON.parse(files.get('export.json') ?? '') as {
      format: string;
      version: number;
      categories: Record<string, { data?: Record<string, unknown>; statement?: string }>;
    };
    expect(doc).toMatchObject({ format: 'privacy-desk-export', version: 1 });
    expect(Object.keys(doc.categories)).toEqual(Object.keys(defaultPolicy.categories));
    const loans = doc.categories['library-records']?.data?.loans as { id: string; title: string }[];
    expect(loans.map((l) => l.id).sort()).toEqual(['L2001', 'L2002', 'L2003', 'L2004', 'L2005']);
    expect(loans.map((l) => l.title)).toContain('The Difference Engine');
    expect(files.get('library-records.csv')).toContain('The Difference Engine');
    expect(
      files
        .get('library-records.csv')
        ?.split('\r\n')
        .filter((l) => l.startsWith('loan,')),
    ).toHaveLength(5);
    expect(doc.categories.credentials?.data).toEqual({ account: { username: 'ada' } });
    expect(doc.categories.residency?.statement).toBe(RESIDENCY_STATEMENT);
    const everything = [...files.values()].join('\n');
    for (const secret of [ADA_PASSWORD_HASH, ADA_ANSWER_HASH, '$2b$']) expect(everything).not.toContain(secret);

    const events = await rt.deps.audit.list(body.requestId);
    expect(events.map((e) => e.type)).toEqual([
      'request-received',
      'patron-matched',
      'verification-requested',
      'identity-verified',
      'system-answered', // R19: the records table, the one system configured here
      'disclosure',
      'request-completed',
      'file-downloaded', // R1, R17: the patron's download above, by request and step only
    ]);
    expect(events.find((e) => e.type === 'disclosure')).toMatchObject({
      eventId: 'export-delivered',
      data: { legalBasis: 'data-subject', channel: 'email', format: 'zip' },
    });
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true); // R17
    expect(JSON.stringify(events)).not.toContain(ADA.email);
    expectNoPersonalData(rt, executionOf('export', body.requestId), [ADA], 'BuildExport');
    expect((await storedExports(filesDir)).filter((f) => f.startsWith(body.requestId))).toHaveLength(1);

    // Idempotent: the step run again after delivery sends nothing and stores nothing.
    const before = (await rt.mail.all()).length;
    const again = await createBuildExport(rt.deps)({ requestId: body.requestId }, lambdaContext('BuildExport'));
    expect(again).toEqual({ delivered: true });
    expect((await rt.mail.all()).length).toBe(before);
    expect((await rt.deps.audit.list(body.requestId)).filter((e) => e.type === 'disclosure')).toHaveLength(1);
    expect((await storedExports(filesDir)).filter((f) => f.startsWith(body.requestId))).toHaveLength(1);
  });

  it('no email on file: verified in person, then circulation staff get the export to hand over (R1: the email names the request only)', async () => {
    const { body } = await submit(rt, { kind: 'export', cardNumber: HAROLD.cardNumber, lastName: HAROLD.lastName });
    const task = await rt.mail.waitFor(CIRCULATION[0] as string, /In-person verification needed/);
    expect((await postForm(linkIn(task, 'act'), { decision: 'done', documentKind: 'photo-id' })).status).toBe(200);
    const desk = await rt.mail.waitFor(CIRCULATION[0] as string, /Hand over in person: data export/);
    // R1: each circulation member gets their own email and link, never one shared link.
    expect(desk.destination.to).toEqual([CIRCULATION[0]]);
    for (const staff of CIRCULATION)
      expect((await rt.mail.waitFor(staff, /Hand over in person: data export/)).destination.to).toEqual([staff]);
    expect(desk.body.text).toContain(body.requestId);
    expect(desk.body.text).not.toContain(HAROLD.lastName);
    const files = await download(linkIn(desk, 'download'), true);
    // R1, R17: the request completes on the recorded hand-over.
    await handOverAtDesk(rt, body.requestId);
    await waitForStatus(rt, body.statusUrl, 'completed');
    const doc = JSON.parse(files.get('export.json') ?? '') as {
      verification: Record<string, string>;
      categories: Record<string, { data?: Record<string, unknown> }>;
    };
    expect((doc.categories.personal?.data?.profile as Record<string, unknown>).lastName).toBe(HAROLD.lastName);
    // R4: who checked, by role, never the document or the staff member's address.
    expect(doc.verification).toMatchObject({ method: 'in-person', verifiedByRole: 'circulation' });
    expect(files.get('export.json')).not.toContain('photo-id');
    expect(files.get('export.json')).not.toContain(CIRCULATION[0]);
    const disclosure = (await rt.deps.audit.list(body.requestId)).find((e) => e.type === 'disclosure');
    expect(disclosure?.data).toMatchObject({ legalBasis: 'data-subject', channel: 'in-person' });
    expectNoPersonalData(rt, executionOf('export', body.requestId), [HAROLD], 'BuildExport');
  });
});

describe('export workflow: expiry and failure', () => {
  let rt: TestRuntime | undefined;
  let filesDir: string;
  afterEach(async () => {
    await rt?.cleanup();
    rt = undefined;
    await rm(filesDir, { recursive: true, force: true });
  });

  it('R8a expiry: the link answers 410 once it expires, and the sweep deletes the file', async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'privacy-desk-export-files-'));
    let skewMs = 0;
    const policy: Policy = { ...defaultPolicy, downloads: { linkTtlHours: 1 / 3600 } }; // one second
    rt = await startTestRuntime({ policy, filesDir, clock: () => new Date(Date.now() + skewMs), sweepIntervalMs: 100 });
    const { body } = await submit(rt, { kind: 'export', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    await postForm(linkIn(await rt.mail.waitFor(ADA.email, /confirm your privacy request/), 'act'), {
      decision: 'confirm',
    });
    const ready = await rt.mail.waitFor(ADA.email, READY);
    const link = linkIn(ready, 'download');
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect(await storedExports(filesDir)).toHaveLength(1);

    await eventually(async () => ((await fetch(link)).status === 410 ? true : undefined), 5_000, 'the link to expire');
    const gone = await fetch(link);
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('expired');

    // The link item outlives its expiry by a day (late clicks get 410); then the sweep, standing in
    // for DynamoDB TTL and the S3 lifecycle, deletes the item and the file.
    skewMs = 2 * 86_400_000;
    await eventually(
      async () => ((await storedExports(filesDir)).length === 0 ? true : undefined),
      5_000,
      'the sweep to delete the export',
    );
    expect([404, 410]).toContain((await fetch(link)).status);
  });

  it('a delivery that fails transiently is retried: one email, one file', async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'privacy-desk-export-files-'));
    let failures = 0;
    const flaky = (m: Mailer): Mailer => ({
      async send(email) {
        if (READY.test(email.subject) && failures < 2) {
          failures++;
          throw new TransientError('SES throttled');
        }
        return m.send(email);
      },
    });
    rt = await startTestRuntime({ wrapMailer: flaky, filesDir });
    const { body } = await submit(rt, { kind: 'export', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    await postForm(linkIn(await rt.mail.waitFor(ADA.email, /confirm your privacy request/), 'act'), {
      decision: 'confirm',
    });
    const ready = await rt.mail.waitFor(ADA.email, READY);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect(failures).toBe(2);
    expect((await rt.mail.to(ADA.email)).filter((e) => READY.test(e.subject))).toHaveLength(1);
    // The failed attempts' files were deleted: only the delivered one is stored.
    expect(await storedExports(filesDir)).toHaveLength(1);
    expect((await download(linkIn(ready, 'download'))).has('export.json')).toBe(true);
  });

  it('a delivery that keeps failing: the request is failed, the privacy officer is told, and no export is left stored', async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'privacy-desk-export-files-'));
    const broken = (m: Mailer): Mailer => ({
      async send(email) {
        if (READY.test(email.subject)) throw new TransientError('SES unavailable');
        return m.send(email);
      },
    });
    rt = await startTestRuntime({ wrapMailer: broken, filesDir });
    const { body } = await submit(rt, { kind: 'export', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    await postForm(linkIn(await rt.mail.waitFor(ADA.email, /confirm your privacy request/), 'act'), {
      decision: 'confirm',
    });
    const alert = await rt.mail.waitFor('privacy@library.example', /A privacy request failed/);
    expect(alert.body.text).toContain(body.requestId);
    expect(alert.body.text).not.toContain(ADA.lastName);
    await waitForStatus(rt, body.statusUrl, 'failed');
    await rt.engine.whenDone(executionOf('export', body.requestId));
    expect(await rt.engine.status(executionOf('export', body.requestId))).toBe('FAILED');
    expect(await storedExports(filesDir)).toEqual([]);
    expect((await rt.deps.audit.list(body.requestId)).some((e) => e.type === 'disclosure')).toBe(false);
  });
});

interface ExportDoc {
  systems?: {
    id: string;
    name: string;
    handledBy: string;
    result: string;
    counts?: Record<string, number>;
    statement: string;
  }[];
  categories: Record<string, { data?: Record<string, unknown> }>;
}

/** R8a R18 R19: the export read from every system, with "where your records are" in its JSON. */
describe('export workflow: records table and a manual system (R19)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntimeWithSystems(RECORDS_AND_MANUAL);
  });
  afterAll(async () => rt.cleanup());

  it('R8a R18 R19: the zip waits for the manual system, then lists each system with its answer, and holds the records table’s records', async () => {
    const { body } = await submit(rt, { kind: 'export', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    await eventually(async () =>
      (await rt.deps.systemResults.find(body.requestId, 'ebooks'))?.waitToken ? true : undefined,
    );
    expect((await rt.mail.to(ADA.email)).filter((e) => READY.test(e.subject))).toHaveLength(0);
    await answerManualSystem(rt, body.requestId, 'ebooks', { state: 'done' });
    const ready = await rt.mail.waitFor(ADA.email, READY);
    await waitForStatus(rt, body.statusUrl, 'completed');

    const files = await download(linkIn(ready, 'download'));
    const doc = JSON.parse(files.get('export.json') ?? '') as ExportDoc;
    expect(doc.systems?.map((s) => [s.id, s.handledBy, s.result])).toEqual([
      ['records', 'connector', 'done'],
      ['ebooks', 'staff', 'done'],
    ]);
    expect(doc.systems?.[0]?.counts?.['library-records']).toBeGreaterThan(0);
    expect(doc.systems?.[1]?.statement).toMatch(/^Checked by library staff on \d{4}-\d\d-\d\d\.$/);
    const loans = doc.categories['library-records']?.data?.loans as { id: string }[];
    expect(loans.map((l) => l.id).sort()).toEqual(['L2001', 'L2002', 'L2003', 'L2004', 'L2005']);
    expectNoPersonalData(rt, executionOf('export', body.requestId), [ADA], 'BuildExport');
  });
});

describe.skipIf(!KOHA_SPEC)('export workflow: Koha as the system of record (R19)', () => {
  let rt: TestRuntime;
  let sim: KohaSimulator;
  let ada: KohaAda;
  beforeAll(async () => {
    ({ sim, ada, rt } = await startKohaWithAda());
  });
  afterAll(async () => rt.cleanup());

  it('R8a R18 R19: matched and verified in Koha; the zip holds Koha’s profile, checkouts (current and returned), hold and fine beside the records table’s', async () => {
    // A long history: read page by page from Koha into the zip.
    sim.data.addReturnedCheckouts(ada.patronId, 1200);
    const { body } = await submit(rt, { kind: 'export', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA_IN_KOHA.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const ready = await rt.mail.waitFor(ADA_IN_KOHA.email, READY);
    await waitForStatus(rt, body.statusUrl, 'completed');

    const files = await download(linkIn(ready, 'download'));
    const doc = JSON.parse(files.get('export.json') ?? '') as ExportDoc;
    expect(doc.systems?.map((s) => [s.id, s.result, s.counts?.['library-records']])).toEqual([
      [KOHA_ID, 'done', 1205],
      ['records', 'done', expect.any(Number)],
    ]);
    const profile = doc.categories.personal?.data?.profile as { email: string; cardNumber: string };
    expect(profile).toMatchObject({ email: ADA_IN_KOHA.email, cardNumber: ADA.cardNumber });
    expect(doc.categories.credentials?.data).toEqual({ account: { username: 'ada.koha' } });
    const loans = doc.categories['library-records']?.data?.loans as { id: string; returnedAt: string | null }[];
    const fromKoha = loans.filter((l) => l.id.startsWith(`${KOHA_ID}/`));
    expect(fromKoha).toHaveLength(1204);
    expect(fromKoha.filter((l) => l.returnedAt === null).map((l) => l.id)).toEqual([`${KOHA_ID}/${ada.checkoutId}`]);
    expect(
      loans
        .filter((l) => !l.id.includes('/'))
        .map((l) => l.id)
        .sort(),
    ).toEqual(['L2001', 'L2002', 'L2003', 'L2004', 'L2005']);
    const holds = doc.categories['library-records']?.data?.holds as { id: string }[];
    expect(holds.map((h) => h.id)).toContain(`${KOHA_ID}/${ada.holdId}`);
    const fines = doc.categories.payments?.data?.fines as { id: string; reason: string }[];
    expect(fines).toContainEqual(expect.objectContaining({ id: `${KOHA_ID}/${ada.fineId}`, reason: 'Overdue fine' }));
    expect(
      files
        .get('library-records.csv')
        ?.split('\r\n')
        .filter((l) => l.startsWith(`loan,${KOHA_ID}/`)),
    ).toHaveLength(1204);
    expect(sim.violations).toEqual([]);
    expectNoPersonalData(rt, executionOf('export', body.requestId), [ADA], 'BuildExport');
  });

  it('R8a R19: holds too many to keep while the loans are written are read again in their turn: every one is in the zip, once', async () => {
    const alan = { cardNumber: '29990000000007', lastName: 'Turing', email: 'alan.turing@example.org' };
    const id = sim.data.addPatron({ cardnumber: alan.cardNumber, surname: alan.lastName, email: alan.email });
    sim.data.addReturnedCheckouts(id, 20);
    for (let i = 0; i < 5_050; i++) sim.data.addHold(id);
    const { body } = await submit(rt, { kind: 'export', cardNumber: alan.cardNumber, lastName: alan.lastName });
    const verify = await rt.mail.waitFor(alan.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const ready = await rt.mail.waitFor(alan.email, READY, 1, 60_000);
    await waitForStatus(rt, body.statusUrl, 'completed');
    const doc = JSON.parse((await download(linkIn(ready, 'download'))).get('export.json') ?? '') as ExportDoc;
    const holds = doc.categories['library-records']?.data?.holds as { id: string }[];
    expect(holds).toHaveLength(5_050);
    expect(new Set(holds.map((h) => h.id)).size).toBe(5_050);
    expect(doc.categories['library-records']?.data?.loans).toHaveLength(20);
    expect(doc.systems?.map((s) => [s.id, s.result])).toEqual([
      [KOHA_ID, 'done'],
      ['records', 'not-held'],
    ]);
    expect(sim.violations).toEqual([]);
  }, 90_000);
});
