import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import sesLocal from 'aws-ses-v2-local';
import dynalite from 'dynalite';
import type { Policy } from '../functions/domain/policy.ts';
import { buildDeps, createLogger, type Deps } from '../functions/lib/deps.ts';
import { SesMailer, type Mailer } from '../functions/adapters/ses-mailer.ts';
import type { WorkflowPort } from '../functions/adapters/step-functions.ts';
import { parseDataset, loadDataset, type StaffPlace } from '../functions/connectors/records-table/load-dataset.ts';
import { revokeDepartedApprovers } from '../functions/app/staff-departures.ts';
import type { Fingerprinter } from '../functions/domain/erasure-memory.ts';
import { LocalFingerprinter } from './fingerprinter.ts';
import { AUDIT_KEY_FILE, loadAuditKeyFile } from './audit-key.ts';
import type { AuditKey } from '../functions/domain/audit.ts';
import { AUDIT_HEADS_FILE, LocalAuditHeads } from './audit-heads.ts';
import { readSystemsFile } from './systems-file.ts';
import { LocalDocumentStore } from './document-store.ts';
import { createDocumentClient } from '../functions/adapters/dynamodb/client.ts';
import type { FileStore } from '../functions/adapters/s3/files.ts';
import { LocalFileStore } from './file-store.ts';
import { TABLE_KEYS } from '../functions/adapters/dynamodb/keys.ts';
import { LibraryRecords } from '../functions/connectors/records-table/library-records.ts';
import { defaultPolicy } from '../functions/domain/policy.ts';
import { FUNCTIONS, SCHEDULES, type FunctionName } from '../workflows/index.ts';
import { lambdaContext } from './lambda-context.ts';
import { LocalEngine, type LocalEngineOptions, type TaskFunction } from './engine.ts';
import { createHttpServer, type HttpFunction } from './http-server.ts';
import { deriveKey, loadLocalSecret, localSignInRoutes, LocalTokens } from './sign-in.ts';
import { ensureTable } from './tables.ts';
import { FaultInjector, type FaultOptions } from '../functions/lib/faults.ts';
import type { MetadataBearer, Pluggable } from '@smithy/types';

export const REQUESTS_TABLE = 'privacy-desk-requests';
export const RECORDS_TABLE = 'privacy-desk-records';
/** R17: audit events in their own table, which nothing updates or deletes in. */
export const AUDIT_TABLE = 'privacy-desk-audit';

export interface RuntimeOptions {
  port: number;
  mailPort: number;
  /** Where dynalite and files live; undefined: in memory and a temp folder (tests). */
  dataDir?: string;
  filesDir: string;
  datasetPath: string;
  /** R19: the systems file (`DSR_SYSTEMS`); unset: the built-in records table alone. */
  systemsPath?: string;
  baseUrl?: string;
  dynamodbEndpoint?: string;
  policy?: Policy;
  /** Tests shorten Retry pauses. */
  retryPauseMs?: number;
  /** Tests inject faults at a real boundary (e.g. SES throttling). */
  wrapMailer?: (m: Mailer) => Mailer;
  /** Tests make the handlers' calls to the workflow engine fail as Step Functions fails (the engine itself is left alone). */
  wrapWorkflow?: (w: WorkflowPort) => WorkflowPort;
  /** Tests observe or hold a handler, as the HTTP server and the engine both call it. */
  wrapFunction?: (name: FunctionName, fn: TaskFunction) => TaskFunction;
  /** Tests hold or drop the engine's checkpoints, to stop the runtime at a chosen moment (LocalEngineOptions). */
  beforeCheckpoint?: LocalEngineOptions['beforeCheckpoint'];
  /** Tests inject faults into the records table as the streamed erasure and export paths see it. */
  wrapRecordsDb?: (db: DynamoDBDocumentClient) => DynamoDBDocumentClient;
  clock?: () => Date;
  sweepIntervalMs?: number;
  /** How often scheduled functions run here (AWS: EventBridge, every few minutes). */
  scheduleIntervalMs?: number;
  /** Which scheduled functions that timer runs (default: every SCHEDULES entry). */
  schedules?: readonly FunctionName[];
  logLevel?: string;
  /**
   * The chaos run (ARCHITECTURE.md, Faults): a seeded share of the handlers' calls to DynamoDB,
   * SES, the files store and each connector fails as those services fail. The engine's own
   * bookkeeping (Step Functions' part) and the runtime's loading are left alone.
   */
  faults?: FaultOptions;
  /**
   * How long `stop` waits for the steps and answers under way to finish (default
   * `STOP_GRACE_MS`). Tests that hold a handler across a stop on purpose shorten it.
   */
  stopGraceMs?: number;
  /**
   * How many task invocations the engine runs at once (LocalEngineOptions). The fan-out benchmark
   * sets 1 for its control: a fan-out that reached its systems one after another.
   */
  taskSlots?: number;
}

