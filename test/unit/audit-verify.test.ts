import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../functions/adapters/dynamodb/audit.ts';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { copyChainHeads } from '../../functions/app/copy-audit-heads.ts';
import { CHAIN_BREAKS, chainMessage, type AuditEvent, type AuditEventInput } from '../../functions/domain/audit.ts';
import { AUDIT_HEADS_FILE, LocalAuditHeads } from '../../local/audit-heads.ts';
import { AUDIT_KEY_FILE, loadAuditKeyFile } from '../../local/audit-key.ts';
import { main } from '../../scripts/audit-verify.ts';
import { useDynalite } from '../support/dynalite.ts';

/**
 * R17: `npm run audit:verify` (scripts/audit-verify.ts, its `main`) against dynalite and the audit
 * folder's real key file and heads file, as the local runtime leaves them: an edit, a deletion, a
 * truncation and a deleted chain are each reported by request and first bad seq; a wrong key
 * breaks every chain; the output never holds an event's content.
 */
const REQUESTS = 'privacy-desk-requests';
const AUDIT = 'privacy-desk-audit';
const NOW = new Date('2026-03-01T09:00:00.000Z');
const PERSONAL = 'ada@example.org';

const step = (n: number): AuditEventInput => ({
  eventId: `step-${n}`,
  type: 'status-changed',
  actor: { kind: 'staff', id: 'privacy@library.example', role: 'privacy-officer' },
  data: { step: String(n) },
});

describe('audit:verify (R17)', () => {
  const dynamo = useDynalite([REQUESTS, AUDIT]);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let log: AuditLog;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-verify-'));
    env = {
      DSR_DYNAMODB_ENDPOINT: dynamo.endpoint,
      DSR_REQUESTS_TABLE: REQUESTS,
      DSR_AUDIT_TABLE: AUDIT,
      DSR_DATA_DIR: dir,
    };
    const key = await loadAuditKeyFile(join(dir, AUDIT_KEY_FILE), { create: true });
    log = new AuditLog(dynamo.db, AUDIT, key, () => NOW);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A chain of `n` events whose head is copied, as the daily copy leaves it. */
  async function copiedChain(n: number): Promise<string> {
    const requestId = randomUUID();
    for (let i = 1; i <= n; i++) await log.append(requestId, step(i));
    await copyChainHeads({
      audit: log,
      auditHeads: new LocalAuditHeads(join(dir, AUDIT_HEADS_FILE)),
      clock: () => NOW,
    });
    return requestId;
  }

  async function verify(args: string[], envOverride: NodeJS.ProcessEnv = {}) {
    const lines: string[] = [];
    const code = await main(args, { ...env, ...envOverride }, (line) => lines.push(line));
    return { code, out: lines.join('\n') };
  }

  const broken = (requestId: string, seq: number, reason: string) =>
    `BROKEN request ${requestId} at seq ${seq}: ${reason}`;

  it('R17: untouched chains verify: OK, exit 0', async () => {
    const requestId = await copiedChain(3);
    const { code, out } = await verify(['--request', requestId]);
    expect(out).toContain('OK: 1 request, 3 events, every chain intact');
    expect(code).toBe(0);
  });

  it('R17: an edited event is detected: the request and the first bad seq; exit 1', async () => {
    const requestId = await copiedChain(4);
    await dynamo.db.send(
      new UpdateCommand({
        TableName: AUDIT,
        Key: requestKeys.audit(requestId, 2),
        UpdateExpression: 'SET actor.id = :who',
        ExpressionAttributeValues: { ':who': 'someone-else@library.example' },
      }),
    );
    const { code, out } = await verify(['--request', requestId]);
    expect(out).toContain(broken(requestId, 2, CHAIN_BREAKS.mac));
    expect(out).not.toContain('someone-else');
    expect(code).toBe(1);
  });

  it('R17: an event replaced with one carrying a plain SHA-256 link (no key) is detected', async () => {
    const requestId = await copiedChain(3);
    const second = (await log.list(requestId))[1] as AuditEvent;
    const forged = { ...second, data: { step: PERSONAL } };
    forged.hash = createHash('sha256').update(chainMessage(forged)).digest('hex');
    await dynamo.db.send(new PutCommand({ TableName: AUDIT, Item: { ...requestKeys.audit(requestId, 2), ...forged } }));
    const { code, out } = await verify(['--request', requestId]);
    expect(out).toContain(broken(requestId, 2, CHAIN_BREAKS.mac));
    expect(out).not.toContain(PERSONAL); // R5: never an event's content
    expect(code).toBe(1);
  });

  it('R17: a deleted event in the middle is detected as a sequence gap at the next seq', async () => {
    const requestId = await copiedChain(4);
    await dynamo.db.send(new DeleteCommand({ TableName: AUDIT, Key: requestKeys.audit(requestId, 2) }));
    const { code, out } = await verify(['--request', requestId]);
    expect(out).toContain(broken(requestId, 3, CHAIN_BREAKS.gap));
    expect(code).toBe(1);
  });

  it('R17: a cut-off tail is detected against the copied head: the first missing seq', async () => {
    const requestId = await copiedChain(5);
    for (const seq of [4, 5])
      await dynamo.db.send(new DeleteCommand({ TableName: AUDIT, Key: requestKeys.audit(requestId, seq) }));
    const { code, out } = await verify(['--request', requestId]);
    expect(out).toContain(broken(requestId, 4, CHAIN_BREAKS.truncated));
    expect(code).toBe(1);
  });

  it('R17: a whole chain deleted is detected, found through its copied head alone', async () => {
    const requestId = await copiedChain(2);
    for (const seq of [1, 2])
      await dynamo.db.send(new DeleteCommand({ TableName: AUDIT, Key: requestKeys.audit(requestId, seq) }));
    const { code, out } = await verify([]);
    expect(out).toContain(broken(requestId, 1, CHAIN_BREAKS.truncated));
    expect(code).toBe(1);
  });

  it('R17: checked with another key, every chain is broken at its first event', async () => {
    const requestId = await copiedChain(2);
    const other = await mkdtemp(join(tmpdir(), 'audit-verify-other-'));
    try {
      await writeFile(join(other, AUDIT_KEY_FILE), 'ab'.repeat(32), { mode: 0o600 });
      await writeFile(join(other, AUDIT_HEADS_FILE), await readFile(join(dir, AUDIT_HEADS_FILE)));
      const { code, out } = await verify(['--request', requestId], { DSR_DATA_DIR: other });
      expect(out).toContain(broken(requestId, 1, CHAIN_BREAKS.mac));
      expect(code).toBe(1);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('R17: without the key file the verifier refuses (exit 2) rather than make a new key', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'audit-verify-nokey-'));
    try {
      const { code, out } = await verify([], { DSR_DATA_DIR: empty });
      expect(code).toBe(2);
      expect(out).toContain('no audit key');
      await expect(stat(join(empty, AUDIT_KEY_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('R17: a heads file with a line that is not a head is refused, naming the line, not its content', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'audit-verify-badheads-'));
    try {
      await writeFile(join(bad, AUDIT_KEY_FILE), await readFile(join(dir, AUDIT_KEY_FILE)));
      await writeFile(join(bad, AUDIT_HEADS_FILE), `{"requestId":"${PERSONAL}","seq":"x","hash":"y"}\n`);
      await expect(verify([], { DSR_DATA_DIR: bad })).rejects.toThrow(/line 1 is not a chain head/);
      await expect(verify([], { DSR_DATA_DIR: bad })).rejects.not.toThrow(PERSONAL);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
