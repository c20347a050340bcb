import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postFormAsBrowser } from '../support/http.ts';
import type { KohaSimulator } from '../support/koha-simulator/index.ts';
import { ADA, linkIn, statusOf, waitForStatus, type TestRuntime } from '../support/runtime.ts';
import { ADA_IN_KOHA, KOHA_ID, KOHA_SPEC, type KohaAda, startKohaWithAda } from '../support/systems.ts';
import { unzip } from '../support/zip.ts';

/**
 * R18 R19: a library whose system of record is Koha (the spec-validated simulator), with the records
 * table beside it, exactly as a patron uses it: the web form, the emails, the links, the downloads.
 * The patron is matched and verified in Koha, and what they download holds Koha's records and says,
 * system by system, where their records are.
 */
describe.skipIf(!KOHA_SPEC)('access and export with Koha as the system of record, end to end (R19)', () => {
  let rt: TestRuntime;
  let sim: KohaSimulator;
  let ada: KohaAda;
  beforeAll(async () => {
    ({ sim, ada, rt } = await startKohaWithAda());
  });
  afterAll(async () => {
    const violations = [...sim.violations];
    await rt.cleanup();
    // Every call Privacy Desk made to Koha, and every answer, matched Koha's spec.
    expect(violations).toEqual([]);
  });

  /** The form, the verification link in the email Koha holds, confirmed as a browser would. */
  async function askAndConfirm(kind: 'access' | 'export', n: number): Promise<string> {
    const submitted = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, {
      kind,
      cardNumber: ADA.cardNumber,
      lastName: ADA.lastName.toUpperCase(),
    });
    expect(submitted.status).toBe(202);
    const statusUrl = /href="(\/api\/requests\/[^"]+)"/.exec(await submitted.text())?.[1]?.replaceAll('&amp;', '&');
    expect(statusUrl).toBeDefined();
    const verify = await rt.mail.waitFor(ADA_IN_KOHA.email, /confirm your privacy request/, n);
    expect((await postFormAsBrowser(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    return statusUrl as string;
  }

  it('R18 R19 R7: access: verified through the email Koha holds; the report lists each system and holds Koha’s loans, hold and fine', async () => {
    const statusUrl = await askAndConfirm('access', 1);
    const ready = await rt.mail.waitFor(ADA_IN_KOHA.email, /are ready/);
    // The records table's copy of her email is never used: Koha is her system of record.
    expect(await rt.mail.to(ADA.email)).toHaveLength(0);
    const res = await fetch(linkIn(ready, 'download'));
    expect(res.status).toBe(200);
    const report = await res.text();
    expect(report).toContain('<a href="#systems">Where your records are</a>');
    expect(report).toMatch(
      /<dt>Koha catalogue and circulation<\/dt><dd>Found: Personal information: 1 record; Login credentials: 1 record; Library records: 5 records; Fines, fees and payments: 1 record\.<\/dd>/,
    );
    expect(report).toMatch(/<dt>Privacy Desk records<\/dt><dd>Found: /);
    expect(report).toContain(ADA_IN_KOHA.email);
    expect(report).toContain('Overdue fine');
    expect(report).toContain('Still on loan');
    expect(report).not.toContain('$2b$');
    expect(await statusOf(rt, statusUrl)).toMatchObject({ kind: 'access' });
    await waitForStatus(rt, statusUrl, 'completed');
  });

  it('R8a R19: export: the zip holds Koha’s checkouts (current and returned), hold and fine, and where each system answered', async () => {
    const statusUrl = await askAndConfirm('export', 2);
    const ready = await rt.mail.waitFor(ADA_IN_KOHA.email, /Your data export from .* is ready/);
    const res = await fetch(linkIn(ready, 'download'));
    expect(res.status).toBe(200);
    const files = await unzip(Buffer.from(await res.arrayBuffer()));
    const doc = JSON.parse(files.get('export.json') ?? '') as {
      systems: { id: string; result: string; statement: string }[];
      categories: Record<string, { data?: Record<string, { id: string; returnedAt?: string | null }[]> }>;
    };
    expect(doc.systems.map((s) => [s.id, s.result])).toEqual([
      [KOHA_ID, 'done'],
      ['records', 'done'],
    ]);
    expect(doc.systems[0]?.statement).toContain('Library records: 5 records');
    const kohaLoans = (doc.categories['library-records']?.data?.loans ?? []).filter((l) =>
      l.id.startsWith(`${KOHA_ID}/`),
    );
    expect(kohaLoans).toHaveLength(4);
    expect(kohaLoans.filter((l) => l.returnedAt === null).map((l) => l.id)).toEqual([`${KOHA_ID}/${ada.checkoutId}`]);
    expect(doc.categories['library-records']?.data?.holds?.map((h) => h.id)).toContain(`${KOHA_ID}/${ada.holdId}`);
    expect(doc.categories.payments?.data?.fines?.map((f) => f.id)).toContain(`${KOHA_ID}/${ada.fineId}`);
    expect(files.get('payments.csv')).toContain('Overdue fine');
    await waitForStatus(rt, statusUrl, 'completed');
  });
});
