import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../functions/domain/categories.ts';
import { renderDecisionForm, renderNotice, renderPage } from '../../functions/render/layout.ts';
import { html } from '../../functions/lib/html.ts';

describe('renderPage', () => {
  it('is an accessible document: lang, viewport, main landmark, skip link, heading, stylesheet', () => {
    const page = renderPage({ title: 'Request received', libraryName: 'Greenwich Library', body: html`<p>Thanks</p>` });
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toMatch(/<main id="main"[^>]*>/);
    expect(page).toContain('<a class="skip-link" href="#main">');
    expect(page).toContain('<h1>Request received</h1>');
    expect(page).toContain('<link rel="stylesheet" href="/styles.css">');
    expect(page).toContain('Greenwich Library Privacy Desk');
    expect(page).toContain('<p>Thanks</p>');
  });

  it('escapes the title and library name', () => {
    const page = renderPage({ title: '<script>alert(1)</script>', libraryName: '"><img>', body: html`` });
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img>');
    expect(page).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
  });
});

describe('renderNotice', () => {
  it('escapes its text and announces errors', () => {
    const n = renderNotice('error', '<b>bad</b>').value;
    expect(n).toContain('class="notice notice-error"');
    expect(n).toContain('role="alert"');
    expect(n).toContain('&lt;b&gt;bad&lt;/b&gt;');
    expect(renderNotice('success', 'ok').value).toContain('role="status"');
  });
});

describe('renderDecisionForm', () => {
  const form = (withReason: boolean) =>
    renderDecisionForm({
      action: '/act/tok123',
      question: 'Approve this request?',
      details: html`<p>Details</p>`,
      buttons: [
        { decision: 'approve', label: 'Approve', primary: true },
        { decision: 'reject', label: 'Reject' },
      ],
      ...(withReason ? { reasonField: { label: 'Reason', required: true } } : {}),
    }).value;

  it('posts to the action with one submit button per decision', () => {
    const f = form(false);
    expect(f).toMatch(/<form method="post" action="\/act\/tok123"/);
    const buttons = f.match(/<button type="submit" name="decision" value="[^"]+"/g) ?? [];
    expect(buttons).toEqual([
      '<button type="submit" name="decision" value="approve"',
      '<button type="submit" name="decision" value="reject"',
    ]);
    expect(f).toContain('<h2 id="decision-question">Approve this request?</h2>');
    expect(f).toContain('<p>Details</p>');
    expect(f).not.toContain('<textarea');
    expect(f).not.toContain('<script');
  });

  it('has a labelled reason textarea when asked', () => {
    const f = form(true);
    expect(f).toContain('<label for="reason">Reason (required)</label>');
    expect(f).toMatch(/<textarea id="reason" name="reason"[^>]* required>/);
  });

  it('escapes the action, labels and decision values', () => {
    const f = renderDecisionForm({
      action: '/act/"><x',
      question: 'q',
      details: html``,
      buttons: [{ decision: '"x', label: '<i>' }],
    }).value;
    expect(f).toContain('action="/act/&quot;&gt;&lt;x"');
    expect(f).toContain('value="&quot;x"');
    expect(f).toContain('&lt;i&gt;');
  });
});

