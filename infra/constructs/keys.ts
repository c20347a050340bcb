import { Aws, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * Customer-managed keys, rotated yearly. Two keys so that what reads patron data (the functions,
 * through DynamoDB and S3) and what writes logs (CloudWatch Logs) never share one.
 */
export class Keys extends Construct {
  /** Tables and the files bucket: personal data (R1, R5). */
  readonly data: kms.Key;
  /** Every log group: function logs, state machine history, API access logs. */
  readonly logs: kms.Key;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy }) {
    super(scope, id);
    const common = { enableKeyRotation: true, removalPolicy: props.removalPolicy, pendingWindow: Duration.days(30) };
    this.data = new kms.Key(this, 'Data', { ...common, description: 'Privacy Desk: tables and files' });
    this.logs = new kms.Key(this, 'Logs', { ...common, description: 'Privacy Desk: log groups' });

    // CloudWatch Logs encrypts with the key itself, so its regional principal needs it, limited to
    // log groups of this account and region (AWS: "Encrypt log data in CloudWatch Logs using KMS").
    const { region, account, partition } = Stack.of(this);
    this.logs.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${region}.${Aws.URL_SUFFIX}`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*` } },
      }),
    );
  }
}
