import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postFormAsBrowser } from '../support/http.ts';
import { ADA, linkIn, startTestRuntime, statusOf, waitForStatus, type TestRuntime } from '../support/runtime.ts';

/**
 * A patron's access request exactly as a person makes it: the web form, the emails in the local
 * SES mailbox, the links in them, and the downloaded report.
 */
const ADA_PASSWORD_HASH = '$2b$12$nszE3uthxlxtx9ORckzmBf2HZGQMviFakL0Kv4VFByutnBF3yQAm9';

describe('access request, end to end', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('serves the form and health check', async () => {
    expect(await (await fetch(`${rt.baseUrl}/health`)).json()).toEqual({ ok: true });
    const page = await (await fetch(`${rt.baseUrl}/request.html`)).text();
    expect(page).toContain('action="/api/requests"');
    expect(page).toContain('name="cardNumber"');
  });

  it('form → verification email → GET shows, POST confirms → report email → download holds loans, no password hash', async () => {
    const submitted = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, {
      kind: 'access',
      cardNumber: ADA.cardNumber,
      lastName: ADA.lastName,
    });
    expect(submitted.status).toBe(202);
    const received = await submitted.text();
    expect(received).toContain('We received your request');
    const statusUrl = /href="(\/api\/requests\/[^"]+)"/.exec(received)?.[1]?.replaceAll('&amp;', '&');
    expect(statusUrl).toBeDefined();

    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    const link = linkIn(verify, 'act');
    expect(link.startsWith(rt.baseUrl)).toBe(true);

    // A GET (a mail scanner, or the patron opening the page) changes nothing.
    for (let i = 0; i < 3; i++) {
      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('name="decision" value="confirm"');
    }
    expect((await statusOf(rt, statusUrl as string)).status).toBe('verifying');

    const confirmed = await postFormAsBrowser(link, { decision: 'confirm' });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('Your request is confirmed');

    // A used link answers 410, by GET and by POST.
    expect((await fetch(link)).status).toBe(410);
    expect((await postFormAsBrowser(link, { decision: 'confirm' })).status).toBe(410);

    const ready = await rt.mail.waitFor(ADA.email, /are ready/);
    const download = await fetch(linkIn(ready, 'download'));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
    const report = await download.text();
    expect(report).toContain('The Difference Engine');
    expect(report).toContain('Hidden Figures');
    expect(report).not.toContain(ADA_PASSWORD_HASH);
    expect(report).not.toContain('$2b$');
    // R18: each category says what, why, who sees it and for how long.
    expect(report).toContain('Login credentials');
    expect(report).toContain('Automatically collected data');

    const done = await waitForStatus(rt, statusUrl as string, 'completed');
    expect(done).toMatchObject({ kind: 'access', status: 'completed' });
  });

  it('answers the same whether or not the card and name match a patron', async () => {
    const match = await fetch(`${rt.baseUrl}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName }),
    });
    const stranger = await fetch(`${rt.baseUrl}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'access', cardNumber: '99999999999999', lastName: 'Nobody' }),
    });
    expect(match.status).toBe(202);
    expect(stranger.status).toBe(202);
    const [a, b] = [(await match.json()) as Record<string, string>, (await stranger.json()) as Record<string, string>];
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(a.status).toBe('received');
    expect(b.status).toBe('received');
    // Once the workflow has looked, both read the same from outside.
    await waitForStatus(rt, a.statusUrl as string, 'verifying');
    await waitForStatus(rt, b.statusUrl as string, 'verifying');
  });

  it('refuses bad input clearly, without echoing it', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${rt.baseUrl}/api/requests`, { method: 'POST', headers: { 'content-type': type }, body });
    const malformed = await post('{"kind":');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toBe('application/problem+json');

    const missing = await post(JSON.stringify({ kind: 'access', lastName: 'Lovelace' }));
    expect(missing.status).toBe(400);
    const problem = (await missing.json()) as { status: number; title: string; errors: { path: string }[] };
    expect(problem.status).toBe(400);
    expect(problem.errors.map((e) => e.path)).toContain('cardNumber');

    const hostile = await post(
      JSON.stringify({
        kind: 'access',
        cardNumber: '<script>alert(1)</script>',
        lastName: "Robert'); DROP TABLE patrons;--",
      }),
    );
    expect(hostile.status).toBe(400);
    const text = await hostile.text();
    expect(text).not.toContain('<script>');
    expect(text).not.toContain('DROP TABLE');

    expect(
      (await post(JSON.stringify({ kind: 'access', cardNumber: 21234000012345, lastName: 'Lovelace' }))).status,
    ).toBe(400);
    // An overlong field is refused by the schema; a body over the API's 64 KiB is refused before it.
    expect(
      (await post(JSON.stringify({ kind: 'access', cardNumber: ADA.cardNumber, lastName: 'x'.repeat(5_000) }))).status,
    ).toBe(400);
    expect(
      (await post(JSON.stringify({ kind: 'access', cardNumber: ADA.cardNumber, lastName: 'x'.repeat(70_000) }))).status,
    ).toBe(413);
    expect((await post('<xml/>', 'application/xml')).status).toBe(400);
    expect((await post('x'.repeat(11 * 1024 * 1024))).status).toBe(413);
    expect(
      (await post(JSON.stringify({ kind: 'subpoena', cardNumber: ADA.cardNumber, lastName: 'Lovelace' }))).status,
    ).toBe(400);

    // A form error comes back as a page naming the field.
    const formError = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, { kind: 'access', cardNumber: 'abc' });
    expect(formError.status).toBe(400);
    const page = await formError.text();
    expect(page).toContain('cardNumber');
    expect(page).not.toContain('abc<');
  });

  it('status and links: wrong keys and unknown or malformed tokens answer 404, never details', async () => {
    const res = await fetch(`${rt.baseUrl}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName }),
    });
    const { requestId } = (await res.json()) as { requestId: string };
    expect((await fetch(`${rt.baseUrl}/api/requests/${requestId}?key=wrong`)).status).toBe(404);
    expect((await fetch(`${rt.baseUrl}/api/requests/${requestId}`)).status).toBe(404);
    expect((await fetch(`${rt.baseUrl}/api/requests/not-a-uuid?key=x`)).status).toBe(400);
    expect((await fetch(`${rt.baseUrl}/act/${'A'.repeat(43)}`)).status).toBe(404);
    expect((await fetch(`${rt.baseUrl}/act/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
    expect((await fetch(`${rt.baseUrl}/download/${'B'.repeat(43)}`)).status).toBe(404);
    // A malformed percent-encoding names nothing: 404 with a problem document, not a 500.
    for (const path of ['/act/%E0%A4%A', '/download/%', '/api/requests/%ZZ?key=x']) {
      const bad = await fetch(`${rt.baseUrl}${path}`);
      expect(bad.status, path).toBe(404);
      expect(bad.headers.get('content-type'), path).toBe('application/problem+json');
    }
    expect((await fetch(`${rt.baseUrl}/act/${'A'.repeat(43)}`, { method: 'DELETE' })).status).toBe(405);
  });
});

describe('a restart keeps every request, including one waiting for a link', () => {
  it('the link emailed before the restart still works after it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'privacy-desk-data-'));
    try {
      const first = await startTestRuntime({ dataDir });
      const res = await fetch(`${first.baseUrl}/api/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName }),
      });
      const { statusUrl } = (await res.json()) as { statusUrl: string };
      const link = linkIn(await first.mail.waitFor(ADA.email, /confirm your privacy request/), 'act');
      await first.cleanup();

      const second = await startTestRuntime({ dataDir });
      try {
        const path = new URL(link).pathname;
        expect((await statusOf(second, statusUrl)).status).toBe('verifying');
        expect((await postFormAsBrowser(`${second.baseUrl}${path}`, { decision: 'confirm' })).status).toBe(200);
        await second.mail.waitFor(ADA.email, /are ready/);
        await waitForStatus(second, statusUrl, 'completed');
      } finally {
        await second.cleanup();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
