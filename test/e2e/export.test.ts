import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../functions/domain/categories.ts';
import { postFormAsBrowser } from '../support/http.ts';
import { ADA, linkIn, startTestRuntime, statusOf, waitForStatus, type TestRuntime } from '../support/runtime.ts';
import { unzip } from '../support/zip.ts';

/**
 * A patron's export request (R8a) exactly as a person makes it: the web form, the emails in the
 * local SES mailbox, the links in them, and the downloaded zip, unpacked as an unzip tool would.
 */
const ADA_PASSWORD_HASH = '$2b$12$nszE3uthxlxtx9ORckzmBf2HZGQMviFakL0Kv4VFByutnBF3yQAm9';

describe('export request, end to end', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('the form offers an export', async () => {
    const page = await (await fetch(`${rt.baseUrl}/request.html`)).text();
    expect(page).toContain('name="kind" value="export"');
  });

  it('form → verification email → confirm → export email → the zip holds the loans and no password hash', async () => {
    const submitted = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, {
      kind: 'export',
      cardNumber: ADA.cardNumber,
      lastName: ADA.lastName,
    });
    expect(submitted.status).toBe(202);
    const received = await submitted.text();
    expect(received).toContain('We received your request');
    const statusUrl = /href="(\/api\/requests\/[^"]+)"/.exec(received)?.[1]?.replaceAll('&amp;', '&') as string;
    expect(statusUrl).toBeDefined();
    expect((await statusOf(rt, statusUrl)).kind).toBe('export');

    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    const link = linkIn(verify, 'act');
    expect((await fetch(link)).status).toBe(200); // a GET only shows the page
    const confirmed = await postFormAsBrowser(link, { decision: 'confirm' });
    expect(confirmed.status).toBe(200);

    const ready = await rt.mail.waitFor(ADA.email, /Your data export from .* is ready/);
    const downloadLink = linkIn(ready, 'download');
    expect(downloadLink.startsWith(`${rt.baseUrl}/download/`)).toBe(true);
    expect(ready.body.text).toMatch(/The link works until \w+day, \w+ \d{1,2}, \d{4} at \d{1,2}:\d\d [AP]M E[SD]T;/);

    const res = await fetch(downloadLink);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.zip"$/);
    const zip = Buffer.from(await res.arrayBuffer());
    expect(zip.includes(Buffer.from(ADA_PASSWORD_HASH))).toBe(false);
    const files = await unzip(zip);
    expect([...files.keys()].sort()).toEqual(['export.json', ...CATEGORIES.map((c) => `${c}.csv`)].sort());

    const doc = JSON.parse(files.get('export.json') ?? '') as {
      version: number;
      categories: Record<string, { data?: { loans?: { title: string }[] } }>;
    };
    expect(doc.version).toBe(1);
    const titles = (doc.categories['library-records']?.data?.loans ?? []).map((l) => l.title);
    expect(titles).toEqual(expect.arrayContaining(['The Difference Engine', 'Hidden Figures']));
    expect(files.get('library-records.csv')).toContain('Hidden Figures');
    for (const [name, text] of files) {
      expect(text, name).not.toContain(ADA_PASSWORD_HASH);
      expect(text, name).not.toContain('$2b$');
      expect(text, name).not.toContain('passwordHash');
    }

    // A GET changes nothing: the link may be opened again until it expires.
    expect((await fetch(downloadLink)).status).toBe(200);
    expect(await waitForStatus(rt, statusUrl, 'completed')).toMatchObject({ kind: 'export', status: 'completed' });
  });
});
