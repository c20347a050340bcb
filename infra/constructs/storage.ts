import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DOCUMENT_PREFIX, INCOMING_EXPIRY_DAYS, INCOMING_PREFIX } from '../../functions/domain/court-order.ts';
import { TABLE_KEYS } from '../../functions/adapters/dynamodb/keys.ts';
import { POINT_IN_TIME_RECOVERY_DAYS } from '../../functions/domain/retention.ts';

/**
 * Key prefixes of the files bucket. Grants are scoped to these, and objects under them expire:
 * export links live 7 days (R8a), so the objects go a day later whatever the app does.
 */
export const FILE_PREFIXES = ['reports/', 'exports/'] as const;
export const FILE_EXPIRY_DAYS = 8;

/**
 * The documents bucket's two prefixes, defined beside the code that writes them (the app and the
 * bucket must agree): counsel's uploads land under INCOMING_PREFIX and expire; an accepted order is
 * copied under DOCUMENT_PREFIX and kept, every version (R12). Grants name only these two.
 */
export { DOCUMENT_PREFIX, INCOMING_EXPIRY_DAYS, INCOMING_PREFIX };

/**
 * R17: how long each copy of the audit chains' heads is locked (Object Lock default retention):
 * seven years, beyond any request's own retention, so a cut-off chain is still caught then.
 */
export const AUDIT_HEADS_RETENTION_DAYS = 7 * 365;

/** R17: what no one may do in the audit table (appends are a conditional PutItem that cannot overwrite). */
export const AUDIT_FORBIDDEN_ACTIONS = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
];

/** S3 server access logs hold object keys and the IPs of whoever downloaded: kept 90 days, then gone (R16). */
export const ACCESS_LOG_RETENTION_DAYS = 90;

const attr = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

export interface StorageProps {
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  /** prod: deletion protection on the tables, on top of RETAIN. */
  protect: boolean;
  /** Fixed name of the documents bucket (its origin appears in the pages' CSP). */
  documentsBucketName: string;
}

/**
 * Both tables (TABLE_KEYS shape, shared with the local runtime), the files bucket (reports and
 * exports), the court-order documents bucket, the bucket of the web pages, and the bucket their
 * S3 access logs go to.
 */