/**
 * A stop lets the steps and answers under way finish first, as Lambda lets an invocation run to its
 * end: one cut off between an email and its record is run again after a restart, and repeats the
 * email. Far longer than a step takes, even under the chaos run's faults and retries.
 */
export const STOP_GRACE_MS = 30_000;

export interface Runtime {
  baseUrl: string;
  mailUrl: string;
  deps: Deps;
  /** The local stand-in for the user pool: issues and checks bearer tokens (`POST /_local/token`). */
  tokens: LocalTokens;
  engine: LocalEngine;
  db: DynamoDBDocumentClient;
  /** R17: where the audit key and the copied chain heads are (`npm run audit:verify` reads them). */
  auditDir: string;
  /** R17: the key the chain is made under, for a reader that goes around the handlers' faults. */
  auditKey: AuditKey;
  /** Set when started with `faults`: what was injected so far. */
  faults?: FaultInjector;
  stop(): Promise<void>;
}

const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/**
 * The whole system on one machine: embedded DynamoDB, local SES, the workflows on the local
 * engine, and the HTTP server with the same handlers as in AWS. `npm start` and the tests use it.
 */
export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  // R19: refused whole before anything starts (CONTRACT: a bad systems file starts nothing).
  const systems = opts.systemsPath ? await readSystemsFile(opts.systemsPath) : undefined;
  const logger = createLogger(opts.logLevel ?? 'WARN');
  const clock = opts.clock ?? (() => new Date());
  const servers: Server[] = [];

  let endpoint = opts.dynamodbEndpoint;
  if (!endpoint) {
    if (opts.dataDir) await mkdir(join(opts.dataDir, 'dynamodb'), { recursive: true, mode: 0o700 });
    const db = dynalite({
      ...(opts.dataDir ? { path: join(opts.dataDir, 'dynamodb') } : {}),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    servers.push(db);
    endpoint = `http://127.0.0.1:${await listen(db, 0)}`;
  }
  const raw = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(raw, REQUESTS_TABLE);
  await ensureTable(raw, RECORDS_TABLE);
  await ensureTable(raw, AUDIT_TABLE);
  raw.destroy();
  // A handler still running after a stop's grace sends and stores nothing more, as with a process
  // that exited: a runtime restarted on the same ports and data would otherwise take its calls.
  let stopped = false;
  const refuseOnceStopped = () => {
    if (stopped) throw new RuntimeStoppedError();
  };
  const refusedOnceStopped = <Input extends object, Output extends MetadataBearer>(): Pluggable<Input, Output> => ({
    applyToStack: (stack) =>
      stack.add(
        (next) => (args) => {
          refuseOnceStopped();
          return next(args);
        },
        { step: 'initialize', priority: 'high', name: 'privacyDeskRefusedOnceStopped' },
      ),
  });
  const db = createDocumentClient({ endpoint, plugins: [refusedOnceStopped()] });
  // R12: sign-in (a user pool's stand-in) and court-order documents, keyed from the data folder's
  // secret; R8: so are the fingerprints that keep erased people from coming back with a reload.
  const secret = await loadLocalSecret(opts.dataDir);
  const fingerprinter = new LocalFingerprinter(deriveKey(secret, 'erasure-memory'));
  const departed = await loadDatasetIfChanged(db, opts.datasetPath, fingerprinter, logger);
  // R17: the key file is made once (owner only) and never logged; without a data folder, a temporary one.
  const auditDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'privacy-desk-audit-')));
  const auditKey = await loadAuditKeyFile(join(auditDir, AUDIT_KEY_FILE), { create: true });
  const auditHeads = new LocalAuditHeads(join(auditDir, AUDIT_HEADS_FILE));

  // A CommonJS module with `exports.default`: Node's loader wraps it once more than bundlers do.
  type StartSes = (c: { host: string; port: number }) => Promise<Server>;
  const sesModule = sesLocal as unknown as StartSes | { default: StartSes };
  const startSes = typeof sesModule === 'function' ? sesModule : sesModule.default;
  const ses = await startSes({ host: '127.0.0.1', port: opts.mailPort });
  servers.push(ses);
  const mailPort = (ses.address() as AddressInfo).port;
  const mailUrl = `http://127.0.0.1:${mailPort}`;

  await mkdir(opts.filesDir, { recursive: true, mode: 0o700 });
  const faults = opts.faults ? new FaultInjector(opts.faults) : undefined;
  const localFiles: FileStore = new LocalFileStore(opts.filesDir);
  const files = faults ? faults.fileStore(localFiles) : localFiles;
  const sesMailer = new SesMailer('privacy@library.example', {
    endpoint: mailUrl,
    ...(faults ? { plugins: [faults.sdkPlugin('SES')] } : {}),
  });
  const mailer: Mailer = {
    send: (email) => {
      refuseOnceStopped();
      return sesMailer.send(email);
    },
  };
  // The handlers' own client, so that faults reach them and never the engine's checkpoints.
  const handlersDb = faults
    ? createDocumentClient({ endpoint, plugins: [refusedOnceStopped(), faults.sdkPlugin('DynamoDB')] })
    : db;

  const tokens = new LocalTokens(secret, clock);
  const documents = new LocalDocumentStore({
    root: opts.dataDir ? join(opts.dataDir, 'documents') : join(opts.filesDir, 'documents'),
    encryptionKey: deriveKey(secret, 'documents'),
    signingKey: deriveKey(secret, 'upload-policy'),
    clock,
    baseUrl: () => baseUrl,
  });
  const signInRoutes = localSignInRoutes({ tokens, records: new LibraryRecords(db, RECORDS_TABLE), documents });

  // Filled below, once the handlers exist; the server reads it per request.
  const functions = {} as Record<FunctionName, TaskFunction>;
  const http = createHttpServer({
    functions: functions as unknown as Record<FunctionName, HttpFunction>,
    webRoot: new URL('../web/', import.meta.url),
    extraRoutes: signInRoutes,
    authorize: (authorization) => tokens.verify(authorization),
    allowedHost: (host) => allowedHosts.has(host),
  });
  const allowedHosts = new Set<string>();
  const port = await listen(http, opts.port);
  servers.push(http);
  const baseUrl = (opts.baseUrl ?? `http://localhost:${port}`).replace(/\/$/, '');
  for (const name of ['localhost', '127.0.0.1', '[::1]']) allowedHosts.add(`${name}:${port}`);
  allowedHosts.add(new URL(baseUrl).host.toLowerCase());

  const late: { engine?: LocalEngine } = {};
  // The engine needs the handlers and the handlers need the engine: bind late.
  const workflow: WorkflowPort = {
    start: (...a) => (late.engine as LocalEngine).start(...a),
    executionIdOf: (...a) => (late.engine as LocalEngine).executionIdOf(...a),
    stop: (...a) => (late.engine as LocalEngine).stop(...a),
    sendTaskSuccess: (...a) => (late.engine as LocalEngine).sendTaskSuccess(...a),
    sendTaskFailure: (...a) => (late.engine as LocalEngine).sendTaskFailure(...a),
  };
  const deps = buildDeps({
    db: handlersDb,
    tables: { requests: REQUESTS_TABLE, records: RECORDS_TABLE, audit: AUDIT_TABLE },
    auditKey,
    auditHeads,
    ...(opts.wrapRecordsDb ? { recordsClient: opts.wrapRecordsDb(handlersDb) } : {}),
    ...(faults ? { faults } : {}),
    baseUrl,
    clock,
    policy: opts.policy ?? defaultPolicy,
    ...(systems ? { systems } : {}),
    logger,
    files,
    documents,
    mailer: opts.wrapMailer ? opts.wrapMailer(mailer) : mailer,
    fingerprinter,
    workflow: opts.wrapWorkflow ? opts.wrapWorkflow(workflow) : workflow,
  });
  for (const name of FUNCTIONS) {
    const mod = (await import(`../functions/handlers/${name}.ts`)) as { createHandler: (d: Deps) => TaskFunction };
    const handler = mod.createHandler(deps);
    functions[name] = opts.wrapFunction ? opts.wrapFunction(name, handler) : handler;
  }
  const engine = new LocalEngine({
    db,
    table: REQUESTS_TABLE,
    functions,
    logger,
    ...(opts.retryPauseMs !== undefined ? { retryPauseMs: opts.retryPauseMs } : {}),
    ...(opts.beforeCheckpoint ? { beforeCheckpoint: opts.beforeCheckpoint } : {}),
    ...(opts.taskSlots !== undefined ? { taskSlots: opts.taskSlots } : {}),
  });
  late.engine = engine;
  // R12: a reloaded staff list that no longer names someone in a role takes their approval links away.
  await revokeDepartedApprovers(deps, departed);
  await engine.resumeAll();

  // The same scheduled handlers as in AWS, on timers; one run at a time, and a tick that finds a
  // job already queued or running is skipped, so a slow run never builds a backlog.
  const jobs = new SerialJobs();
  const sweep = () =>
    jobs.run(
      'ttl-sweep',
      () => sweepExpired(db, localFiles, clock).then(() => documents.expireIncoming()),
      (e) => logger.warn('sweep failed', { errorName: errorName(e) }),
    );
  await sweep();
  const sweeper = setInterval(sweep, opts.sweepIntervalMs ?? 60_000);
  sweeper.unref();
  const schedules = SCHEDULES.filter(({ fn }) => !opts.schedules || opts.schedules.includes(fn)).map(({ fn }) =>
    setInterval(
      () =>
        jobs.run(
          fn,
          () => functions[fn]({}, lambdaContext(fn)),
          (e) => logger.warn('scheduled function failed', { fn, errorName: errorName(e) }),
        ),
      opts.scheduleIntervalMs ?? 30_000,
    ),
  );
  for (const t of schedules) t.unref();

  return {
    baseUrl,
    mailUrl,
    deps,
    tokens,
    engine,
    db,
    auditDir,
    auditKey,
    ...(faults ? { faults } : {}),
    async stop() {
      clearInterval(sweeper);
      for (const t of schedules) clearInterval(t);
      // Stop taking requests and let those under way finish, then the workflows, then the stores.
      const grace = opts.stopGraceMs ?? STOP_GRACE_MS;
      http.closeIdleConnections();
      const drained = close(http);
      const force = setTimeout(() => http.closeAllConnections(), grace);
      await drained;
      clearTimeout(force);
      await jobs.idle();
      await engine.shutdown(grace);
      stopped = true;
      if (handlersDb !== db) handlersDb.destroy();
      db.destroy();
      // dynalite answers a write before it finishes updating that item's indexes: give those a
      // moment, and close its connections only once idle, or a late index write meets a closed store.
      await new Promise((r) => setTimeout(r, 100));
      for (const s of servers.reverse()) {
        if (s === http) continue;
        s.closeIdleConnections?.();
        await close(s);
      }
      if (!opts.dataDir) await rm(auditDir, { recursive: true, force: true });
    },
  };
}