describe('static pages (web/)', () => {
  const dir = fileURLToPath(new URL('../../web/', import.meta.url));
  const pages = ['index.html', 'request.html', 'guardian.html', 'third-party.html', 'outreach.html'];
  /** Signed-in pages: their forms are driven by local scripts that call the API with a token. */
  const signedIn = ['staff.html', 'counsel.html'];
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

  /** Every page: language, phone viewport, a main landmark with its skip link, the local stylesheet, nothing external. */
  const expectPageShell = (page: string) => {
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('name="viewport"');
    expect(page).toMatch(/<main id="main"/);
    expect(page).toContain('href="#main"');
    expect(page).toContain('<link rel="stylesheet" href="/styles.css">');
    expect(page).not.toMatch(/(src|href|action)="(https?:)?\/\//);
  };
  /** Every field but a hidden one has an id and a label for it. */
  const expectLabelledFields = (page: string) => {
    const labels = new Set([...page.matchAll(/<label for="([^"]+)"/g)].map((m) => m[1]));
    for (const field of page.match(/<(input|textarea|select)\b[^>]*>/g) ?? []) {
      if (attr(field, 'type') === 'hidden') continue;
      const id = attr(field, 'id');
      expect(id, field).toBeTruthy();
      expect(labels.has(id), field).toBe(true);
    }
  };

  it.each(pages)('%s: lang, viewport, main, skip link, local stylesheet, nothing external, no script', (name) => {
    const page = read(name);
    expectPageShell(page);
    expect(page).not.toContain('<script');
  });

  it.each(pages)('%s: every form posts to /api/requests and every field has a label', (name) => {
    const page = read(name);
    for (const form of page.match(/<form\b[^>]*>/g) ?? []) {
      expect(attr(form, 'method')).toBe('post');
      expect(attr(form, 'action')).toBe('/api/requests');
    }
    expectLabelledFields(page);
    // A required field says so in words, not only with the attribute.
    const required = (page.match(/<(input|textarea)\b[^>]*\srequired[\s>]/g) ?? []).length;
    if (required > 0) expect(page).toContain('(required)');
  });

  it.each(signedIn)(
    '%s: lang, viewport, main, skip link, local stylesheet, only local scripts (shared sign-in first), nothing external, every field labelled',
    (name) => {
      const page = read(name);
      expectPageShell(page);
      const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.map((m) => attr(m[1] ?? '', 'src'))).toEqual(['/sign-in.js', `/${name.replace('.html', '.js')}`]);
      for (const m of scripts) {
        expect(m[2]?.trim(), 'no inline script (the CSP allows none)').toBe('');
        expect(existsSync(join(dir, (attr(m[1] ?? '', 'src') ?? '').slice(1)))).toBe(true);
      }
      expectLabelledFields(page);
    },
  );

  const names = (name: string) => new Set([...read(name).matchAll(/\sname="([^"]+)"/g)].map((m) => m[1]));

  it('request.html offers the four kinds and the contract field names', () => {
    const page = read('request.html');
    for (const kind of ['access', 'export', 'deletion', 'correction'])
      expect(page).toContain(`name="kind" value="${kind}"`);
    const fields = names('request.html');
    for (const n of [
      'cardNumber',
      'lastName',
      'changes.firstName',
      'changes.lastName',
      'changes.email',
      'changes.phone',
      'changes.dateOfBirth',
      // R6: the username, the one credential a patron may correct.
      'changes.username',
      'changes.address.street',
      'changes.address.city',
      'changes.address.state',
      'changes.address.postalCode',
    ]) {
      expect(fields.has(n), n).toBe(true);
    }
    expect(page).toContain('already on your library record');
  });

  it('R20 outreach.html: a card holder form and a donor form, each carrying the outreach-opt-out kind and its own fields, linked from the home page', () => {
    const page = read('outreach.html');
    const forms = page.split('<form ').slice(1);
    expect(forms).toHaveLength(2);
    for (const form of forms) expect(form).toContain('<input type="hidden" name="kind" value="outreach-opt-out">');
    expect(forms[0]).toContain('name="cardNumber"');
    expect(forms[0]).toContain('name="lastName"');
    expect(forms[0]).not.toContain('name="email"');
    expect(forms[1]).toContain('name="email"');
    expect(forms[1]).not.toContain('name="cardNumber"');
    expect(read('index.html')).toContain('href="/outreach.html"');
  });

  it('guardian.html and third-party.html carry their kind and field names', () => {
    expect(read('guardian.html')).toContain('<input type="hidden" name="kind" value="guardian-access">');
    for (const n of ['guardian.cardNumber', 'guardian.lastName', 'child.cardNumber', 'child.lastName'])
      expect(names('guardian.html').has(n), n).toBe(true);
    const tp = read('third-party.html');
    expect(tp).toContain('<input type="hidden" name="kind" value="third-party">');
    for (const n of [
      'requester.name',
      'requester.email',
      'requester.organization',
      'patron.cardNumber',
      'patron.lastName',
      'categories',
      'purpose',
    ])
      expect(names('third-party.html').has(n), n).toBe(true);
    for (const m of tp.matchAll(/name="categories" value="([^"]+)"/g)) expect(CATEGORIES).toContain(m[1]);
  });
});
