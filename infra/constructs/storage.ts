import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../functions/store/keys.ts';

/**
 * Key prefixes of the files bucket. Grants are scoped to these, and objects under them expire:
 * export links live 7 days (R8a), so the objects go a day later whatever the app does.
 */
export const FILE_PREFIXES = ['reports/', 'exports/'] as const;
export const FILE_EXPIRY_DAYS = 8;

const attr = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

export interface StorageProps {
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  /** prod: deletion protection on the tables, on top of RETAIN. */
  protect: boolean;
}

/** Both tables (TABLE_KEYS shape, shared with the local runtime) and the files bucket. */
export class Storage extends Construct {
  readonly requests: dynamodb.Table;
  readonly records: dynamodb.Table;
  readonly files: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    this.requests = this.table('Requests', props, TABLE_KEYS.ttlAttribute);
    this.records = this.table('Records', props);

    // Server access logs cannot be delivered to an SSE-KMS bucket, so this one uses SSE-S3.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });

    this.files = new s3.Bucket(this, 'Files', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      // One data key per bucket instead of per object: fewer KMS calls, same key.
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      // No versioning: an expired export must really be gone (R8a, R16), not kept as a noncurrent version.
      versioned: false,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'files/',
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        ...FILE_PREFIXES.map((prefix) => ({
          id: `expire-${prefix.replace('/', '')}`,
          prefix,
          expiration: Duration.days(FILE_EXPIRY_DAYS),
        })),
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    // Objects take the bucket default (the data key). A per-request SSE header could only weaken that:
    // `aws:kms` without a key id means the AWS managed aws/s3 key, `AES256` means no KMS at all.
    this.files.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyRequestChosenEncryption',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.files.arnForObjects('*')],
        conditions: { Null: { 's3:x-amz-server-side-encryption': 'false' } },
      }),
    );
  }

  private table(id: string, props: StorageProps, ttlAttribute?: string): dynamodb.Table {
    const table = new dynamodb.Table(this, id, {
      partitionKey: attr(TABLE_KEYS.partitionKey),
      sortKey: attr(TABLE_KEYS.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.protect,
      removalPolicy: props.removalPolicy,
      ...(ttlAttribute ? { timeToLiveAttribute: ttlAttribute } : {}),
    });
    for (const index of TABLE_KEYS.indexes) {
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
