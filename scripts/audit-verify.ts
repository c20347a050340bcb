/**
 * R17: verifies the audit trail's keyed chains against their copied heads and reports the first
 * break: an edited event (its MAC), a deleted one (a gap or a broken link), a cut-off tail or a
 * deleted whole chain (shorter than, or missing beside, its head in write-once storage).
 *
 *   npm run audit:verify                          every request's chain
 *   npm run audit:verify -- --request <id>        one request's chain
 *   npm run audit:verify -- --csv <file>          also write the trails checked as CSV (domain/audit-csv.ts)
 *
 * Reads `DSR_DYNAMODB_ENDPOINT` if set (DynamoDB Local, dynalite, or the AWS endpoint with the
 * usual AWS credentials; the table is `DSR_REQUESTS_TABLE`, default `privacy-desk-requests`);
 * otherwise the local runtime's data folder (`DSR_DATA_DIR`, default `.dsr-data`) through an
 * embedded dynalite, which needs `npm start` stopped (the folder is locked while it runs).
 *
 * The audit table is `DSR_AUDIT_TABLE` (default `privacy-desk-audit`). The key and the heads: in
 * AWS `DSR_AUDIT_KEY_ID` (the KMS HMAC key; kms:VerifyMac) and `DSR_AUDIT_HEADS_BUCKET` (the Object
 * Lock bucket); otherwise the files the local runtime keeps in the data folder (`audit-key`,
 * `audit-heads.jsonl`). A missing key file is refused: a new key would call every chain broken.
 *
 * Chains are found through the staff-queue index (one query per status) and the copied heads, and
 * each is read by its key: no scan. Prints one line per broken chain (request id, first bad seq,
 * reason; never an event's content), then counts.
 * Exit code: 0 every chain intact; 1 a chain is broken (or the asked request has no trail); 2 usage.
 */
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import dynalite from 'dynalite';
import { auditCsvRow, auditToCsv } from '../functions/domain/audit-csv.ts';
import { latestHeads, type AuditEvent, type AuditHeadStore, type AuditKey } from '../functions/domain/audit.ts';
import { KmsAuditKey } from '../functions/adapters/kms-audit-key.ts';
import { S3AuditHeads } from '../functions/adapters/s3/audit-heads.ts';
import { AUDIT_HEADS_FILE, LocalAuditHeads } from '../local/audit-heads.ts';
import { AUDIT_KEY_FILE, loadAuditKeyFile } from '../local/audit-key.ts';
import { REQUEST_STATUSES } from '../functions/domain/request.ts';
import { AuditLog } from '../functions/adapters/dynamodb/audit.ts';
import { createDocumentClient } from '../functions/adapters/dynamodb/client.ts';
import { RequestStore } from '../functions/adapters/dynamodb/requests.ts';

export interface ChainBreak {
  requestId: string;
  seq: number;
  reason: string;
}

export interface VerifyReport {
  requests: number;
  events: number;
  broken: ChainBreak[];
  /** A request asked for by id that has no audit trail at all. */
  missing: string[];
}

export interface VerifyOptions {
  requests: RequestStore;
  audit: AuditLog;
  /** The copied heads: a chain shorter than its head, or gone, is broken. */
  heads: AuditHeadStore;
  requestId?: string;
  /** Called with each request's events in order, once checked (the CSV writer). */
  onTrail?: (events: AuditEvent[]) => void;
}

/** Every request id, through the staff-queue index, one status partition at a time. */
async function* allRequestIds(requests: RequestStore): AsyncGenerator<string> {
  for (const status of REQUEST_STATUSES) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await requests.pageByStatus(status, {
        attributes: ['requestId'],
        limit: 500,
        ...(startKey ? { startKey } : {}),
      });
      for (const item of page.items) if (typeof item.requestId === 'string') yield item.requestId;
      startKey = page.nextKey;
    } while (startKey);
  }
}

export async function verifyAuditTrails(o: VerifyOptions): Promise<VerifyReport> {
  const report: VerifyReport = { requests: 0, events: 0, broken: [], missing: [] };
  const heads = latestHeads(await o.heads.all());
  const ids = o.requestId ? [o.requestId] : allChains(o.requests, heads.keys());
  for await (const requestId of ids) {
    const head = heads.get(requestId);
    const { events, ...check } = await o.audit.check(requestId, head);
    report.requests++;
    report.events += events.length;
    if (o.requestId && events.length === 0 && !head) report.missing.push(requestId);
    if (!check.ok) report.broken.push({ requestId, ...check.firstBreak });
    o.onTrail?.(events);
  }
  return report;
}

