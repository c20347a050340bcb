import { RECORDS_TABLE_ONLY, systemsFromJson, type SystemsFile } from '../domain/systems.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { defaultPolicy, policySchema, type Policy } from '../domain/policy.ts';
import type { Fingerprinter } from '../domain/erasure-memory.ts';
import { KmsFingerprinter } from '../adapters/kms-fingerprinter.ts';
import type { AuditHeadStore, AuditKey } from '../domain/audit.ts';
import { S3AuditHeads } from '../adapters/s3/audit-heads.ts';
import { KmsAuditKey } from '../adapters/kms-audit-key.ts';
import { SesMailer, type Mailer } from '../adapters/ses-mailer.ts';
import { AuditLog } from '../adapters/dynamodb/audit.ts';
import { CourtOrders } from '../adapters/dynamodb/court-orders.ts';
import { S3DocumentStore, type DocumentStore } from '../adapters/s3/documents.ts';
import { createDocumentClient } from '../adapters/dynamodb/client.ts';
import { S3FileStore, type FileStore } from '../adapters/s3/files.ts';
import type { RecordsDeps } from '../connectors/records-table/erasure.ts';
import { LegalHolds } from '../adapters/dynamodb/legal-holds.ts';
import { LibraryRecords } from '../connectors/records-table/library-records.ts';
import { RequestStore } from '../adapters/dynamodb/requests.ts';
import { SystemResults } from '../adapters/dynamodb/system-results.ts';
import { SentEmails } from '../adapters/dynamodb/sent-emails.ts';
import { connectorFor, type ConnectedSystem } from '../connectors/index.ts';
import { PatronDirectory } from '../connectors/people.ts';
import type { SystemConnector } from '../connectors/port.ts';
import { TokenStore } from '../adapters/dynamodb/tokens.ts';
import { envSchema, systemsJsonText } from './env.ts';
import { originCheck } from './origin-header.ts';
import { fetchSystemSecrets, type SendGetSecretValue } from '../adapters/secrets.ts';
import { StepFunctionsWorkflow, type WorkflowPort } from '../adapters/step-functions.ts';
import type { FaultInjector } from './faults.ts';
import { WithheldPortError } from '../domain/errors.ts';

/** Everything a handler needs; built by `buildDeps`, from the environment in AWS (`depsFromEnv`). */
export interface Deps {
  requests: RequestStore;
  /** R17: the audit trail, keyed chains in their own append-only table. */
  audit: AuditLog;
  /** R17: write-once copies of the chains' heads (the daily copy writes, the verifier reads). */
  auditHeads: AuditHeadStore;
  tokens: TokenStore;
  records: LibraryRecords;
  /** The records table itself, for the streamed erasure and export paths. */
  recordsDb: RecordsDeps;
  holds: LegalHolds;
  files: FileStore;
  /** R12: court-order documents (their own versioned bucket in AWS). */
  documents: DocumentStore;
  /** R12: court orders (requests table). */
  orders: CourtOrders;
  mailer: Mailer;
  workflow: WorkflowPort;
  /** R8: keys the fingerprints that remember an erased person (KMS HMAC key in AWS, a local key here). */
  fingerprinter: Fingerprinter;
  policy: Policy;
  /** R19: the systems that hold patron records, from the systems file. */
  systems: SystemsFile;
  /** R19: each connected system's connector, built once per function instance. */
  connector: (system: ConnectedSystem) => SystemConnector;
  /** R19: people, found and read in their system of record. */
  people: PatronDirectory;
  /** R19: what each system answered for each request. */
  systemResults: SystemResults;
  /** Faults: the emails each request's steps have sent, so a retried step sends none twice (`sendOnce`). */
  sentEmails: SentEmails;
  /**
   * R19: where connectors read the secrets the systems file names (`connectorFor`'s `env`):
   * `process.env` on `npm start`; in AWS, the Secrets Manager values fetched at cold start.
   */
  systemSecrets: NodeJS.ProcessEnv;
  baseUrl: string;
  clock: () => Date;
  logger: Logger;
  /** Set in AWS on functions behind signed-in routes: the request came through CloudFront (./origin-header.ts). */
  fromOrigin?: (headers: Record<string, string | undefined> | undefined) => boolean;
}

