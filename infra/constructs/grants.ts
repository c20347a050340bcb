import { Aws, ArnFormat, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { TABLE_KEYS } from '../../functions/adapters/dynamodb/keys.ts';
import { DOCUMENT_PREFIX, FILE_PREFIXES, INCOMING_PREFIX } from './storage.ts';
import { acknowledge, nagResource } from './nag.ts';
import type { Workflow } from './workflows.ts';

/*
 * FUNCTION_ACCESS turned into IAM statements, written out action by action rather than through the
 * L2 grant helpers: those add wildcards (`s3:GetObject*`, `kms:GenerateDataKey*`, `table/index/*`)
 * and actions nobody here uses (Scan: every list is a GSI query, ARCHITECTURE.md, but for the
 * background jobs FUNCTION_ACCESS names: `grantScan`).
 * 'write' includes 'read' everywhere: a writer re-reads what it changes.
 */

const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const TABLE_WRITE = [
  ...TABLE_READ,
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];
// DynamoDB uses the table's key on the caller's behalf (CDK's Table grants ask for the same set).
const TABLE_KEY_READ = ['kms:Decrypt', 'kms:DescribeKey'];
const TABLE_KEY_WRITE = [
  ...TABLE_KEY_READ,
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

/** Only through the named service: the key alone opens nothing. */
const viaService = (service: 'dynamodb' | 's3') => ({
  StringEquals: { 'kms:ViaService': `${service}.${Aws.REGION}.${Aws.URL_SUFFIX}` },
});

export function grantTable(role: iam.Role, table: dynamodb.Table, key: kms.IKey, level: 'read' | 'write'): void {
  const indexArns = TABLE_KEYS.indexes.map((index) => `${table.tableArn}/index/${index.name}`);
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: level === 'write' ? TABLE_WRITE : TABLE_READ,
      resources: [table.tableArn, ...indexArns],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: level === 'write' ? TABLE_KEY_WRITE : TABLE_KEY_READ,
      resources: [key.keyArn],
      conditions: viaService('dynamodb'),
    }),
  );
}

/**
 * dynamodb:Scan on the table itself (no index), for a background job that reads a whole table
 * (FUNCTION_ACCESS `recordsScan`, `requestsScan`); the key's use comes with `grantTable`.
 */
export function grantScan(role: iam.Role, table: dynamodb.Table): void {
  role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [table.tableArn] }));
}

export function grantFiles(role: iam.Role, bucket: s3.Bucket, key: kms.IKey, level: 'read' | 'write'): void {
  const objectArns = FILE_PREFIXES.map((prefix) => bucket.arnForObjects(`${prefix}*`));
  const objectActions = level === 'write' ? ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] : ['s3:GetObject'];
  role.addToPolicy(new iam.PolicyStatement({ actions: objectActions, resources: objectArns }));
  grantBucketBasics(role, bucket, key, level);
  for (const arn of objectArns) {
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      'Object keys are created at run time (one per request), so object ARNs need a trailing wildcard; it is limited to one key prefix that expires after 8 days.',
      nagResource(role, arn),
    );
  }
}

/**
 * What every use of an encrypted bucket needs: ListBucket (without it S3 answers a missing key with
 * 403 instead of 404, and FileStore.exists relies on 404), and the bucket's key through S3 only:
 * GenerateDataKey to write, Decrypt to read (and to finish multipart uploads).
 */
function grantBucketBasics(role: iam.Role, bucket: s3.Bucket, key: kms.IKey, level: 'read' | 'write'): void {
  role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: level === 'write' ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: viaService('s3'),
    }),
  );
}

/**
 * Court-order documents (R12), by prefix. 'read' (an approver opening the order): the accepted
 * copies under DOCUMENT_PREFIX only, as a pinned version (which S3 authorises as GetObjectVersion)
 * or a short download link; never an upload nobody has checked. 'write' (counsel's routes): PutObject
 * under INCOMING_PREFIX, which the presigned POST is checked against; reading an upload back to check
 * it (a pinned version, so GetObjectVersion); and copying the checked version under DOCUMENT_PREFIX
 * (CopyObject is authorised as GetObject(Version) on the source and PutObject on the target). Neither
 * deletes: every version of an order is kept until its retention period ends, when 'delete' (the
 * documents' retention sweep alone) removes them all; uploads expire by lifecycle (R16).
 */