const errorName = (e: unknown) => (e instanceof Error ? e.name : 'unknown');

/** Runs named jobs one after another; a job already waiting or running is not queued twice. */
export class SerialJobs {
  private tail: Promise<void> = Promise.resolve();
  private readonly pending = new Set<string>();

  run(name: string, job: () => Promise<unknown>, onError: (e: unknown) => void): Promise<void> {
    if (this.pending.has(name)) return this.tail;
    this.pending.add(name);
    this.tail = this.tail.then(async () => {
      try {
        await job();
      } catch (e) {
        onError(e);
      } finally {
        this.pending.delete(name);
      }
    });
    return this.tail;
  }

  /** Resolves once everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }
}

/** Loads the dataset on first start, and again only when the file changes. */
async function loadDatasetIfChanged(
  db: DynamoDBDocumentClient,
  path: string,
  fingerprinter: Fingerprinter,
  logger: Deps['logger'],
): Promise<StaffPlace[]> {
  const text = await readFile(path, 'utf8');
  const hash = createHash('sha256').update(text).digest('hex');
  const marker = { pk: 'LIBRARY', sk: 'LOADED' };
  const current = await db.send(new GetCommand({ TableName: RECORDS_TABLE, Key: marker }));
  if (current.Item?.sha256 === hash) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new Error('the dataset file is not valid JSON');
  }
  const dataset = parseDataset(parsed); // throws naming the first bad field; nothing is loaded
  const { skipped, departed } = await loadDataset(dataset, { client: db, tableName: RECORDS_TABLE, fingerprinter });
  // R8, R5: counts only.
  if (skipped.patrons > 0)
    logger.info('dataset loaded without erased patrons', { patrons: skipped.patrons, records: skipped.records });
  await db.send(
    new PutCommand({ TableName: RECORDS_TABLE, Item: { ...marker, sha256: hash, loadedAt: new Date().toISOString() } }),
  );
  return departed;
}

