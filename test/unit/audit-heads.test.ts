import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../functions/adapters/dynamodb/audit.ts';
import { copyChainHeads, HEAD_COPY_LOOKBACK_DAYS } from '../../functions/app/copy-audit-heads.ts';
import { latestHeads, type ChainHead } from '../../functions/domain/audit.ts';
import { LocalAuditHeads } from '../../local/audit-heads.ts';
import { AuditKeyFileError, loadAuditKeyFile } from '../../local/audit-key.ts';
import { testAuditKey } from '../support/audit-key.ts';
import { useDynalite } from '../support/dynalite.ts';

const AUDIT = 'audit';
const DAY = 86_400_000;

describe('the local audit key file (R17)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-key-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('R17: is made once, readable by its owner only, and the same key is read back afterwards', async () => {
    const path = join(dir, 'audit-key');
    const made = await loadAuditKeyFile(path, { create: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    const again = await loadAuditKeyFile(path, { create: true });
    expect(await readFile(path, 'utf8')).toBe(text);
    const mac = await made.mac('message');
    expect(await again.verify('message', mac)).toBe(true);
  });

  it('R17: two starts at the same moment end with one key', async () => {
    const path = join(dir, 'raced-key');
    const [a, b] = await Promise.all([
      loadAuditKeyFile(path, { create: true }),
      loadAuditKeyFile(path, { create: true }),
    ]);
    expect(await b.verify('m', await a.mac('m'))).toBe(true);
  });

  it('R17: a key file that is not a 256-bit hex key is refused without showing what it holds (bad input)', async () => {
    const path = join(dir, 'bad-key');
    await writeFile(path, 'ada@example.org');
    const error = await loadAuditKeyFile(path, { create: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditKeyFileError);
    expect((error as Error).message).not.toContain('ada@example.org');
  });

  it('R17: the verifier (create: false) refuses a missing key file and makes none', async () => {
    const path = join(dir, 'missing-key');
    await expect(loadAuditKeyFile(path, { create: false })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('copyChainHeads against dynalite and the append-only heads file (R17)', () => {
  const dynamo = useDynalite([AUDIT]);
  let dir: string;
  let now = new Date('2026-03-10T12:00:00.000Z');
  const clock = () => now;
  let log: AuditLog;
  let heads: LocalAuditHeads;
  const key = testAuditKey();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-heads-'));
    log = new AuditLog(dynamo.db, AUDIT, key, clock);
    heads = new LocalAuditHeads(join(dir, 'audit-heads.jsonl'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const step = (n: number) => ({ eventId: `e${n}`, type: 'status-changed', actor: { kind: 'system' as const } });

  it('R17: copies the head (request id, length, last MAC) of each chain that grew, and adds only what changed', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await log.append(a, step(1));
    const a2 = await log.append(a, step(2));
    const b1 = await log.append(b, step(1));
    const copied = new Map<string, ChainHead>();
    expect(await copyChainHeads({ audit: log, auditHeads: heads, clock }, copied)).toEqual({ chains: 2, copied: 2 });
    expect(latestHeads(await heads.all()).get(a)).toEqual({ requestId: a, seq: 2, hash: a2.hash });
    expect(latestHeads(await heads.all()).get(b)).toEqual({ requestId: b, seq: 1, hash: b1.hash });

    // Nothing changed: nothing added. Then one chain grows: only its head is added.
    const before = (await heads.all()).length;
    expect(await copyChainHeads({ audit: log, auditHeads: heads, clock }, copied)).toMatchObject({ copied: 0 });
    const a3 = await log.append(a, step(3));
    expect(await copyChainHeads({ audit: log, auditHeads: heads, clock }, copied)).toMatchObject({ copied: 1 });
    const all = await heads.all();
    expect(all).toHaveLength(before + 1);
    expect(all.at(-1)).toEqual({ requestId: a, seq: 3, hash: a3.hash });
  });

  it('R17: copies are only added to the file: earlier lines stay as they were', async () => {
    const path = join(dir, 'audit-heads.jsonl');
    const text = await readFile(path, 'utf8');
    const c = randomUUID();
    await log.append(c, step(1));
    await copyChainHeads({ audit: log, auditHeads: heads, clock });
    expect((await readFile(path, 'utf8')).startsWith(text)).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it(`R17: a chain that grew within ${HEAD_COPY_LOOKBACK_DAYS} days is copied; one untouched since is not`, async () => {
    const old = randomUUID();
    now = new Date('2026-03-01T12:00:00.000Z');
    await log.append(old, step(1));
    const recent = randomUUID();
    now = new Date(Date.parse('2026-03-20T12:00:00.000Z') - (HEAD_COPY_LOOKBACK_DAYS - 1) * DAY);
    await log.append(recent, step(1));
    now = new Date('2026-03-20T12:00:00.000Z');
    const copied = new Map<string, ChainHead>();
    await copyChainHeads({ audit: log, auditHeads: heads, clock }, copied);
    expect(copied.has(recent)).toBe(true);
    expect(copied.has(old)).toBe(false);
  });
});