/** Powertools logger: structured, and by construction given ids only (R5). */
export const createLogger = (level = process.env.LOG_LEVEL ?? 'INFO'): Logger =>
  new Logger({ serviceName: 'privacy-desk', logLevel: level as 'INFO' });

const parsePolicy = (json: string | undefined): Policy => (json ? policySchema.parse(JSON.parse(json)) : defaultPolicy);

/**
 * A port this function was built without: any use is a programming error, said plainly. `why` names
 * what decided it: its FUNCTION_ACCESS entry, or (a store) its code never naming it.
 */
function withheld<T extends object>(port: string, why = 'access (FUNCTION_ACCESS)'): T {
  return new Proxy({} as T, {
    get(_target, key) {
      // Not a port method: promise resolution and inspection look for these on any object.
      if (typeof key === 'symbol' || key === 'then') return undefined;
      throw new WithheldPortError(`this function was built without ${port} ${why}`);
    },
  });
}

/** Why a store is withheld: the walk in infra/store-usage.ts found no use of it in the function's code. */
const unused = (store: string): string => `(its code never names deps.${store}: infra/store-usage.ts)`;

/** What a composition root decides; everything else in `Deps` is built from it, the same way everywhere. */
export interface DepsOptions {
  db: DynamoDBDocumentClient;
  /** R17: `audit` is its own table, where no function may update or delete; unset, the audit trail is withheld. */
  tables: { requests: string; records: string; audit?: string };
  /** The records table's client as the streamed erasure and export paths see it (tests wrap it with faults). */
  recordsClient?: DynamoDBDocumentClient;
  /** Origin used in links inside emails; a trailing slash is dropped. */
  baseUrl: string;
  clock?: () => Date;
  policy?: Policy;
  systems?: SystemsFile;
  /** Default: `process.env` (the local runtime, tests). */
  systemSecrets?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Ports a function may be built without: left out, each is the `withheld` stand-in. */
  mailer?: Mailer;
  files?: FileStore;
  documents?: DocumentStore;
  workflow?: WorkflowPort;
  fingerprinter?: Fingerprinter;
  fromOrigin?: Deps['fromOrigin'];
  /** R17: the audit chain's key (KMS HMAC key in AWS, the data folder's key file locally). */
  auditKey?: AuditKey;
  auditHeads?: AuditHeadStore;
  /**
   * The chaos run's switch (ARCHITECTURE.md, Faults): each connector's transport fails a seeded
   * share of its calls. The SDK clients and file stores a root passes in carry their own faults.
   * Never set in AWS (`depsFromEnv`).
   */
  faults?: FaultInjector;
}

/** Each connected system's connector, built on first use and kept for the function instance. */
function connectorsOnce(
  recordsTable: Parameters<typeof connectorFor>[1]['recordsTable'],
  env: NodeJS.ProcessEnv,
  faults: FaultInjector | undefined,
): (system: ConnectedSystem) => SystemConnector {
  const built = new Map<string, SystemConnector>();
  return (system) => {
    let c = built.get(system.id);
    if (!c) {
      c = connectorFor(system, {
        recordsTable,
        env,
        ...(faults ? { koha: { fetch: faults.fetch(fetch, system.id) } } : {}),
      });
      built.set(system.id, c);
    }
    return c;
  };
}

const reachesNoSystem = (): SystemConnector => {
  throw new WithheldPortError('this function was built without records access (FUNCTION_ACCESS)');
};

