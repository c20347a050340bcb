import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { defaultPolicy, policySchema, type Policy } from '../domain/policy.ts';
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
import { TokenStore } from '../adapters/dynamodb/tokens.ts';
import { envSchema } from './env.ts';
import { StepFunctionsWorkflow, type WorkflowPort } from '../adapters/step-functions.ts';

/** Everything a handler needs; built from the environment in AWS, by the local runtime here. */
export interface Deps {
  requests: RequestStore;
  audit: AuditLog;
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
  policy: Policy;
  baseUrl: string;
  clock: () => Date;
  logger: Logger;
}

/** Powertools logger: structured, and by construction given ids only (R5). */
export const createLogger = (level = process.env.LOG_LEVEL ?? 'INFO'): Logger =>
  new Logger({ serviceName: 'privacy-desk', logLevel: level as 'INFO' });

export const parsePolicy = (json: string | undefined): Policy =>
  json ? policySchema.parse(JSON.parse(json)) : defaultPolicy;

class UnconfiguredWorkflow implements WorkflowPort {
  private fail(): never {
    throw new Error('this function has no workflow access');
  }
  start = async () => this.fail();
  stop = async () => this.fail();
  sendTaskSuccess = async () => this.fail();
  sendTaskFailure = async () => this.fail();
}

/** A port this function was built without: any use is a programming error, said plainly. */
function withheld<T extends object>(port: string): T {
  return new Proxy({} as T, {
    get() {
      throw new Error(`this function was built without ${port} access (FUNCTION_ACCESS)`);
    },
  });
}

export function depsFromEnv(raw: NodeJS.ProcessEnv = process.env): Deps {
  const env = envSchema.parse(raw);
  const db = createDocumentClient(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {});
  const clock = () => new Date();
  return {
    requests: new RequestStore(db, env.REQUESTS_TABLE, clock),
    audit: new AuditLog(db, env.REQUESTS_TABLE, clock),
    tokens: new TokenStore(db, env.REQUESTS_TABLE, clock),
    records: new LibraryRecords(db, env.RECORDS_TABLE),
    recordsDb: { db, recordsTable: env.RECORDS_TABLE },
    holds: new LegalHolds(db, env.REQUESTS_TABLE, clock),
    // Each `process.env.PD_BUNDLE_*` test is replaced by a constant when CDK bundles a function
    // (infra/constructs/service-function.ts, from its FUNCTION_ACCESS entry): esbuild folds it and
    // drops the client a function may not use, so small bundles follow from least privilege.
    // Unset (local runtime, tests, scripts): every port is built.
    files:
      process.env.PD_BUNDLE_FILES === 'false'
        ? withheld<FileStore>('files')
        : new S3FileStore(env.FILES_BUCKET ?? 'unset'),
    documents:
      process.env.PD_BUNDLE_DOCUMENTS === 'false'
        ? withheld<Deps['documents']>('documents')
        : new S3DocumentStore(env.DOCUMENTS_BUCKET ?? 'unset'),
    orders: new CourtOrders(db, env.REQUESTS_TABLE, clock),
    mailer:
      process.env.PD_BUNDLE_EMAIL === 'false'
        ? withheld<Mailer>('email')
        : new SesMailer(env.MAIL_FROM, env.SES_ENDPOINT ? { endpoint: env.SES_ENDPOINT } : {}),
    workflow:
      process.env.PD_BUNDLE_WORKFLOW === 'false' || !env.STATE_MACHINES
        ? new UnconfiguredWorkflow()
        : new StepFunctionsWorkflow(env.STATE_MACHINES),
    policy: parsePolicy(env.POLICY_JSON),
    baseUrl: env.BASE_URL.replace(/\/$/, ''),
    clock,
    logger: createLogger(),
  };
}

/**
 * A handler module exports `createHandler(deps)` for the local runtime and tests, and `handler`
 * for Lambda, which builds its deps from the environment on first use (cold start).
 */
export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

export function lambdaEntry<E, R>(create: (deps: Deps) => LambdaHandler<E, R>): LambdaHandler<E, R> {
  let built: LambdaHandler<E, R> | undefined;
  return (event: E, context: Context): Promise<R> => {
    built ??= create(depsFromEnv());
    return built(event, context);
  };
}