export function grantDocuments(
  role: iam.Role,
  bucket: s3.Bucket,
  key: kms.IKey,
  level: 'read' | 'write' | 'delete',
): void {
  const orders = bucket.arnForObjects(`${DOCUMENT_PREFIX}*`);
  if (level === 'delete') {
    grantDocumentDeletion(role, bucket, orders);
    return;
  }
  const incoming = bucket.arnForObjects(`${INCOMING_PREFIX}*`);
  const read = ['s3:GetObject', 's3:GetObjectVersion'];
  const objects = level === 'write' ? [incoming, orders] : [orders];
  role.addToPolicy(
    new iam.PolicyStatement({ actions: level === 'write' ? [...read, 's3:PutObject'] : read, resources: objects }),
  );
  grantBucketBasics(role, bucket, key, level);
  acknowledge(
    role,
    'AwsSolutions-IAM5',
    level === 'write'
      ? 'Each court order is its own object, named at run time, so the object ARN needs a trailing wildcard; it is limited to the orders/ prefix of the dedicated documents bucket, where the checked upload is copied to be kept, and grants no delete.'
      : 'Each court order is its own object, named at run time, so the object ARN needs a trailing wildcard; it is limited to the orders/ prefix of the dedicated documents bucket (accepted orders only, never an unchecked upload), and grants no delete.',
    nagResource(role, orders),
  );
  if (level === 'write') {
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      "Each upload is its own object, named at run time after the order's id, so the object ARN needs a trailing wildcard; it is limited to the incoming/ prefix of the documents bucket, which expires by lifecycle, and grants no delete.",
      nagResource(role, incoming),
    );
  }
}

/**
 * R16: the court-order documents' retention sweep, and nothing else: it lists the versions of an order's
 * kept document and deletes every one (and any delete marker) once its period has ended. It never reads
 * a document, so it has no key use; it never touches an upload under INCOMING_PREFIX (lifecycle does).
 */
function grantDocumentDeletion(role: iam.Role, bucket: s3.Bucket, orders: string): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucketVersions'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${DOCUMENT_PREFIX}*`] } },
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({ actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resources: [orders] }),
  );
  acknowledge(
    role,
    'AwsSolutions-IAM5',
    "Each court order is its own object, named at run time, so the object ARN needs a trailing wildcard; it is limited to the orders/ prefix of the documents bucket, and only the daily retention sweep deletes there, once an order's retention period has ended and no legal hold of it is active (R16, R13).",
    nagResource(role, orders),
  );
}

/**
 * Sending through SES: the identities mail may come from, and the configuration set the identity
 * uses by default (SES authorises a send against the configuration set too).
 */
export function grantEmail(role: iam.Role, identities: string[], configurationSet: string): void {
  const stack = Stack.of(role);
  const resources = [
    ...identities.map((identity) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity })),
    stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: configurationSet }),
  ];
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources }));
}

/**
 * R8: fingerprinting an erased person's identifiers (functions/adapters/kms-fingerprinter.ts):
 * GenerateMac only (no VerifyMac, no key management), HMAC-SHA-256 only, on the HMAC key only.
 * KMS is called directly, so there is no calling service to name.
 */
export function grantFingerprint(role: iam.Role, key: kms.IKey): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateMac'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } },
    }),
  );
}

/**
 * R17: the audit table and its key. 'read': GetItem and Query (the chain, the day index). 'append':
 * and PutItem, which AuditLog only ever sends with a condition that the slot is free; never
 * UpdateItem, DeleteItem or BatchWriteItem (the table's resource policy denies them to everyone
 * too). Appending takes one GenerateMac per event on the audit HMAC key; `verify` (the staff desk)
 * adds VerifyMac. KMS is called directly, so the scope is the one algorithm.
 */
