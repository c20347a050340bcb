import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageCsp } from '../../infra/page-headers.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * The local runtime answers as AWS does, and only under its own name: a page on another site whose
 * name resolves to this machine (DNS rebinding) is refused, and the web pages carry the security
 * headers CloudFront adds in AWS.
 */
describe('the local runtime under another name, and its pages (R1, R12)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  /** fetch() will not send a forged Host header; a raw request does, as a rebinding browser would. */
  const withHost = (path: string, host: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const { port } = new URL(rt.baseUrl);
      const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('R1: a request under another host name is refused with 421 and reaches no handler or page', async () => {
    const { port } = new URL(rt.baseUrl);
    for (const host of [`evil.example:${port}`, 'evil.example', `localhost.evil.example:${port}`]) {
      const res = await withHost('/api/staff/requests', host);
      expect(res.status, host).toBe(421);
      expect((await withHost('/staff.html', host)).status, host).toBe(421);
    }
    expect((await withHost('/health', `localhost:${port}`)).status).toBe(200);
    expect((await withHost('/health', `127.0.0.1:${port}`)).status).toBe(200);
  });

  it('pages carry the same security headers as CloudFront adds in AWS', async () => {
    for (const page of ['/', '/staff.html', '/counsel.html']) {
      const res = await fetch(`${rt.baseUrl}${page}`);
      expect(res.status, page).toBe(200);
      expect(res.headers.get('content-security-policy'), page).toBe(pageCsp([]));
      expect(res.headers.get('x-frame-options'), page).toBe('DENY');
      expect(res.headers.get('referrer-policy'), page).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options'), page).toBe('nosniff');
    }
  });
});
