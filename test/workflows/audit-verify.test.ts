import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_CSV_COLUMNS } from '../../functions/domain/audit-csv.ts';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { AUDIT_TABLE, REQUESTS_TABLE } from '../../local/runtime.ts';
import { copyChainHeads } from '../../functions/app/copy-audit-heads.ts';
import { CHAIN_BREAKS } from '../../functions/domain/audit.ts';
import { postForm } from '../support/http.ts';
import { ADA, linkIn, startTestRuntime, submit, waitForStatus, type TestRuntime } from '../support/runtime.ts';

/**
 * R17: `npm run audit:verify` (scripts/audit-verify.ts), run as its own process against the test
 * runtime's dynalite and its audit folder (key file, copied heads): every chain intact after a real
 * request; an event edited directly in the audit table, one removed, and a cut-off tail are each
 * found and reported by request and seq, with exit code 1; one request alone; the CSV.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let auditDir: string;

function verify(endpoint: string, args: string[] = []): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/audit-verify.ts', ...args],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DSR_DYNAMODB_ENDPOINT: endpoint,
          DSR_REQUESTS_TABLE: REQUESTS_TABLE,
          DSR_AUDIT_TABLE: AUDIT_TABLE,
          DSR_DATA_DIR: auditDir,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe('audit:verify (R17)', () => {
  let rt: TestRuntime;
  let endpoint: string;
  let dir: string;
  let first: string;
  let second: string;
  let third: string;

  beforeAll(async () => {
    rt = await startTestRuntime();
    auditDir = rt.auditDir;
    const e = await rt.db.config.endpoint?.();
    if (!e) throw new Error('no endpoint');
    endpoint = `${e.protocol}//${e.hostname}:${String(e.port)}`;
    dir = await mkdtemp(join(tmpdir(), 'audit-verify-'));
    // A real request through the real workflow, so the chain is what the handlers write.
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
      const email = await rt.mail.waitFor(ADA.email, /confirm your privacy request/, n);
      await postForm(linkIn(email, 'act'), { decision: 'confirm' });
      await waitForStatus(rt, body.statusUrl, 'completed');
      ids.push(body.requestId);
    }
    [first, second, third] = ids as [string, string, string];
    // The daily copy of the chains' heads, as the schedule runs it.
    await copyChainHeads(rt.deps);
  }, 120_000);
  afterAll(async () => {
    await rt.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('R17: every chain intact: OK with counts, exit 0', async () => {
    let events = 0;
    for (const id of [first, second, third]) events += (await rt.deps.audit.list(id)).length;
    const { code, out } = await verify(endpoint);
    expect(out).toContain(`OK: 3 requests, ${events} events, every chain intact`);
    expect(code).toBe(0);
  });

  it('R17: an event edited in the table is found: the request, its seq and why; exit 1', async () => {
    await rt.db.send(
      new UpdateCommand({
        TableName: AUDIT_TABLE,
        Key: requestKeys.audit(first, 3),
        UpdateExpression: 'SET #t = :t',
        ExpressionAttributeNames: { '#t': 'type' },
        ExpressionAttributeValues: { ':t': 'nothing-happened' },
      }),
    );
    const { code, out } = await verify(endpoint);
    expect(out).toContain(`BROKEN request ${first} at seq 3: ${CHAIN_BREAKS.mac}`);
    expect(out).toContain('FAILED: 3 requests');
    expect(out).not.toContain(`BROKEN request ${second}`);
    expect(code).toBe(1);
  });

  it('R17: one request alone, and a removed event is a sequence gap', async () => {
    expect(await verify(endpoint, ['--request', second])).toMatchObject({
      code: 0,
      out: expect.stringContaining('OK: 1 request,'),
    });
    await rt.db.send(new DeleteCommand({ TableName: AUDIT_TABLE, Key: requestKeys.audit(second, 2) }));
    const { code, out } = await verify(endpoint, ['--request', second]);
    expect(out).toContain(`BROKEN request ${second} at seq 3: ${CHAIN_BREAKS.gap}`);
    expect(code).toBe(1);
    expect((await verify(endpoint, ['--request', 'no-such-request'])).code).toBe(1);
    expect((await verify(endpoint, ['--bogus'])).code).toBe(2);
  });

  it('R17: a cut-off tail is found against the copied head: the first missing seq; exit 1', async () => {
    const head = await rt.deps.audit.head(third);
    if (!head) throw new Error('no chain');
    await rt.db.send(new DeleteCommand({ TableName: AUDIT_TABLE, Key: requestKeys.audit(third, head.seq) }));
    const { code, out } = await verify(endpoint, ['--request', third]);
    expect(out).toContain(`BROKEN request ${third} at seq ${head.seq}: ${CHAIN_BREAKS.truncated}`);
    expect(code).toBe(1);
  });

  it('R17: --csv writes the trails it checked', async () => {
    const file = join(dir, 'audit.csv');
    await verify(endpoint, ['--request', first, '--csv', file]);
    const lines = (await readFile(file, 'utf8'))
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(AUDIT_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + (await rt.deps.audit.list(first)).length);
    expect(lines.join('\n')).not.toContain(ADA.email);
  });
});
