import { Aws, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * The one customer-managed key of a stage, rotated yearly: tables, the files and court-order
 * buckets, state machines (definitions and execution history), log groups, SNS topics and the
 * origin secret. Who may use it is decided per caller: every grant names an encryption context
 * or `kms:ViaService`, and each AWS service principal in the key policy is limited to its own use.
 */
export class Keys extends Construct {
  readonly key: kms.Key;
  /**
   * R8: the HMAC key erasures are remembered under (functions/domain/erasure-memory.ts). It never
   * encrypts anything and never leaves KMS; only `kms:GenerateMac` is granted, to the functions whose
   * FUNCTION_ACCESS entry says `fingerprint`. Not rotated: KMS rotates no HMAC key, and a new key
   * would forget every erasure. Kept like the data (RETAIN in prod): losing it would let a reload
   * bring erased people back.
   */
  readonly fingerprintKey: kms.Key;
  /**
   * R17: the HMAC key the audit chain is made with (functions/adapters/kms-audit-key.ts): without
   * it nobody can re-make a link, so an edited event shows. Every function that appends gets
   * `kms:GenerateMac` on it, the staff desk `kms:VerifyMac`; nobody can read it out. Not rotated
   * (KMS rotates no HMAC key; a new key could not verify the chains made so before), and kept like
   * the data: without it no chain can be verified.
   */
  readonly auditKey: kms.Key;

  constructor(scope: Construct, id: string, props: { stage: string; removalPolicy: RemovalPolicy }) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      alias: `alias/privacy-desk-${props.stage}`,
      description: `Privacy Desk (${props.stage}): tables, buckets, state machines, logs, topics`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
      pendingWindow: Duration.days(30),
    });
    this.fingerprintKey = new kms.Key(this, 'FingerprintKey', {
      alias: `alias/privacy-desk-${props.stage}-erasures`,
      description: `Privacy Desk (${props.stage}): keyed fingerprints of erased patrons (R8)`,
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: props.removalPolicy,
      pendingWindow: Duration.days(30),
    });

    this.auditKey = new kms.Key(this, 'AuditKey', {
      alias: `alias/privacy-desk-${props.stage}-audit`,
      description: `Privacy Desk (${props.stage}): the audit chain's HMAC key (R17)`,
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: props.removalPolicy,
      pendingWindow: Duration.days(30),
    });

    // CloudWatch Logs encrypts with the key itself, so its regional principal needs it, limited to
    // log groups of this account and region (AWS: "Encrypt log data in CloudWatch Logs using KMS").
    const { region, account, partition } = Stack.of(this);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${region}.${Aws.URL_SUFFIX}`)],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*` },
        },
      }),
    );
  }

  /**
   * aws-cdk-lib's StateMachine, when its execution logs are encrypted with this key, adds
   * `kms:Decrypt*` for the vended-log delivery service with no condition at all. Called once every
   * construct is in place: that statement is held to this account's own log deliveries (the
   * confused-deputy conditions AWS documents for `delivery.logs.amazonaws.com`).
   */
  holdLogDeliveryToThisAccount(): void {
    const stack = Stack.of(this);
    const cfn = this.key.node.defaultChild as kms.CfnKey;
    const policy = stack.resolve(cfn.keyPolicy) as { Statement: { Principal?: { Service?: unknown } }[] };
    policy.Statement.forEach((statement, i) => {
      if (statement.Principal?.Service === 'delivery.logs.amazonaws.com')
        cfn.addPropertyOverride(`KeyPolicy.Statement.${i}.Condition`, {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*` },
        });
    });
  }

  /**
   * A service that publishes to one of our encrypted SNS topics (CloudWatch alarms, SES events)
   * needs the key for that topic's messages: SNS asks KMS on the publisher's behalf. Both
   * confused-deputy conditions hold it to this account's own publishers (`sourceArn`: the alarms
   * or the configuration set), so another account's alarm cannot use the key through the service.
   */
  allowTopicPublisher(sid: string, service: string, sourceArn: string): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': sourceArn },
        },
      }),
    );
  }
}