/**
 * dynalite has no TTL: this does what DynamoDB TTL and the S3 lifecycle do in AWS. Expired
 * items go, and a download's file is deleted with its link (R8a). A background scan, never a
 * request path.
 */
async function sweepExpired(db: DynamoDBDocumentClient, files: FileStore, clock: () => Date): Promise<void> {
  const now = Math.floor(clock().getTime() / 1000);
  let start: Record<string, unknown> | undefined;
  do {
    const res = await db.send(
      new ScanCommand({
        TableName: REQUESTS_TABLE,
        FilterExpression: '#ttl < :now',
        ExpressionAttributeNames: { '#ttl': TABLE_KEYS.ttlAttribute },
        ExpressionAttributeValues: { ':now': now },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of res.Items ?? []) {
      if (typeof item.fileKey === 'string') await files.delete(item.fileKey);
      await db.send(new DeleteCommand({ TableName: REQUESTS_TABLE, Key: { pk: item.pk, sk: item.sk } }));
    }
    start = res.LastEvaluatedKey;
  } while (start);
}

/** A call made by a handler that outlived its runtime's stop (`STOP_GRACE_MS`). */
export class RuntimeStoppedError extends Error {
  override name = 'RuntimeStoppedError';
  constructor() {
    super('the runtime has stopped');
  }
}
