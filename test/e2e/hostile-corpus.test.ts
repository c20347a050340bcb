import { UpdateCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { hashSecret } from '../../functions/domain/tokens.ts';
import { REQUESTS_TABLE } from '../../local/runtime.ts';
import { localToken, postFormAsBrowser } from '../support/http.ts';
import { ADA, linkIn, startTestRuntime, submit, type TestRuntime } from '../support/runtime.ts';

/**
 * Issue #14, item 3: every case of test/corpus/*.json against one local runtime. Each answer is a
 * clear 4xx (R17: never a 5xx) with a problem document or the HTML error page, echoes no part of
 * the hostile input (R5: input can hold personal data), stores nothing and sends no email.
 */
const caseSchema = z.strictObject({
  name: z.string(),
  probes: z.string(),
  method: z.string(),
  path: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  bodyBase64: z.string().optional(),
  bodyRepeat: z
    .strictObject({ head: z.string(), unit: z.string(), times: z.number().int(), tail: z.string() })
    .optional(),
  expect: z.strictObject({ status: z.array(z.number().int()), body: z.enum(['problem', 'html', 'none']) }),
  needles: z.array(z.string()).optional(),
});
type Case = z.infer<typeof caseSchema> & { family: string };

const CORPUS = new URL('../corpus/', import.meta.url);
const cases: Case[] = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.json'))
  .flatMap((f) =>
    z
      .array(caseSchema)
      .parse(JSON.parse(readFileSync(new URL(f, CORPUS), 'utf8')))
      .map((c) => ({ ...c, family: f.replace(/\.json$/, '') })),
  );

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A raw HTTP request: fetch would normalise `..` and refuse some methods, which is what a scanner does not. */
function send(base: URL, method: string, path: string, headers: Record<string, string>, body?: Buffer) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      { host: base.hostname, port: base.port, method, path, headers: { ...headers, connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = String(v);
          resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bodyOf = (c: Case): Buffer | undefined => {
  if (c.bodyBase64 !== undefined) return Buffer.from(c.bodyBase64, 'base64');
  if (c.bodyRepeat)
    return Buffer.from(c.bodyRepeat.head + c.bodyRepeat.unit.repeat(c.bodyRepeat.times) + c.bodyRepeat.tail);
  return c.body === undefined ? undefined : Buffer.from(c.body);
};

/** What a test sees of what is stored: every item of the requests table (requests, tokens, audit events). */
async function storedItems(rt: TestRuntime): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await rt.db.send(
      new ScanCommand({ TableName: REQUESTS_TABLE, Select: 'COUNT', ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

/** Waits until neither the table nor the mailbox changes for a second: the setup's workflows are done. */
async function settled(rt: TestRuntime): Promise<{ items: number; mails: number }> {
  let last = '';
  let same = 0;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error('the setup never settled: something keeps writing or mailing');
    const now = { items: await storedItems(rt), mails: (await rt.mail.all()).length };
    const key = JSON.stringify(now);
    same = key === last ? same + 1 : 0;
    if (same >= 4) return now;
    last = key;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const secretOf = (link: string) => link.slice(link.lastIndexOf('/') + 1);

describe('hostile-input corpus (issue #14; R5, R17)', () => {
  let rt: TestRuntime;
  let base: URL;
  const vars: Record<string, string> = {};
  let unusedLink = '';
  const answers = new Map<string, Answer>();
  let before = { items: 0, mails: 0 };

  beforeAll(async () => {
    rt = await startTestRuntime();
    base = new URL(rt.baseUrl);
    const counsel = await localToken(rt.baseUrl, 'counsel@library.example', ['counsel']);
    const [h, p, s] = counsel.split('.') as [string, string, string];
    const regrouped = {
      ...JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
      'cognito:groups': ['counsel', 'privacy-officer'],
    };
    Object.assign(vars, {
      counselToken: counsel,
      staffToken: await localToken(rt.baseUrl, 'privacy@library.example', ['privacy-officer']),
      counselTokenForged: `${h}.${p}.${s.slice(0, -4)}AAAA`,
      counselTokenRegrouped: `${h}.${Buffer.from(JSON.stringify(regrouped)).toString('base64url')}.${s}`,
    });

    // Three real links: one left unused (scanners' GET/HEAD), one used, one expired.
    const patrons = [
      ADA,
      { cardNumber: '21234000011003', lastName: 'Natarajan', email: 'priya.natarajan@example.com' },
      { cardNumber: '21234000011006', lastName: 'Bell', email: 'marcus.bell@example.org' },
    ];
    const links: string[] = [];
    for (const patron of patrons) {
      const sent = await submit(rt, { kind: 'access', cardNumber: patron.cardNumber, lastName: patron.lastName });
      expect(sent.status).toBe(202);
      if (patron === ADA) vars.requestId = sent.body.requestId;
      links.push(linkIn(await rt.mail.waitFor(patron.email, /confirm your privacy request/), 'act'));
    }
    const [unused, used, expired] = links as [string, string, string];
    unusedLink = unused;
    expect((await postFormAsBrowser(used, { decision: 'confirm' })).status).toBe(200);
    await rt.db.send(
      new UpdateCommand({
        TableName: REQUESTS_TABLE,
        Key: requestKeys.token(hashSecret(secretOf(expired))),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': '2000-01-01T00:00:00.000Z' },
      }),
    );
    Object.assign(vars, {
      unusedLinkToken: secretOf(unused),
      usedLinkToken: secretOf(used),
      expiredLinkToken: secretOf(expired),
    });
    before = await settled(rt);

    const fill = (t: string) => t.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => vars[k] ?? `{{${k}}}`);
    // Parallel batches: fast, and still a fair load on one runtime.
    for (let i = 0; i < cases.length; i += 12) {
      await Promise.all(
        cases.slice(i, i + 12).map(async (c) => {
          const headers = Object.fromEntries(Object.entries(c.headers ?? {}).map(([k, v]) => [k, fill(v)]));
          answers.set(`${c.family}: ${c.name}`, await send(base, c.method, fill(c.path), headers, bodyOf(c)));
        }),
      );
    }
  }, 180_000);
  afterAll(async () => rt?.cleanup());

  it('holds at least 300 cases, each named once, across every route family', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(new Set(cases.map((c) => `${c.family}: ${c.name}`)).size).toBe(cases.length);
    expect(new Set(cases.map((c) => c.family))).toEqual(
      new Set(['requests', 'links', 'court-orders', 'staff', 'local', 'other']),
    );
  });

  it.each(cases.map((c) => [`${c.family}: ${c.name}`, c] as const))('R17 R5 %s: a clear 4xx, no echo', (key, c) => {
    const a = answers.get(key);
    expect(a, 'answered').toBeDefined();
    const { status, headers, body } = a as Answer;
    expect(c.expect.status, `status (${c.probes})`).toContain(status);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    const type = headers['content-type'] ?? '';
    const text = body.toString('utf8');
    if (c.expect.body === 'problem' && c.method !== 'HEAD') {
      expect(type).toMatch(/^application\/problem\+json/);
      const doc = z
        .object({ status: z.number(), title: z.string().min(1), detail: z.string().min(1) })
        .parse(JSON.parse(text));
      expect(doc.status).toBe(status);
    }
    if (c.expect.body === 'html') {
      expect(type).toMatch(/^text\/html/);
      expect(text).toMatch(/<html/i);
    }
    const seen = `${Object.values(headers).join('\n')}\n${text}`.toLowerCase();
    for (const n of c.needles ?? []) expect(seen.includes(n.toLowerCase()), `echoes "${n.slice(0, 40)}"`).toBe(false);
  });

  it('R17: the whole corpus stored nothing, sent no email, and polluted no prototype', async () => {
    const after = { items: await storedItems(rt), mails: (await rt.mail.all()).length };
    expect(after).toEqual(before);
    expect(Object.getOwnPropertyNames(Object.prototype).filter((k) => /polluted/i.test(k))).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("R7: scanners' HEAD and GETs change nothing: the real link still works afterwards", async () => {
    expect((await send(base, 'HEAD', `/act/${vars.unusedLinkToken}`, {})).status).toBe(405);
    for (let i = 0; i < 2; i++) {
      const page = await fetch(unusedLink);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('name="decision" value="confirm"');
    }
    const confirmed = await postFormAsBrowser(unusedLink, { decision: 'confirm' });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('Your request is confirmed');
  });
});