export class Storage extends Construct {
  readonly requests: dynamodb.Table;
  readonly records: dynamodb.Table;
  /** R17: audit events, append only: no function is granted UpdateItem, DeleteItem or BatchWriteItem here. */
  readonly audit: dynamodb.Table;
  readonly files: s3.Bucket;
  /** R17: write-once copies of the audit chains' heads (Object Lock). */
  readonly auditHeads: s3.Bucket;
  readonly documents: s3.Bucket;
  readonly web: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    this.requests = this.table('Requests', props, TABLE_KEYS.ttlAttribute);
    this.records = this.table('Records', props);
    // R17: its own table, so grants can allow appends here and nothing else; only the day index
    // (gsi1) the daily head copy reads.
    this.audit = this.table('Audit', props, undefined, ['gsi1']);
    // Nobody, whatever their own policies allow, may change or remove an event (a resource policy
    // names the table as "*": its own ARN would be a circular reference).
    this.audit.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AuditEventsAreAppendOnly',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: AUDIT_FORBIDDEN_ACTIONS,
        resources: ['*'],
      }),
    );

    // S3 delivers server access logs only to an SSE-S3 bucket (not SSE-KMS), so this one uses SSE-S3.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(ACCESS_LOG_RETENTION_DAYS) }],
    });

    this.files = this.dataBucket('Files', props, {
      // No versioning: an expired export must really be gone (R8a, R16), not kept as a noncurrent version.
      versioned: false,
      lifecycleRules: [
        ...FILE_PREFIXES.map((prefix) => ({
          id: `expire-${prefix.replace('/', '')}`,
          prefix,
          expiration: Duration.days(FILE_EXPIRY_DAYS),
        })),
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    // R12: every version of an accepted order (DOCUMENT_PREFIX) is kept, so the version that was checked
    // and approved is the one disclosed, and an overwrite cannot erase what was received. No lifecycle
    // rule there: an order's documents go when its retention period after closing ends and no legal
    // hold of it is active, which only the application knows (sweep-court-order-documents, R16, R13). R16: an upload (INCOMING_PREFIX) only waits to be checked and
    // copied, so every upload goes, submitted (its copy is what counts) or not, with its older versions
    // (a re-upload leaves one) and the delete marker its expiry leaves behind. S3 takes
    // ExpiredObjectDeleteMarker only in a rule without a current-version expiration: a second rule.
    this.documents = this.dataBucket('Documents', props, {
      bucketName: props.documentsBucketName,
      versioned: true,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        {
          id: 'expire-unsubmitted-uploads',
          prefix: INCOMING_PREFIX,
          expiration: Duration.days(INCOMING_EXPIRY_DAYS),
          noncurrentVersionExpiration: Duration.days(1),
        },
        { id: 'remove-expired-upload-markers', prefix: INCOMING_PREFIX, expiredObjectDeleteMarker: true },
      ],
    });

    // R17: each daily copy of the chains' heads is locked when written: compliance mode in prod (nobody,
    // root included, can shorten or remove it), governance elsewhere (a dev stack can still be torn
    // down by someone allowed to bypass it). Object Lock needs versioning; every version is kept.
    this.auditHeads = this.dataBucket('AuditHeads', props, {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: props.protect
        ? s3.ObjectLockRetention.compliance(Duration.days(AUDIT_HEADS_RETENTION_DAYS))
        : s3.ObjectLockRetention.governance(Duration.days(AUDIT_HEADS_RETENTION_DAYS)),
    });

    // The web pages are public by nature (CloudFront serves them to anyone) and hold no personal data.
    // SSE-S3, not the data key: CloudFront (OAC) reading an SSE-KMS origin would need Decrypt on the
    // key that protects patron data, granted to every distribution of the account (aws-cdk-lib can
    // only scope it with a wildcard, to avoid a circular dependency). Rebuilt from web/ on every deploy.
    this.web = new s3.Bucket(this, 'Web', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'web/',
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** A bucket of personal data: the data key, TLS only, no public access, access logged, and no request-chosen encryption. */
  private dataBucket(
    id: string,
    props: StorageProps,
    extra: Pick<
      s3.BucketProps,
      'bucketName' | 'versioned' | 'lifecycleRules' | 'objectLockEnabled' | 'objectLockDefaultRetention'
    >,
  ): s3.Bucket {
    const bucket = new s3.Bucket(this, id, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      // One data key per bucket instead of per object: fewer KMS calls, same key.
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: `${id.toLowerCase()}/`,
      removalPolicy: props.removalPolicy,
      ...extra,
    });
    // Objects take the bucket default (the data key). A per-request SSE header could only weaken that:
    // `aws:kms` without a key id means the AWS managed aws/s3 key, `AES256` means no KMS at all.
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyRequestChosenEncryption',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('*')],
        conditions: { Null: { 's3:x-amz-server-side-encryption': 'false' } },
      }),
    );
    return bucket;
  }

  private table(
    id: string,
    props: StorageProps,
    ttlAttribute?: string,
    indexes: readonly string[] = TABLE_KEYS.indexes.map((i) => i.name),
  ): dynamodb.Table {
    const table = new dynamodb.Table(this, id, {
      partitionKey: attr(TABLE_KEYS.partitionKey),
      sortKey: attr(TABLE_KEYS.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: true,
        recoveryPeriodInDays: POINT_IN_TIME_RECOVERY_DAYS,
      },
      deletionProtection: props.protect,
      removalPolicy: props.removalPolicy,
      ...(ttlAttribute ? { timeToLiveAttribute: ttlAttribute } : {}),
    });
    for (const index of TABLE_KEYS.indexes.filter((i) => indexes.includes(i.name))) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: attr(index.partitionKey),
        sortKey: attr(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }
}