/** The one place `Deps` is assembled: AWS (`depsFromEnv`), the local runtime, tests and benchmarks. */
export function buildDeps(o: DepsOptions): Deps {
  const { db, tables } = o;
  const clock = o.clock ?? (() => new Date());
  const systems = o.systems ?? RECORDS_TABLE_ONLY;
  const policy = o.policy ?? defaultPolicy;
  const systemSecrets = o.systemSecrets ?? process.env;
  // Each `process.env.PD_BUNDLE_USES_*` test is folded at bundling, like the access flags in
  // depsFromEnv: the stores a function's code never names (infra/store-usage.ts) are left out of
  // its bundle, code its cold start would compile and never run (README, Bundle size and cold
  // start). The walk there closes them over what builds on what (people on the records and the
  // connectors, the records table's connector on the legal holds). Unset: every store is built.
  const records =
    process.env.PD_BUNDLE_USES_RECORDS === 'false'
      ? withheld<LibraryRecords>('library records', unused('records'))
      : new LibraryRecords(db, tables.records);
  const holds =
    process.env.PD_BUNDLE_USES_HOLDS === 'false'
      ? withheld<LegalHolds>('legal holds', unused('holds'))
      : new LegalHolds(db, tables.requests, clock);
  const recordsDb = { db: o.recordsClient ?? db, recordsTable: tables.records };
  const recordsTable = {
    ...recordsDb,
    holds,
    policy,
    clock,
    ...(o.fingerprinter ? { fingerprinter: o.fingerprinter } : {}),
  };
  // R19: a function without records access (FUNCTION_ACCESS) reaches no system. Folded at bundling
  // like the flags in depsFromEnv, so its bundle carries no connector (Koha's, the records table's).
  const connector =
    process.env.PD_BUNDLE_RECORDS === 'false'
      ? reachesNoSystem
      : process.env.PD_BUNDLE_USES_CONNECTOR === 'false'
        ? (): SystemConnector => {
            throw new WithheldPortError(`this function was built without connectors ${unused('connector')}`);
          }
        : connectorsOnce(recordsTable, systemSecrets, o.faults);
  return {
    requests: new RequestStore(db, tables.requests, clock),
    audit:
      process.env.PD_BUNDLE_USES_AUDIT === 'false'
        ? withheld<AuditLog>('audit trail', unused('audit'))
        : tables.audit && o.auditKey
          ? new AuditLog(db, tables.audit, o.auditKey, clock)
          : withheld<AuditLog>('audit trail'),
    auditHeads: o.auditHeads ?? withheld<AuditHeadStore>('audit heads'),
    tokens:
      process.env.PD_BUNDLE_USES_TOKENS === 'false'
        ? withheld<TokenStore>('link tokens', unused('tokens'))
        : new TokenStore(db, tables.requests, clock),
    records,
    recordsDb,
    holds,
    files: o.files ?? withheld<FileStore>('files'),
    documents: o.documents ?? withheld<DocumentStore>('documents'),
    orders:
      process.env.PD_BUNDLE_USES_ORDERS === 'false'
        ? withheld<CourtOrders>('court orders', unused('orders'))
        : new CourtOrders(db, tables.requests, clock),
    mailer: o.mailer ?? withheld<Mailer>('email'),
    workflow: o.workflow ?? withheld<WorkflowPort>('workflow'),
    fingerprinter: o.fingerprinter ?? withheld<Fingerprinter>('fingerprint'),
    policy,
    systems,
    connector,
    people:
      process.env.PD_BUNDLE_RECORDS === 'false'
        ? withheld<PatronDirectory>('records')
        : process.env.PD_BUNDLE_USES_PEOPLE === 'false'
          ? withheld<PatronDirectory>('the patron directory', unused('people'))
          : new PatronDirectory(systems, records, connector),
    systemResults:
      process.env.PD_BUNDLE_USES_SYSTEM_RESULTS === 'false'
        ? withheld<SystemResults>('system results', unused('systemResults'))
        : new SystemResults(db, tables.requests, clock),
    sentEmails:
      process.env.PD_BUNDLE_USES_SENT_EMAILS === 'false'
        ? withheld<SentEmails>('sent-email records', unused('sentEmails'))
        : new SentEmails(db, tables.requests, clock),
    systemSecrets,
    baseUrl: o.baseUrl.replace(/\/$/, ''),
    clock,
    logger: o.logger ?? createLogger(),
    ...(o.fromOrigin ? { fromOrigin: o.fromOrigin } : {}),
  };
}