/** Every request with a chain: those in the staff queue, then those only a copied head still names. */
async function* allChains(requests: RequestStore, headIds: Iterable<string>): AsyncGenerator<string> {
  const seen = new Set<string>();
  for await (const id of allRequestIds(requests)) {
    if (seen.has(id)) continue;
    seen.add(id);
    yield id;
  }
  for (const id of headIds) if (!seen.has(id)) yield id;
}

const USAGE = 'usage: npm run audit:verify -- [--request <id>] [--csv <file>]';

function parseArgs(argv: string[]): { requestId?: string; csv?: string } | string {
  const out: { requestId?: string; csv?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if ((flag === '--request' || flag === '--csv') && value && !value.startsWith('--')) {
      if (flag === '--request') out.requestId = value;
      else out.csv = value;
      i++;
    } else return USAGE;
  }
  return out;
}

const listen = (server: Server): Promise<number> =>
  new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res((server.address() as AddressInfo).port));
  });

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = console.log,
): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    out(args);
    return 2;
  }
  let embedded: Server | undefined;
  let endpoint = env.DSR_DYNAMODB_ENDPOINT;
  if (!endpoint) {
    const dir = join(resolve(env.DSR_DATA_DIR ?? '.dsr-data'), 'dynamodb');
    if (!existsSync(dir)) {
      out(`no local data at ${dir}: start the runtime once (npm start), or set DSR_DYNAMODB_ENDPOINT`);
      return 2;
    }
    embedded = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    endpoint = `http://127.0.0.1:${await listen(embedded)}`;
  }
  const dataDir = resolve(env.DSR_DATA_DIR ?? '.dsr-data');
  let key: AuditKey;
  try {
    key = env.DSR_AUDIT_KEY_ID
      ? new KmsAuditKey(env.DSR_AUDIT_KEY_ID)
      : await loadAuditKeyFile(join(dataDir, AUDIT_KEY_FILE), { create: false });
  } catch (e) {
    if (embedded) await new Promise<void>((r) => embedded.close(() => r()));
    out(`no audit key: set DSR_AUDIT_KEY_ID, or DSR_DATA_DIR to the runtime's data folder (${(e as Error).name})`);
    return 2;
  }
  const heads: AuditHeadStore = env.DSR_AUDIT_HEADS_BUCKET
    ? new S3AuditHeads(env.DSR_AUDIT_HEADS_BUCKET)
    : new LocalAuditHeads(join(dataDir, AUDIT_HEADS_FILE));
  const db = createDocumentClient({ endpoint });
  const csv: string[] = [];
  try {
    const report = await verifyAuditTrails({
      requests: new RequestStore(db, env.DSR_REQUESTS_TABLE ?? 'privacy-desk-requests'),
      audit: new AuditLog(db, env.DSR_AUDIT_TABLE ?? 'privacy-desk-audit', key),
      heads,
      ...(args.requestId ? { requestId: args.requestId } : {}),
      ...(args.csv ? { onTrail: (events: AuditEvent[]) => csv.push(...events.map(auditCsvRow)) } : {}),
    });
    if (args.csv) await writeFile(args.csv, auditToCsv([]) + csv.join(''));
    for (const id of report.missing) out(`MISSING request ${id}: no audit trail`);
    for (const b of report.broken) out(`BROKEN request ${b.requestId} at seq ${b.seq}: ${b.reason}`);
    const summary = `${report.requests} request${report.requests === 1 ? '' : 's'}, ${report.events} events`;
    if (report.broken.length === 0 && report.missing.length === 0) {
      out(`OK: ${summary}, every chain intact`);
      return 0;
    }
    out(`FAILED: ${summary}, ${report.broken.length} broken chain${report.broken.length === 1 ? '' : 's'}`);
    return 1;
  } finally {
    db.destroy();
    if (embedded) await new Promise<void>((r) => embedded.close(() => r()));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`audit:verify failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      process.exit(2);
    },
  );
}