export function grantAudit(
  role: iam.Role,
  table: dynamodb.Table,
  tableKey: kms.IKey,
  auditKey: kms.IKey,
  access: { level: 'read' | 'append'; verify: boolean },
): void {
  const read = ['dynamodb:GetItem', 'dynamodb:Query'];
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: access.level === 'append' ? [...read, 'dynamodb:PutItem'] : read,
      resources: [table.tableArn, `${table.tableArn}/index/gsi1`],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: access.level === 'append' ? TABLE_KEY_WRITE : TABLE_KEY_READ,
      resources: [tableKey.keyArn],
      conditions: viaService('dynamodb'),
    }),
  );
  const macs = [...(access.level === 'append' ? ['kms:GenerateMac'] : []), ...(access.verify ? ['kms:VerifyMac'] : [])];
  if (macs.length === 0) return;
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: macs,
      resources: [auditKey.keyArn],
      conditions: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } },
    }),
  );
}

/**
 * R17: adding a copy of the chains' heads to the Object Lock bucket: PutObject under heads/ only,
 * with the data key through S3 to encrypt it. Nothing reads, deletes or changes a retention.
 */
export function grantAuditHeads(role: iam.Role, bucket: s3.Bucket, key: kms.IKey, prefix: string): void {
  const heads = bucket.arnForObjects(`${prefix}*`);
  role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [heads] }));
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: viaService('s3'),
    }),
  );
  acknowledge(
    role,
    'AwsSolutions-IAM5',
    'Each copy of the audit chain heads is its own object, named by its time, so the object ARN needs a trailing wildcard; it is limited to the heads/ prefix of the Object Lock bucket, and grants no read or delete.',
    nagResource(role, heads),
  );
}

/** Execution ARNs of a state machine: known only once an execution starts, hence the wildcard. */
export const executionArns = (scope: IConstruct, machineName: string): string =>
  Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${machineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });

/**
 * State machines encrypt with the data key: a caller that hands them data (an execution's input, a
 * task's output or error) or reads it back needs the key, for those state machines' encryption
 * context only (Step Functions, "Data at rest encryption").
 */
function grantWorkflowKey(role: iam.Role, machines: Workflow[], key: kms.IKey): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': machines.map((m) => m.arn) } },
    }),
  );
}

/*
 * Grants name state machines by the ARNs built from their fixed names (Workflow.arn), so a function
 * that a state machine invokes may also start or answer state machines: no resource cycle.
 */
export function grantWorkflowStart(role: iam.Role, machines: Workflow[], key: kms.IKey): void {
  role.addToPolicy(
    new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: machines.map((m) => m.arn) }),
  );
  grantWorkflowKey(role, machines, key);
  const executions = machines.map((m) => executionArns(role, m.name));
  role.addToPolicy(
    new iam.PolicyStatement({ actions: ['states:StopExecution', 'states:DescribeExecution'], resources: executions }),
  );
  for (const arn of executions) {
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      "Stopping (a patron's cancel) and describing act on executions, whose names are chosen at run time; the wildcard covers only this state machine's executions.",
      nagResource(role, arn),
    );
  }
}

/**
 * Task-token callbacks, scoped to our state machines. IAM evaluates SendTask* against the state
 * machine the token belongs to (the same scope as StateMachine.grantTaskResponse in aws-cdk-lib).
 */
export function grantWorkflowCallback(role: iam.Role, machines: Workflow[], key: kms.IKey): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
      resources: machines.map((m) => m.arn),
    }),
  );
  grantWorkflowKey(role, machines, key);
}

/**
 * A secret's ARN from its name: Secrets Manager appends a dash and six random characters to the name
 * in the ARN, which `-??????` matches, and nothing else (a longer name sharing the prefix does not).
 */
export const secretArnPattern = (scope: IConstruct, name: string): string =>
  Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${name}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });

/**
 * R19: reading the secrets a systems file names for its systems' credentials (Koha's client id and
 * secret, or user and password), each by name, at cold start (functions/adapters/secrets.ts).
 * GetSecretValue only; nothing when the file names none.
 */
export function grantSystemSecrets(role: iam.Role, names: readonly string[]): void {
  if (names.length === 0) return;
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: names.map((name) => secretArnPattern(role, name)),
    }),
  );
}