/** AWS: the stores on DynamoDB, files and documents on S3, email through SES, workflows on Step Functions. */
export function depsFromEnv(raw: NodeJS.ProcessEnv = process.env): Deps {
  const env = envSchema.parse(raw);
  return buildDeps({
    db: createDocumentClient(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}),
    tables: {
      requests: env.REQUESTS_TABLE,
      records: env.RECORDS_TABLE,
      ...(env.AUDIT_TABLE ? { audit: env.AUDIT_TABLE } : {}),
    },
    baseUrl: env.BASE_URL,
    policy: parsePolicy(env.POLICY_JSON),
    // A bad systems file stops the function at cold start, naming the first bad field and no value (R5).
    systems: env.SYSTEMS_JSON === undefined ? RECORDS_TABLE_ONLY : systemsFromJson(systemsJsonText(env.SYSTEMS_JSON)),
    // Each `process.env.PD_BUNDLE_*` test is replaced by a constant when CDK bundles a function
    // (infra/constructs/service-function.ts, from its FUNCTION_ACCESS entry): esbuild folds it and
    // drops the client a function may not use, so small bundles follow from least privilege.
    // Unset (local runtime, tests, scripts): every port is built. Left undefined, buildDeps withholds it.
    files: process.env.PD_BUNDLE_FILES === 'false' ? undefined : new S3FileStore(env.FILES_BUCKET ?? 'unset'),
    documents:
      process.env.PD_BUNDLE_DOCUMENTS === 'false' ? undefined : new S3DocumentStore(env.DOCUMENTS_BUCKET ?? 'unset'),
    mailer:
      process.env.PD_BUNDLE_EMAIL === 'false'
        ? undefined
        : new SesMailer(env.MAIL_FROM, env.SES_ENDPOINT ? { endpoint: env.SES_ENDPOINT } : {}),
    workflow:
      process.env.PD_BUNDLE_WORKFLOW === 'false' || !env.STATE_MACHINES
        ? undefined
        : new StepFunctionsWorkflow(env.STATE_MACHINES),
    fingerprinter:
      process.env.PD_BUNDLE_FINGERPRINT === 'false' || !env.FINGERPRINT_KEY_ID
        ? undefined
        : new KmsFingerprinter(env.FINGERPRINT_KEY_ID),
    ...(env.ORIGIN_VERIFY_SECRET ? { fromOrigin: originCheck(env.ORIGIN_VERIFY_SECRET) } : {}),
    // A function that never names the audit trail (PD_BUNDLE_USES_AUDIT, above) needs no key to sign it with.
    ...(process.env.PD_BUNDLE_USES_AUDIT !== 'false' && env.AUDIT_KEY_ID
      ? { auditKey: new KmsAuditKey(env.AUDIT_KEY_ID) }
      : {}),
    auditHeads:
      process.env.PD_BUNDLE_AUDIT_HEADS === 'false' || !env.AUDIT_HEADS_BUCKET
        ? undefined
        : new S3AuditHeads(env.AUDIT_HEADS_BUCKET),
  });
}

/**
 * AWS at cold start: `depsFromEnv`, with the secrets its systems file names read from Secrets
 * Manager (R19). `PD_BUNDLE_SECRETS` is folded at bundling like the flags above: a function granted
 * no secret carries no Secrets Manager client.
 */
export async function depsAtColdStart(raw: NodeJS.ProcessEnv = process.env, send?: SendGetSecretValue): Promise<Deps> {
  const deps = depsFromEnv(raw);
  // A conditional expression, not an early return: esbuild folds it while parsing, before it decides what is used.
  const systemSecrets = process.env.PD_BUNDLE_SECRETS === 'false' ? {} : await fetchSystemSecrets(deps.systems, send);
  return { ...deps, systemSecrets };
}

/**
 * A handler module exports `createHandler(deps)` for the local runtime and tests, and `handler`
 * for Lambda, which builds its deps from the environment on first use (cold start).
 */
export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

export function lambdaEntry<E, R>(
  create: (deps: Deps) => LambdaHandler<E, R>,
  coldStart: () => Promise<Deps> = depsAtColdStart,
): LambdaHandler<E, R> {
  let built: Promise<LambdaHandler<E, R>> | undefined;
  return async (event: E, context: Context): Promise<R> => {
    if (!built) {
      const pending = coldStart().then(create);
      // A failed cold start (Secrets Manager throttled) is tried again by the next invocation, not kept.
      pending.catch(() => {
        if (built === pending) built = undefined;
      });
      built = pending;
    }
    return (await built)(event, context);
  };
}
