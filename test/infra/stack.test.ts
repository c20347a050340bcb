import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import type { IConstruct } from 'constructs';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAFF_ROLES } from '../../functions/domain/staff.ts';
import { envSchema } from '../../functions/lib/env.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE, OVERDUE_REQUESTS_METRIC } from '../../functions/lib/observability.ts';
import { TABLE_KEYS } from '../../functions/adapters/dynamodb/keys.ts';
import { POINT_IN_TIME_RECOVERY_DAYS } from '../../functions/domain/retention.ts';
import {
  FUNCTION_ACCESS,
  FUNCTIONS,
  HTTP_ROUTES,
  SCHEDULES,
  WORKFLOWS,
  type FunctionName,
} from '../../workflows/index.ts';
import { WAF_MANAGED_RULE_GROUPS } from '../../infra/edge-stack.ts';
import { ORIGIN_VERIFY_HEADER } from '../../infra/functions/origin-verify.ts';
import { API_FORWARDED_HEADERS, apiPathPatterns, patternCovers } from '../../infra/constructs/site.ts';
import { POWERTOOLS_ENV } from '../../infra/constructs/service-function.ts';
import { STAFF_PASSWORD_POLICY } from '../../infra/constructs/staff-auth.ts';
import {
  ACCESS_LOG_RETENTION_DAYS,
  DOCUMENT_PREFIX,
  FILE_EXPIRY_DAYS,
  FILE_PREFIXES,
  INCOMING_PREFIX,
} from '../../infra/constructs/storage.ts';
import { LOCAL_ONLY_PREFIX } from '../../infra/constructs/http-api.ts';
import { LIBRARY_CARD_PATTERN } from '../../infra/constructs/log-protection.ts';
import { pascal } from '../../infra/privacy-desk-stack.ts';
import { LOCK_FILE } from '../../infra/paths.ts';
import { LAYER_ASSET_SUBDIR, LAYER_MOUNT_DIR } from '../../infra/sdk-layer.ts';
import {
  allStates,
  fakeFunctionArn,
  invokedArn,
  LAMBDA_INVOKE,
  placeholdersIn,
  substituted,
  workflowNames,
} from './asl-helpers.ts';
import { loadAll } from './load-bundle.ts';
import {
  ACKNOWLEDGED_RULES,
  acknowledgedFor,
  acknowledgementsIn,
  actionsOf,
  asList,
  identityStatements,
  logicalId,
  STAR_ONLY_ACTIONS,
  statementsOfRole,
  synthesize,
  SYNTH_TIMEOUT_MS,
  violationsOf,
  wildcardFindings,
  type Json,
  type Statement,
  type Synthesized,
} from './synth.ts';

type Resource = { Properties: Record<string, Json>; DeletionPolicy?: string };
const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
const ref = (id: string) => ({ Ref: id });
const json = (value: unknown): string => JSON.stringify(value) ?? '';

describe('PrivacyDesk app (dev, bundled as `npm run synth` bundles)', () => {
  let s: Synthesized;
  const resources = (type: string, template: Template = s.template) =>
    template.findResources(type) as Record<string, Resource>;
  const only = (type: string, template?: Template) => {
    const found = Object.entries(resources(type, template));
    expect(found, type).toHaveLength(1);
    return found[0]!;
  };
  const fnId = (name: FunctionName) => logicalId(s.stack.functions[name].fn);
  const fnProps = (name: FunctionName) => resources('AWS::Lambda::Function')[fnId(name)]!.Properties;
  const roleStatements = (name: FunctionName) => statementsOfRole(s.template, logicalId(s.stack.functions[name].role));
  const keyArn = () => getAtt(logicalId(s.stack.keys.key));

  beforeAll(() => {
    s = synthesize({}, { bundle: true });
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => s?.cleanup());

  describe('stages', () => {
    it('names both stacks for the stage; the web ACL lives in us-east-1', () => {
      expect(s.stack.stackName).toBe('PrivacyDesk-dev');
      expect(s.edge.stackName).toBe('PrivacyDesk-dev-edge');
      expect(s.edge.region).toBe('us-east-1');
      expect(s.stack.region).toBe('us-east-1');
    });

    it('dev lets its data go with the stack (no retain, no deletion protection, no termination protection)', () => {
      for (const table of Object.values(resources('AWS::DynamoDB::Table'))) {
        expect(table.DeletionPolicy).toBe('Delete');
        expect(table.Properties.DeletionProtectionEnabled).toBe(false);
      }
      expect(s.stack.terminationProtection).toBe(false);
      expect(only('AWS::Cognito::UserPool')[1].Properties.DeletionProtection).toBe('INACTIVE');
    });
  });

  describe('cdk-nag (AwsSolutions) and CDK validation', () => {
    it('reports no unacknowledged finding, error or warning, in either stack, nor any other validation finding', () => {
      expect(violationsOf(s)).toEqual([]);
    });

    it('emits no CDK error or warning annotation', () => {
      for (const stack of [s.stack, s.edge]) {
        expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
        expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
      }
    });

    it('acknowledges only the listed rules, each occurrence with a specific reason', () => {
      const acks = [...acknowledgementsIn(s.stack), ...acknowledgementsIn(s.edge)];
      expect(acks.length).toBeGreaterThan(0);
      for (const [, id, reason] of acks) {
        const rule = id.replace(/\[.*$/, '');
        expect(ACKNOWLEDGED_RULES.has(rule), id).toBe(true);
        expect(reason.length, `reason for ${id}`).toBeGreaterThan(60);
      }
      // IAM5 is acknowledged per finding, never for the whole rule.
      for (const [, id] of acks)
        if (id.startsWith('AwsSolutions-IAM5')) expect(id).toMatch(/^AwsSolutions-IAM5\[(Action|Resource)::.+\]$/);
    });
  });

  describe('one customer-managed key', () => {
    it('is the only KMS key, and it rotates', () => {
      // Beside it only the HMAC key erasures are remembered under (R8), which encrypts nothing: test/infra/erasure-key.test.ts.
      const keys = Object.entries(resources('AWS::KMS::Key')).filter(([, k]) => k.Properties.KeySpec !== 'HMAC_256');
      expect(keys).toHaveLength(1);
      const [, key] = keys[0]!;
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(Object.keys(resources('AWS::KMS::Key', s.edgeTemplate))).toEqual([]);
    });

    it.each(['requests', 'records'] as const)('encrypts the %s table', (which) => {
      const props = resources('AWS::DynamoDB::Table')[logicalId(s.stack.storage[which])]!.Properties;
      expect(props.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn() });
    });

    it.each(['files', 'documents'] as const)('encrypts the %s bucket (bucket key, default encryption)', (which) => {
      const props = resources('AWS::S3::Bucket')[logicalId(s.stack.storage[which])]!.Properties;
      expect(props.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn() },
          },
        ],
      });
    });

    it('encrypts every state machine (definition and history) with it', () => {
      for (const machine of Object.values(resources('AWS::StepFunctions::StateMachine'))) {
        expect(machine.Properties.EncryptionConfiguration).toMatchObject({
          Type: 'CUSTOMER_MANAGED_KMS_KEY',
          KmsKeyId: keyArn(),
        });
      }
    });

    it('encrypts every log group, SNS topic and the origin secret with it', () => {
      const groups = Object.values(resources('AWS::Logs::LogGroup'));
      expect(groups.length).toBeGreaterThan(FUNCTIONS.length);
      for (const group of groups) expect(group.Properties.KmsKeyId).toEqual(keyArn());
      for (const topic of Object.values(resources('AWS::SNS::Topic')))
        expect(topic.Properties.KmsMasterKeyId).toEqual(keyArn());
      expect(only('AWS::SecretsManager::Secret')[1].Properties.KmsKeyId).toEqual(keyArn());
    });

    it('uses SSE-S3 only where KMS cannot or must not be used: the access-log bucket and the public pages', () => {
      const sseS3 = Object.entries(resources('AWS::S3::Bucket'))
        .filter(([, b]) => json(b.Properties.BucketEncryption).includes('"AES256"'))
        .map(([id]) => id)
        .sort();
      expect(sseS3).toEqual([logicalId(s.stack.storage.accessLogs), logicalId(s.stack.storage.web)].sort());
    });

    it('lets AWS services use the key only as far as their job needs', () => {
      const dataKey = resources('AWS::KMS::Key')[logicalId(s.stack.keys.key)]!;
      const statements = (dataKey.Properties.KeyPolicy as unknown as { Statement: Statement[] }).Statement;
      const services = statements.filter((st) => json(st.Principal).includes('Service'));
      const logs = services.find((st) => st.Sid === 'CloudWatchLogsOfThisAccount');
      expect(json(logs?.Condition)).toContain('kms:EncryptionContext:aws:logs:arn');
      // Confused deputy: every service but CloudWatch Logs (held to this account's log groups by
      // the encryption context above) may use the key only for this account's own resources.
      for (const st of services.filter((x) => x !== logs)) {
        const condition = json(st.Condition);
        expect(condition, st.Sid).toContain('aws:SourceAccount');
        expect(condition, st.Sid).toContain('aws:SourceArn');
      }
      for (const st of services)
        expect(
          asList(st.Action).every(
            (a) => a.startsWith('kms:') && !['kms:*', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy'].includes(a),
          ),
        ).toBe(true);
    });
  });

  describe('buckets', () => {
    it('block public access on every bucket', () => {
      for (const bucket of Object.values(resources('AWS::S3::Bucket'))) {
        expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
      }
    });

    it('deny every non-TLS request on every bucket', () => {
      const policies = Object.values(resources('AWS::S3::BucketPolicy'));
      for (const bucketId of Object.keys(resources('AWS::S3::Bucket'))) {
        const policy = policies.find((p) => json(p.Properties.Bucket) === json(ref(bucketId)));
        expect(policy, `bucket policy of ${bucketId}`).toBeDefined();
        const statements = (policy!.Properties.PolicyDocument as unknown as { Statement: Statement[] }).Statement;
        expect(statements).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
      }
    });

    it('log access of every bucket except the log bucket to the log bucket, which forgets after 90 days', () => {
      const logsId = logicalId(s.stack.storage.accessLogs);
      for (const [id, bucket] of Object.entries(resources('AWS::S3::Bucket'))) {
        if (id === logsId) continue;
        expect(bucket.Properties.LoggingConfiguration, id).toMatchObject({ DestinationBucketName: ref(logsId) });
      }
      const rules = (
        resources('AWS::S3::Bucket')[logsId]!.Properties.LifecycleConfiguration as {
          Rules: { ExpirationInDays?: number }[];
        }
      ).Rules;
      expect(rules).toContainEqual(expect.objectContaining({ ExpirationInDays: ACCESS_LOG_RETENTION_DAYS }));
    });

    it('expire reports and exports by lifecycle, without versions that would outlive them (R8a, R16)', () => {
      const props = resources('AWS::S3::Bucket')[logicalId(s.stack.storage.files)]!.Properties;
      expect(props.VersioningConfiguration).toBeUndefined();
      const rules = (
        props.LifecycleConfiguration as { Rules: { Prefix?: string; ExpirationInDays?: number; Status: string }[] }
      ).Rules;
      for (const prefix of FILE_PREFIXES)
        expect(rules).toContainEqual(
          expect.objectContaining({ Prefix: prefix, ExpirationInDays: FILE_EXPIRY_DAYS, Status: 'Enabled' }),
        );
      expect(FILE_PREFIXES).toEqual(expect.arrayContaining(['reports/', 'exports/']));
    });

    it('version the court-order bucket, expire nothing under orders/, and take uploads from the site origin only (R12)', () => {
      const props = resources('AWS::S3::Bucket')[logicalId(s.stack.storage.documents)]!.Properties;
      expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      const rules = (props.LifecycleConfiguration as { Rules: Record<string, Json>[] }).Rules;
      // A rule reaches orders/ unless its prefix (or tag filter) keeps it elsewhere.
      const reachOrders = rules.filter(
        (rule) =>
          rule.TagFilters === undefined &&
          DOCUMENT_PREFIX.startsWith(typeof rule.Prefix === 'string' ? rule.Prefix : ''),
      );
      expect(reachOrders.length).toBeGreaterThan(0); // the abort-incomplete-uploads rule, bucket-wide
      for (const rule of reachOrders) {
        expect(
          rule.ExpirationInDays ??
            rule.ExpirationDate ??
            rule.NoncurrentVersionExpiration ??
            rule.NoncurrentVersionExpirationInDays ??
            rule.ExpiredObjectDeleteMarker,
          json(rule),
        ).toBeUndefined();
        expect(rule.Transitions ?? rule.NoncurrentVersionTransitions).toBeUndefined();
      }
      const cors = (props.CorsConfiguration as { CorsRules: { AllowedMethods: string[]; AllowedOrigins: Json[] }[] })
        .CorsRules;
      expect(cors).toHaveLength(1);
      expect(cors[0]!.AllowedMethods).toEqual(['POST']);
      expect(cors[0]!.AllowedOrigins).toEqual([
        { 'Fn::Join': ['', ['https://', getAtt(logicalId(s.stack.site.distribution), 'DomainName')]] },
      ]);
    });

    it('R16 expire uploads under incoming/: the current version after 8 days, older versions after 1, then the delete marker', () => {
      expect(INCOMING_PREFIX).toBe('incoming/');
      const props = resources('AWS::S3::Bucket')[logicalId(s.stack.storage.documents)]!.Properties;
      const rules = (props.LifecycleConfiguration as { Rules: Record<string, Json>[] }).Rules;
      const incoming = rules.filter((rule) => rule.Prefix === INCOMING_PREFIX);
      expect(incoming).toContainEqual(
        expect.objectContaining({
          Status: 'Enabled',
          ExpirationInDays: 8,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        }),
      );
      expect(incoming).toContainEqual(expect.objectContaining({ Status: 'Enabled', ExpiredObjectDeleteMarker: true }));
      // S3 refuses ExpiredObjectDeleteMarker beside a current-version expiration (a deploy-time error).
      for (const rule of rules)
        if (rule.ExpiredObjectDeleteMarker) expect(rule.ExpirationInDays ?? rule.ExpirationDate).toBeUndefined();
    });

    it.each(['files', 'documents'] as const)(
      '%s: refuses uploads that choose their own encryption instead of the key',
      (which) => {
        s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: ref(logicalId(s.stack.storage[which])),
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 's3:PutObject',
                Condition: { Null: { 's3:x-amz-server-side-encryption': 'false' } },
              }),
            ]),
          },
        });
      },
    );
  });

  describe('tables', () => {
    it.each(['requests', 'records'] as const)('%s: PITR, on-demand, TABLE_KEYS schema and GSIs', (which) => {
      const props = resources('AWS::DynamoDB::Table')[logicalId(s.stack.storage[which])]!.Properties;
      // R8, R18: the recovery window the deletion letters print (render/deletion-letters.ts) is the one configured.
      expect(props.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
        RecoveryPeriodInDays: POINT_IN_TIME_RECOVERY_DAYS,
      });
      expect(props.BillingMode).toBe('PAY_PER_REQUEST');
      expect(props.KeySchema).toEqual([
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ]);
      expect(props.GlobalSecondaryIndexes).toEqual(
        TABLE_KEYS.indexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      );
    });

    it('expires requests-table items by the TTL attribute, and only there', () => {
      const tables = resources('AWS::DynamoDB::Table');
      expect(tables[logicalId(s.stack.storage.requests)]!.Properties.TimeToLiveSpecification).toEqual({
        AttributeName: TABLE_KEYS.ttlAttribute,
        Enabled: true,
      });
      expect(tables[logicalId(s.stack.storage.records)]!.Properties.TimeToLiveSpecification).toBeUndefined();
    });
  });

  describe('functions', () => {
    const appFunctionIds = () => new Set(FUNCTIONS.map(fnId));

    it('has one function per FUNCTIONS entry, plus only the origin authorizer and the page deployment', () => {
      const others = Object.keys(resources('AWS::Lambda::Function')).filter((id) => !appFunctionIds().has(id));
      expect(others).toHaveLength(2);
      expect(others).toContain(logicalId(s.stack.originSecret.verifier.fn));
      expect(
        resources('AWS::Lambda::Function')[others.find((id) => id.startsWith('CustomCDKBucketDeployment'))!],
      ).toBeDefined();
    });

    it.each(FUNCTIONS)(
      '%s: nodejs24.x on arm64, X-Ray traced, logging to its own encrypted log group with retention',
      (name) => {
        const props = fnProps(name);
        expect(props.Runtime).toBe('nodejs24.x');
        expect(props.Architectures).toEqual(['arm64']);
        expect(props.TracingConfig).toEqual({ Mode: 'Active' });
        const logGroupId = logicalId(s.stack.functions[name].logGroup);
        expect(props.LoggingConfig).toEqual({ LogGroup: ref(logGroupId) });
        expect(resources('AWS::Logs::LogGroup')[logGroupId]!.Properties.RetentionInDays).toBeGreaterThan(0);
      },
    );

    it.each(FUNCTIONS)(
      '%s: environment follows functions/lib/env.ts and its FUNCTION_ACCESS entry; Powertools never logs the event (R5)',
      (name) => {
        const vars = (fnProps(name).Environment as { Variables: Record<string, Json> }).Variables;
        const access = FUNCTION_ACCESS[name];
        const expected = [
          'REQUESTS_TABLE',
          'RECORDS_TABLE',
          // R17: every function appends to or reads the audit trail, checked under its key.
          'AUDIT_TABLE',
          'AUDIT_KEY_ID',
          'MAIL_FROM',
          'BASE_URL',
          'NODE_OPTIONS',
          ...Object.keys(POWERTOOLS_ENV),
        ];
        if (access.files !== 'none') expected.push('FILES_BUCKET');
        if ((access.documents ?? 'none') !== 'none') expected.push('DOCUMENTS_BUCKET');
        if (access.workflow !== 'none') expected.push('STATE_MACHINES');
        if (access.fingerprint) expected.push('FINGERPRINT_KEY_ID');
        if (access.auditHeads) expected.push('AUDIT_HEADS_BUCKET');
        if (HTTP_ROUTES.some((r) => r.fn === name && r.groups?.length)) expected.push('ORIGIN_VERIFY_SECRET');
        expect(Object.keys(vars).sort()).toEqual(expected.sort());
        for (const key of Object.keys(vars))
          if (key !== 'NODE_OPTIONS' && !key.startsWith('POWERTOOLS_'))
            expect(Object.keys(envSchema.def.getter().shape), key).toContain(key);
        expect(vars.MAIL_FROM).toBe('privacy@library.example');
        // Links in emails point at the site (CloudFront), whose domain is known at deploy time.
        expect(vars.BASE_URL).toEqual({
          'Fn::Join': ['', ['https://', getAtt(logicalId(s.stack.site.distribution), 'DomainName')]],
        });
        expect(vars.POWERTOOLS_LOGGER_LOG_EVENT).toBe('false');
        expect(vars.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
        expect(vars.POWERTOOLS_SERVICE_NAME).toBe(METRICS_SERVICE);
      },
    );

    /** The SDK layer and its synthesized `nodejs/sdk` folder (the other layer is aws-cdk-lib's page deployment's AWS CLI). */
    const sdkLayer = () => {
      const id = logicalId(s.stack.sdk.layer);
      const layer = resources('AWS::Lambda::LayerVersion')[id]!;
      const key = (layer.Properties.Content as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      return { id, props: layer.Properties, sdk: join(s.assembly.directory, `asset.${key}`, LAYER_ASSET_SUBDIR) };
    };
    const bundleOf = (fn: IConstruct) => {
      const props = resources('AWS::Lambda::Function')[logicalId(fn)]!.Properties;
      const key = (props.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      return { props, file: join(s.assembly.directory, `asset.${key}`, 'index.mjs') };
    };
    const everyFunction = (): [string, IConstruct][] => [
      ...FUNCTIONS.map((name): [string, IConstruct] => [name, s.stack.functions[name].fn]),
      ['origin-verify', s.stack.originSecret.verifier.fn],
    ];

    it("one SDK layer, built from the lock file: every package with code in it at package-lock.json's version", () => {
      const { props, sdk } = sdkLayer();
      expect(props.CompatibleRuntimes).toEqual(['nodejs24.x']);
      const versions = JSON.parse(readFileSync(join(sdk, 'versions.json'), 'utf8')) as Record<string, string>;
      const lock = JSON.parse(readFileSync(LOCK_FILE, 'utf8')) as { packages: Record<string, { version?: string }> };
      expect(Object.keys(versions)).toEqual(
        expect.arrayContaining(['node_modules/@aws-sdk/client-dynamodb', 'node_modules/@smithy/core']),
      );
      for (const [pkg, version] of Object.entries(versions)) expect(version, pkg).toBe(lock.packages[pkg]?.version);
    });

    it("every function has the SDK layer attached, and its bundle (ESM) imports the SDK only from that layer's files", () => {
      const { id, sdk } = sdkLayer();
      for (const [name, fn] of everyFunction()) {
        const { props, file } = bundleOf(fn);
        expect(props.Layers, name).toEqual([ref(id)]);
        expect(existsSync(file), file).toBe(true);
        const code = readFileSync(file, 'utf8');
        expect(code, name).not.toMatch(/from\s*["']@(aws-sdk|smithy)\//);
        for (const [, path] of code.matchAll(/from\s*"(\/opt\/[^"]+)"/g)) {
          expect(path!.startsWith(`${LAYER_MOUNT_DIR}/`), `${name}: ${path}`).toBe(true);
          expect(existsSync(join(sdk, path!.slice(LAYER_MOUNT_DIR.length + 1))), `${name}: ${path}`).toBe(true);
        }
      }
    });

    it(
      'every synthesized bundle loads in a fresh Node process against the synthesized layer (each name it imports, the layer exports)',
      async () => {
        const { sdk } = sdkLayer();
        const dir = mkdtempSync(join(tmpdir(), 'pd-synth-bundles-'));
        try {
          // The same bundles, with the layer's mount point replaced by where the synth put the layer.
          const files = everyFunction().map(([name, fn]) => {
            const file = join(dir, `${name}.mjs`);
            writeFileSync(file, readFileSync(bundleOf(fn).file, 'utf8').replaceAll(`"${LAYER_MOUNT_DIR}/`, `"${sdk}/`));
            return file;
          });
          const results = await loadAll(files);
          expect(Object.entries(results).filter(([, error]) => error !== '')).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      SYNTH_TIMEOUT_MS,
    );

    it.each(FUNCTIONS)('%s: times out before any Task state that calls it', (name) => {
      const timeout = fnProps(name).Timeout as number;
      for (const workflow of workflowNames) {
        const definition = substituted(workflow, (p) =>
          fakeFunctionArn((WORKFLOWS[workflow].functions as Record<string, string>)[p] ?? p),
        );
        for (const [stateName, state] of allStates(definition)) {
          const waitsForToken =
            state.Resource !== undefined &&
            LAMBDA_INVOKE.test(state.Resource) &&
            state.Resource.endsWith('.waitForTaskToken');
          if (invokedArn(state) !== fakeFunctionArn(name) || waitsForToken || state.TimeoutSeconds === undefined)
            continue;
          expect(timeout, `${workflow}/${stateName}`).toBeLessThanOrEqual(state.TimeoutSeconds);
        }
      }
    });
  });

  describe('schedules', () => {
    it('has one EventBridge rule per SCHEDULES entry', () => {
      expect(Object.keys(resources('AWS::Events::Rule'))).toHaveLength(SCHEDULES.length);
    });

    it.each(SCHEDULES)('$fn runs every $everyMinutes min and finishes within that interval', ({ fn, everyMinutes }) => {
      const rule = Object.entries(resources('AWS::Events::Rule')).find(([, r]) =>
        json(r.Properties.Targets).includes(`"${fnId(fn)}"`),
      );
      expect(rule, `rule targeting ${fn}`).toBeDefined();
      const [ruleId, { Properties: props }] = rule!;
      expect(props.ScheduleExpression).toBe(events.Schedule.rate(Duration.minutes(everyMinutes)).expressionString);
      expect(props.State).toBe('ENABLED');
      expect(fnProps(fn).Timeout as number).toBeLessThan(everyMinutes * 60);
      s.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: getAtt(fnId(fn)),
        SourceArn: getAtt(ruleId),
      });
    });
  });

  describe('least privilege', () => {
    const allIdentityStatements = () => [
      ...identityStatements(s.stack, s.template),
      ...identityStatements(s.edge, s.edgeTemplate),
    ];

    it('every wildcard action or resource in any identity policy is acknowledged, finding by finding, with a reason', () => {
      const unacknowledged: string[] = [];
      let wildcards = 0;
      for (const { owner, statement } of allIdentityStatements()) {
        const acks = acknowledgedFor(owner);
        for (const finding of wildcardFindings(statement)) {
          wildcards++;
          const reason = acks.get(`AwsSolutions-IAM5[${finding}]`);
          if (!reason || reason.length < 60) unacknowledged.push(`${owner.node.path}: ${finding}`);
        }
      }
      expect(wildcards).toBeGreaterThan(0);
      expect(unacknowledged).toEqual([]);
    });

    it('grants wildcard actions only to the deploy-time page copier (aws-cdk-lib BucketDeployment), never "*" or a service-wide action', () => {
      const deployRole = logicalId(s.stack.site.node.findChild('DeployRole'));
      for (const { owner, statement } of allIdentityStatements()) {
        for (const action of asList(statement.Action)) {
          expect(action).not.toBe('*');
          expect(action).not.toMatch(/^[a-z0-9-]+:\*$/);
          if (action.includes('*')) expect(owner.node.path, action).toContain(`/Site/DeployRole/`);
        }
      }
      expect(deployRole).toBeDefined();
    });

    it('uses Resource "*" only for actions that support nothing narrower (X-Ray, log delivery, CloudFront invalidation)', () => {
      for (const { statement } of allIdentityStatements().filter((st) => asList(st.statement.Resource).includes('*'))) {
        for (const action of asList(statement.Action)) expect(STAR_ONLY_ACTIONS.has(action), action).toBe(true);
      }
    });

    it('attaches no AWS managed policy to any role', () => {
      for (const role of Object.values(resources('AWS::IAM::Role')))
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('scopes every KMS grant of a function to one calling service or one encryption context', () => {
      for (const name of FUNCTIONS) {
        for (const st of roleStatements(name).filter((x) => asList(x.Action).some((a) => a.startsWith('kms:')))) {
          expect(json(st.Condition), `${name} ${json(st.Action)}`).toMatch(
            // R8: GenerateMac is called directly, so its scope is the one algorithm (test/infra/erasure-key.test.ts).
            /kms:ViaService|kms:EncryptionContext:aws:states:stateMachineArn|kms:MacAlgorithm/,
          );
        }
      }
    });

    it.each(FUNCTIONS)('%s: exactly its FUNCTION_ACCESS entry', (name) => {
      const access = FUNCTION_ACCESS[name];
      const documents = access.documents ?? 'none';
      const statements = roleStatements(name);
      const actions = actionsOf(statements);
      const touches = (construct: IConstruct) =>
        statements.some((st) => json(st.Resource).includes(`"${logicalId(construct)}"`));
      const { requests, records, files } = s.stack.storage;

      expect(touches(requests)).toBe(true);
      // R17's audit table takes appends from readers too (auditAccess): the two tables here are the stores'.
      const onStores = statements.filter((st) =>
        [requests, records].some((table) => json(st.Resource).includes(`"${logicalId(table)}"`)),
      );
      expect(actionsOf(onStores).has('dynamodb:PutItem')).toBe(
        access.requests === 'write' || access.records === 'write',
      );
      expect(touches(records)).toBe(access.records !== 'none');
      // Scan: the background jobs that read a whole table, on that table alone, never an index
      // (R13: the legal-hold registry's back-fill reads the requests table; R16 the sweeps the records table).
      const scans = statements.filter((st) => asList(st.Action).includes('dynamodb:Scan'));
      const scanned = scans.flatMap((st) => asList(st.Resource).map(json));
      expect(scanned.sort()).toEqual(
        [
          ...(access.requestsScan ? [json(getAtt(logicalId(requests)))] : []),
          ...(access.recordsScan ? [json(getAtt(logicalId(records)))] : []),
        ].sort(),
      );
      for (const st of scans) expect(asList(st.Action)).toEqual(['dynamodb:Scan']);
      if (access.records === 'read') {
        const recordWrites = statements.filter(
          (st) =>
            json(st.Resource).includes(`"${logicalId(records)}"`) && asList(st.Action).includes('dynamodb:PutItem'),
        );
        expect(recordWrites).toEqual([]);
      }

      expect(touches(files)).toBe(access.files !== 'none');
      // The files bucket's objects (the court-order documents' own bucket is checked below).
      const onFiles = statements.filter((st) => json(st.Resource).includes(`"${logicalId(files)}"`));
      expect(actionsOf(onFiles).has('s3:DeleteObject')).toBe(access.files === 'write');

      // Court orders (R12): read → GetObject(+Version); write → and PutObject (the presigned POST); delete →
      // DeleteObject(+Version) and nothing else, for the documents' retention sweep alone (R16).
      const onDocuments = statements.filter((st) => json(st.Resource).includes(DOCUMENT_PREFIX));
      expect(onDocuments.length > 0).toBe(documents !== 'none');
      const documentActions = actionsOf(onDocuments);
      const reads = documents === 'read' || documents === 'write';
      expect(documentActions.has('s3:GetObject')).toBe(reads);
      expect(documentActions.has('s3:GetObjectVersion')).toBe(reads);
      expect(documentActions.has('s3:PutObject')).toBe(documents === 'write');
      expect([...documentActions].some((a) => a.startsWith('s3:Delete'))).toBe(documents === 'delete');
      expect(actions.has('s3:GetObject')).toBe(access.files !== 'none' || reads);
      // R17: and the daily copy of audit chain heads (test/infra/audit.test.ts).
      expect(actions.has('s3:PutObject')).toBe(
        access.files === 'write' || documents === 'write' || access.auditHeads === true,
      );

      const ses = statements.filter((st) => asList(st.Action).some((a) => a.startsWith('ses:')));
      expect(ses.length > 0).toBe(access.email);
      for (const st of ses) {
        const targets = asList(st.Resource).map(json);
        for (const resource of targets)
          expect(resource).toMatch(/:(identity\/(privacy@)?library\.example|configuration-set\/privacy-desk-dev)"/);
        expect(targets.some((r) => r.includes(':configuration-set/'))).toBe(true);
      }

      expect(actions.has('states:StartExecution')).toBe(access.workflow === 'start');
      // R12: only the state machines it starts, each named by its ARN.
      const started = statements
        .filter((st) => asList(st.Action).includes('states:StartExecution'))
        .flatMap((st) => asList(st.Resource).map(json));
      expect(started.sort()).toEqual(
        (access.starts ?? []).map((w) => json(s.stack.resolve(s.stack.workflows.byName[w].arn))).sort(),
      );
      expect(actions.has('states:StopExecution')).toBe(access.workflow === 'start');
      expect(actions.has('states:SendTaskSuccess')).toBe(access.workflow === 'callback');
      expect([...actions].some((a) => a.startsWith('states:'))).toBe(access.workflow !== 'none');
      const workflowKey = statements.filter((st) => json(st.Condition).includes('aws:states:stateMachineArn'));
      expect(workflowKey.length > 0).toBe(access.workflow !== 'none');
      expect(actions.has('lambda:InvokeFunction')).toBe(false);
    });

    it('R12 R16 court-order documents: approvers read kept orders only, counsel writes only incoming/ and orders/, only the retention sweep deletes, and only under orders/', () => {
      const bucket = logicalId(s.stack.storage.documents);
      const under = (prefix: string) => json({ 'Fn::Join': ['', [getAtt(bucket), `/${prefix}*`]] });
      const onObjects = (statements: Statement[], action: string) =>
        statements
          .filter((st) => asList(st.Action).includes(action))
          .flatMap((st) => asList(st.Resource).map(json))
          .filter((r) => r.includes(`"${bucket}"`))
          .sort();

      // act (an approver opening the order): the copies submit kept, never an unchecked upload.
      const act = roleStatements('act');
      expect(onObjects(act, 's3:GetObject')).toEqual([under(DOCUMENT_PREFIX)]);
      expect(onObjects(act, 's3:GetObjectVersion')).toEqual([under(DOCUMENT_PREFIX)]);
      expect(json(act)).not.toContain(INCOMING_PREFIX);
      expect(onObjects(act, 's3:PutObject')).toEqual([]);

      // api-court-orders: the presigned POST (incoming/), reading it back, and the copy submit keeps (orders/).
      const api = roleStatements('api-court-orders');
      const both = [under(INCOMING_PREFIX), under(DOCUMENT_PREFIX)].sort();
      expect(onObjects(api, 's3:PutObject')).toEqual(both);
      expect(onObjects(api, 's3:GetObject')).toEqual(both);
      expect(onObjects(api, 's3:GetObjectVersion')).toEqual(both);
      const bucketWide = api.filter((st) =>
        asList(st.Resource)
          .map(json)
          .some((r) => r.includes(`"${bucket}"`) && !both.includes(r)),
      );
      expect(actionsOf(bucketWide)).toEqual(new Set(['s3:ListBucket']));

      // R16: the documents' retention sweep deletes every version of a kept order, under orders/ only, and reads nothing.
      const sweep = roleStatements('sweep-court-order-documents');
      expect(onObjects(sweep, 's3:DeleteObject')).toEqual([under(DOCUMENT_PREFIX)]);
      expect(onObjects(sweep, 's3:DeleteObjectVersion')).toEqual([under(DOCUMENT_PREFIX)]);
      expect(onObjects(sweep, 's3:GetObject')).toEqual([]);
      expect(json(sweep)).not.toContain(INCOMING_PREFIX + '*');
      const listing = sweep.filter((st) => asList(st.Action).includes('s3:ListBucketVersions'));
      expect(listing.map((st) => json(st.Condition))).toEqual([
        json({ StringLike: { 's3:prefix': [`${DOCUMENT_PREFIX}*`] } }),
      ]);

      // No other delete of any kind, by any function, on this bucket (a wildcard action would hide one).
      for (const name of FUNCTIONS) {
        const onBucket = roleStatements(name).filter((st) => json(st.Resource).includes(`"${bucket}"`));
        for (const action of actionsOf(onBucket))
          expect(action, name).toMatch(
            name === 'sweep-court-order-documents'
              ? /^s3:(DeleteObject|DeleteObjectVersion|ListBucketVersions)$/
              : /^s3:(GetObject|GetObjectVersion|PutObject|ListBucket)$/,
          );
      }
      expect(actionsOf(api).has('s3:DeleteObject')).toBe(false);
      expect(actionsOf(api).has('s3:DeleteObjectVersion')).toBe(false);
    });

    it('the origin authorizer may write its logs and traces, and nothing else', () => {
      const statements = statementsOfRole(s.template, logicalId(s.stack.originSecret.verifier.role));
      expect([...actionsOf(statements)].sort()).toEqual([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    });
  });

  describe('state machines', () => {
    const machineProps = (workflow: (typeof workflowNames)[number]) =>
      resources('AWS::StepFunctions::StateMachine')[logicalId(s.stack.workflows.byName[workflow].machine)]!.Properties;

    it('has one Standard state machine per WORKFLOWS entry, named for the stage', () => {
      expect(Object.keys(resources('AWS::StepFunctions::StateMachine'))).toHaveLength(workflowNames.length);
      for (const workflow of workflowNames) {
        expect(machineProps(workflow).StateMachineType).toBe('STANDARD');
        expect(machineProps(workflow).StateMachineName).toBe(`privacy-desk-dev-${workflow}`);
      }
    });

    it.each(workflowNames)('%s: every placeholder resolves to its function ARN, none is left', (workflow) => {
      const props = machineProps(workflow);
      const mapping: Record<string, FunctionName> = WORKFLOWS[workflow].functions;
      expect(props.DefinitionSubstitutions).toEqual(
        Object.fromEntries(Object.entries(mapping).map(([p, fn]) => [p, getAtt(fnId(fn))])),
      );
      const key = (props.DefinitionS3Location as { Key: string }).Key;
      const text = readFileSync(join(s.assembly.directory, `asset.${key}`), 'utf8');
      expect([...placeholdersIn(text)].sort()).toEqual(Object.keys(mapping).sort());
      const resolved = Object.keys(mapping).reduce(
        (t, p) => t.replaceAll(`\${${p}}`, fakeFunctionArn(mapping[p]!)),
        text,
      );
      expect(resolved).not.toContain('${');
    });

    it.each(workflowNames)(
      '%s: logs ALL with execution data (ids only, R5) to an encrypted log group, with X-Ray tracing',
      (workflow) => {
        const props = machineProps(workflow);
        expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
        expect(props.TracingConfiguration).toEqual({ Enabled: true });
        const destination = json(props.LoggingConfiguration);
        const logGroupId = Object.keys(resources('AWS::Logs::LogGroup')).find((id) => destination.includes(`"${id}"`));
        expect(logGroupId).toBeDefined();
        expect(resources('AWS::Logs::LogGroup')[logGroupId!]!.Properties.KmsKeyId).toEqual(keyArn());
      },
    );

    it.each(workflowNames)('%s: its role may invoke exactly the functions it maps', (workflow) => {
      const statements = statementsOfRole(s.template, logicalId(s.stack.workflows.byName[workflow].machine.role));
      const invoked = statements
        .filter((st) => asList(st.Action).includes('lambda:InvokeFunction'))
        .flatMap((st) => asList(st.Resource))
        .map(json)
        .sort();
      const mapped = [...new Set(Object.values(WORKFLOWS[workflow].functions as Record<string, FunctionName>))]
        .map((fn) => json(getAtt(fnId(fn))))
        .sort();
      expect(invoked).toEqual(mapped);
    });
  });

  describe('HTTP API', () => {
    const routes = () => Object.values(resources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    const authorizers = () => resources('AWS::ApiGatewayV2::Authorizer');
    const authorizerOf = (type: 'JWT' | 'REQUEST') =>
      Object.entries(authorizers()).find(([, a]) => a.Properties.AuthorizerType === type)!;

    it('routes every HTTP_ROUTES entry to its function through a Lambda proxy, payload 2.0, and nothing else', () => {
      const integrations = resources('AWS::ApiGatewayV2::Integration');
      expect(routes()).toHaveLength(HTTP_ROUTES.length);
      for (const route of HTTP_ROUTES) {
        const found = routes().find((r) => r.RouteKey === `${route.method} ${route.path}`);
        expect(found, `${route.method} ${route.path}`).toBeDefined();
        const integrationId = Object.keys(integrations).find((id) => json(found!.Target).includes(`"${id}"`));
        expect(integrations[integrationId ?? '']!.Properties).toMatchObject({
          IntegrationType: 'AWS_PROXY',
          PayloadFormatVersion: '2.0',
          IntegrationUri: getAtt(fnId(route.fn)),
        });
      }
    });

    it('never deploys a local-only route (/_local…)', () => {
      expect(HTTP_ROUTES.filter((r) => r.path.startsWith(LOCAL_ONLY_PREFIX))).toEqual([]);
      for (const route of routes()) expect(String(route.RouteKey).split(' ')[1]).not.toMatch(/^\/_local/);
    });

    it('puts the Cognito JWT authorizer (issuer = the staff pool, audience = the web client) on every route with groups', () => {
      const [jwtId, jwt] = authorizerOf('JWT');
      expect(jwt.Properties.JwtConfiguration).toEqual({
        Audience: [ref(logicalId(s.stack.staffAuth.client))],
        Issuer: getAtt(logicalId(s.stack.staffAuth.userPool), 'ProviderURL'),
      });
      expect(jwt.Properties.IdentitySource).toEqual(['$request.header.Authorization']);
      const signedIn = HTTP_ROUTES.filter((r) => r.groups?.length);
      expect(signedIn.length).toBeGreaterThan(0);
      for (const route of signedIn) {
        const found = routes().find((r) => r.RouteKey === `${route.method} ${route.path}`)!;
        expect(found.AuthorizationType, route.path).toBe('JWT');
        expect(found.AuthorizerId).toEqual(ref(jwtId));
      }
    });

    it('puts the origin check (the CloudFront header, cached per value) on every public route, so the WAF cannot be bypassed', () => {
      const [originId, origin] = authorizerOf('REQUEST');
      expect(origin.Properties).toMatchObject({
        IdentitySource: [`$request.header.${ORIGIN_VERIFY_HEADER}`],
        EnableSimpleResponses: true,
        AuthorizerPayloadFormatVersion: '2.0',
      });
      expect(origin.Properties.AuthorizerResultTtlInSeconds as number).toBeGreaterThan(0);
      expect(json(origin.Properties.AuthorizerUri)).toContain(logicalId(s.stack.originSecret.verifier.fn));
      for (const route of HTTP_ROUTES.filter((r) => !r.groups?.length)) {
        const found = routes().find((r) => r.RouteKey === `${route.method} ${route.path}`)!;
        expect(found.AuthorizationType, route.path).toBe('CUSTOM');
        expect(found.AuthorizerId).toEqual(ref(originId));
      }
      expect(Object.keys(authorizers())).toHaveLength(2);
    });

    it('has a throttled default stage whose access log holds no path, token or IP (R5)', () => {
      const [, stage] = only('AWS::ApiGatewayV2::Stage');
      expect(stage.Properties.StageName).toBe('$default');
      expect(stage.Properties.DefaultRouteSettings).toMatchObject({
        ThrottlingRateLimit: expect.any(Number),
        ThrottlingBurstLimit: expect.any(Number),
      });
      const settings = stage.Properties.AccessLogSettings as { DestinationArn: Json; Format: string };
      expect(json(settings.DestinationArn)).toContain(logicalId(s.stack.http.accessLogs));
      expect(settings.Format).toContain('$context.requestId');
      expect(settings.Format).not.toMatch(/\$context\.(path|identity\.sourceIp|resourcePath)/);
    });

    it('gives the origin secret to exactly the functions behind signed-in routes, which check it themselves (R12)', () => {
      const signedIn = new Set(HTTP_ROUTES.filter((r) => r.groups?.length).map((r) => r.fn));
      expect(signedIn.size).toBeGreaterThan(0);
      for (const name of FUNCTIONS) {
        const vars = (fnProps(name).Environment as { Variables: Record<string, Json> }).Variables;
        if (signedIn.has(name)) expect(json(vars.ORIGIN_VERIFY_SECRET), name).toContain('secretsmanager');
        else expect(vars.ORIGIN_VERIFY_SECRET, name).toBeUndefined();
      }
    });

    it('throttles each route below the stage: public POSTs (each sends email) tightest, then signed-in reads', () => {
      const [, stage] = only('AWS::ApiGatewayV2::Stage');
      const stageLimit = stage.Properties.DefaultRouteSettings as { ThrottlingRateLimit: number };
      const settings = stage.Properties.RouteSettings as Record<
        string,
        { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }
      >;
      expect(Object.keys(settings).sort()).toEqual(HTTP_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
      for (const route of HTTP_ROUTES) {
        const limit = settings[`${route.method} ${route.path}`]!;
        expect(limit.ThrottlingRateLimit, route.path).toBeLessThan(stageLimit.ThrottlingRateLimit);
        expect(limit.ThrottlingBurstLimit, route.path).toBeGreaterThanOrEqual(limit.ThrottlingRateLimit);
      }
      const publicPost = HTTP_ROUTES.find((r) => r.method === 'POST' && r.path === '/api/requests')!;
      const staffRead = HTTP_ROUTES.find((r) => r.groups?.length && r.method === 'GET')!;
      expect(settings[`POST ${publicPost.path}`]!.ThrottlingRateLimit).toBeLessThan(
        settings[`GET ${staffRead.path}`]!.ThrottlingRateLimit,
      );
    });

    it('allows no cross-origin calls without a custom domain: the pages and the API share the CloudFront origin', () => {
      expect(only('AWS::ApiGatewayV2::Api')[1].Properties.CorsConfiguration).toBeUndefined();
    });
  });

  describe('edge: WAF and CloudFront', () => {
    const distribution = () =>
      only('AWS::CloudFront::Distribution')[1].Properties.DistributionConfig as Record<string, Json>;
    const behaviors = () => distribution().CacheBehaviors as Record<string, Json>[];
    const originById = (id: Json) => (distribution().Origins as Record<string, Json>[]).find((o) => o.Id === id)!;

    it('has a CLOUDFRONT-scope web ACL with a rate-based rule and the AWS managed rule groups, no samples (R5)', () => {
      const [, acl] = only('AWS::WAFv2::WebACL', s.edgeTemplate);
      expect(acl.Properties.Scope).toBe('CLOUDFRONT');
      expect(acl.Properties.DefaultAction).toEqual({ Allow: {} });
      const rules = acl.Properties.Rules as {
        Name: string;
        Statement: Record<string, Json>;
        VisibilityConfig: Record<string, Json>;
      }[];
      expect(rules.some((r) => r.Statement.RateBasedStatement !== undefined)).toBe(true);
      const managed = rules
        .filter((r) => r.Statement.ManagedRuleGroupStatement)
        .map((r) => r.Statement.ManagedRuleGroupStatement as { Name: string; VendorName: string });
      expect(managed.map((m) => m.Name)).toEqual([...WAF_MANAGED_RULE_GROUPS]);
      expect(managed.every((m) => m.VendorName === 'AWS')).toBe(true);
      for (const rule of rules)
        expect(rule.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: false });
    });

    it('attaches the web ACL to the distribution, read from the us-east-1 stack', () => {
      expect(distribution().WebACLId).toEqual({
        'Fn::GetStackOutput': expect.objectContaining({ StackName: 'PrivacyDesk-dev-edge', Region: 'us-east-1' }),
      });
    });

    it('serves the pages from the web bucket through Origin Access Control, only to this distribution', () => {
      const defaults = distribution().DefaultCacheBehavior as Record<string, Json>;
      const origin = originById(defaults.TargetOriginId!);
      expect(origin.DomainName).toEqual(getAtt(logicalId(s.stack.storage.web), 'RegionalDomainName'));
      expect(origin.OriginAccessControlId).toBeDefined();
      expect(defaults.ViewerProtocolPolicy).toBe('redirect-to-https');
      expect(distribution().DefaultRootObject).toBe('index.html');
      s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: ref(logicalId(s.stack.storage.web)),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudfront.amazonaws.com' },
              Action: 's3:GetObject',
              Condition: {
                StringEquals: {
                  'AWS:SourceArn': Match.objectLike({
                    'Fn::Join': Match.arrayWith([Match.arrayWith([ref(logicalId(s.stack.site.distribution))])]),
                  }),
                },
              },
            }),
          ]),
        },
      });
    });

    it('copies web/ (and the sign-in settings) into the web bucket on deploy and invalidates the distribution', () => {
      const [, deployment] = only('Custom::CDKBucketDeployment');
      expect(deployment.Properties).toMatchObject({
        DestinationBucketName: ref(logicalId(s.stack.storage.web)),
        Prune: true,
        DistributionPaths: ['/*'],
      });
      const key = (deployment.Properties.SourceObjectKeys as string[])[0]!.replace(/\.zip$/, '');
      const staged = join(s.assembly.directory, `asset.${key}`);
      for (const page of ['index.html', 'request.html', 'counsel.html', 'styles.css'])
        expect(existsSync(join(staged, page)), page).toBe(true);
      // And /auth-config.json: the staff pages' sign-in client, filled in at deploy time.
      expect(deployment.Properties.SourceObjectKeys).toHaveLength(2);
      expect(json(deployment.Properties.SourceMarkers)).toContain(logicalId(s.stack.staffAuth.client));
    });

    it('sends every HTTP_ROUTES path to the API origin: all methods, nothing cached, query string and the needed headers forwarded', () => {
      const apiBehaviors = behaviors();
      expect(apiBehaviors.map((b) => b.PathPattern).sort()).toEqual(apiPathPatterns());
      for (const route of HTTP_ROUTES)
        expect(
          apiPathPatterns().some((p) => patternCovers(p, route.path)),
          route.path,
        ).toBe(true);
      const cache = only('AWS::CloudFront::CachePolicy')[1].Properties.CachePolicyConfig as Record<string, Json>;
      expect(cache).toMatchObject({ DefaultTTL: 0, MinTTL: 0 });
      expect(cache.MaxTTL as number).toBeLessThanOrEqual(1);
      expect(cache.ParametersInCacheKeyAndForwardedToOrigin).toMatchObject({
        HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['authorization'] },
        QueryStringsConfig: { QueryStringBehavior: 'all' },
      });
      const forward = only('AWS::CloudFront::OriginRequestPolicy')[1].Properties.OriginRequestPolicyConfig as Record<
        string,
        Json
      >;
      expect(forward).toMatchObject({
        HeadersConfig: { HeaderBehavior: 'whitelist', Headers: [...API_FORWARDED_HEADERS] },
        QueryStringsConfig: { QueryStringBehavior: 'all' },
        CookiesConfig: { CookieBehavior: 'none' },
      });
      for (const behavior of apiBehaviors) {
        expect(behavior.AllowedMethods).toEqual(
          expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']),
        );
        expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
        const origin = originById(behavior.TargetOriginId!);
        expect(json(origin.DomainName)).toContain(logicalId(s.stack.http.api));
        expect(origin.CustomOriginConfig).toMatchObject({
          OriginProtocolPolicy: 'https-only',
          OriginSSLProtocols: ['TLSv1.2'],
        });
        // The origin secret travels as a deploy-time dynamic reference, never a literal.
        expect(origin.OriginCustomHeaders).toEqual([
          { HeaderName: ORIGIN_VERIFY_HEADER, HeaderValue: expect.objectContaining({ 'Fn::Join': expect.anything() }) },
        ]);
        expect(json(origin.OriginCustomHeaders)).toContain('{{resolve:secretsmanager:');
      }
    });

    it('sends security headers with the pages: a CSP that allows only the site, staff sign-in and the upload', () => {
      const policies = Object.values(resources('AWS::CloudFront::ResponseHeadersPolicy')).map(
        (p) => p.Properties.ResponseHeadersPolicyConfig as Record<string, Record<string, Json>>,
      );
      const pages = policies.find((p) => p.SecurityHeadersConfig!.ContentSecurityPolicy)!;
      const csp = json(pages.SecurityHeadersConfig!.ContentSecurityPolicy);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain('.amazoncognito.com');
      expect(csp).toContain('privacy-desk-dev-documents-');
      expect(pages.SecurityHeadersConfig).toMatchObject({
        FrameOptions: { FrameOption: 'DENY' },
        StrictTransportSecurity: { IncludeSubdomains: true },
      });
    });

    it('keeps the standard access log off (URIs hold action tokens, R5) and acknowledges that with a reason', () => {
      expect(distribution().Logging).toBeUndefined();
      expect(acknowledgedFor(s.stack.site.distribution.node.defaultChild!).get('AwsSolutions-CFR3')).toMatch(/token/);
    });
  });

  describe('mail (SES)', () => {
    it('has a configuration set that suppresses bounced and complaining addresses and requires TLS', () => {
      const [, set] = only('AWS::SES::ConfigurationSet');
      expect(set.Properties).toMatchObject({
        Name: 'privacy-desk-dev',
        SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
        DeliveryOptions: { TlsPolicy: 'REQUIRE' },
        ReputationOptions: { ReputationMetricsEnabled: true },
      });
    });

    it('publishes bounces and complaints to the encrypted mail-events topic, and counts every event in CloudWatch', () => {
      const destinations = Object.values(resources('AWS::SES::ConfigurationSetEventDestination')).map(
        (d) => d.Properties.EventDestination as Record<string, Json>,
      );
      const toTopic = destinations.find((d) => d.SnsDestination)!;
      expect(toTopic.SnsDestination).toEqual({ TopicARN: ref(logicalId(s.stack.mail.events)) });
      expect(toTopic.MatchingEventTypes).toEqual(expect.arrayContaining(['bounce', 'complaint']));
      expect(destinations.find((d) => d.CloudWatchDestination)!.MatchingEventTypes).toEqual(
        expect.arrayContaining(['send', 'bounce', 'complaint']),
      );
      s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'ses.amazonaws.com' }, Action: 'sns:Publish' }),
          ]),
        },
      });
    });

    it("creates the sending identity from context (mailFrom's domain), DKIM-signed, using the configuration set by default", () => {
      const [, identity] = only('AWS::SES::EmailIdentity');
      expect(identity.Properties).toMatchObject({
        EmailIdentity: 'library.example',
        DkimAttributes: { SigningEnabled: true },
        ConfigurationSetAttributes: { ConfigurationSetName: ref(logicalId(s.stack.mail.configurationSet)) },
      });
    });
  });

  describe('staff sign-in (Cognito, R12)', () => {
    const pool = () => only('AWS::Cognito::UserPool')[1].Properties;

    it('has one group per staff role', () => {
      const groups = Object.values(resources('AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName);
      expect(groups.sort()).toEqual([...STAFF_ROLES].sort());
    });

    it('requires MFA (authenticator app), forbids self sign-up, and enforces a strong password', () => {
      expect(pool().MfaConfiguration).toBe('ON');
      expect(pool().EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
      expect(pool().AdminCreateUserConfig).toMatchObject({ AllowAdminCreateUserOnly: true });
      expect(pool().Policies).toEqual({
        PasswordPolicy: {
          MinimumLength: STAFF_PASSWORD_POLICY.minLength,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 3,
          PasswordHistorySize: STAFF_PASSWORD_POLICY.passwordHistorySize,
        },
      });
      expect(STAFF_PASSWORD_POLICY.minLength).toBeGreaterThanOrEqual(14);
    });

    it('enforces threat protection (Plus plan: AwsSolutions-COG8, advanced security ENFORCED)', () => {
      expect(pool().UserPoolTier).toBe('PLUS');
      expect(pool().UserPoolAddOns).toEqual({ AdvancedSecurityMode: 'ENFORCED' });
    });

    it('has one public web client: authorisation code only, no secret, back to the site', () => {
      const [, client] = only('AWS::Cognito::UserPoolClient');
      expect(client.Properties).toMatchObject({
        GenerateSecret: false,
        AllowedOAuthFlows: ['code'],
        PreventUserExistenceErrors: 'ENABLED',
        EnableTokenRevocation: true,
      });
      expect(json(client.Properties.CallbackURLs)).toContain(logicalId(s.stack.site.distribution));
      // R12: a signed-in person cannot change the email they are named by.
      expect(client.Properties.WriteAttributes).toEqual(['locale']);
    });
  });

  describe('observability', () => {
    it('masks personal data that reaches any log group by mistake, a demo card number included (R5)', () => {
      const groups = Object.entries(resources('AWS::Logs::LogGroup'));
      expect(groups.length).toBeGreaterThan(FUNCTIONS.length);
      for (const [id, group] of groups) {
        const policy = json(group.Properties.DataProtectionPolicy);
        expect(policy, id).toContain('EmailAddress');
        expect(policy, id).toContain('LibraryCardNumber');
        expect(policy, id).toContain('MaskConfig');
      }
      const dataset = JSON.parse(readFileSync(join(import.meta.dirname, '../../local/demo-dataset.json'), 'utf8')) as {
        patrons: { cardNumber: string }[];
      };
      const card = new RegExp(LIBRARY_CARD_PATTERN);
      for (const p of dataset.patrons) expect(`card ${p.cardNumber} seen`).toMatch(card);
      // What the logs do carry must stay readable: ids, times, durations.
      for (const kept of ['2026-12-05T06:12:00.000Z', '0b7c3f4e-9a1d-4c2e-8f6b-1d2e3f4a5b6c', 'took 1733378400123 ms'])
        expect(kept).not.toMatch(card);
    });

    const alarms = () => Object.values(resources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const alarmTopic = () => ref(logicalId(s.stack.monitoring.topic));
    const metricsOf = (alarm: Record<string, Json>) =>
      alarm.Metrics
        ? (alarm.Metrics as { MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: Json } } }[])
            .filter((m) => m.MetricStat)
            .map((m) => m.MetricStat!.Metric)
        : [
            {
              MetricName: alarm.MetricName as string,
              Namespace: alarm.Namespace as string,
              Dimensions: alarm.Dimensions ?? [],
            },
          ];
    const alarmsOn = (namespace: string, metricName: string) =>
      alarms().filter((a) => metricsOf(a).some((m) => m.Namespace === namespace && m.MetricName === metricName));

    it('sends every alarm (and its recovery) to the encrypted alarm topic', () => {
      expect(alarms().length).toBeGreaterThan(FUNCTIONS.length);
      for (const alarm of alarms()) {
        expect(alarm.AlarmActions).toEqual([alarmTopic()]);
        expect(alarm.OKActions).toEqual([alarmTopic()]);
        expect(alarm.TreatMissingData).toBe('notBreaching');
      }
    });

    it.each(workflowNames)('alarms on failed, timed-out and throttled executions of %s', (workflow) => {
      const machine = ref(logicalId(s.stack.workflows.byName[workflow].machine));
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionThrottled']) {
        expect(
          alarmsOn('AWS/States', metric).some((a) => json(a).includes(json(machine))),
          `${workflow} ${metric}`,
        ).toBe(true);
      }
    });

    it.each(FUNCTIONS)('alarms on errors and throttles of %s', (name) => {
      for (const metric of ['Errors', 'Throttles']) {
        expect(
          alarmsOn('AWS/Lambda', metric).some((a) => json(a).includes(json(ref(fnId(name))))),
          `${name} ${metric}`,
        ).toBe(true);
      }
    });

    it('alarms on table throttling and on API 5xx answers', () => {
      for (const table of [s.stack.storage.requests, s.stack.storage.records]) {
        expect(
          alarmsOn('AWS/DynamoDB', 'WriteThrottleEvents').some((a) => json(a).includes(json(ref(logicalId(table))))),
        ).toBe(true);
      }
      expect(alarmsOn('AWS/ApiGateway', '5xx')).toHaveLength(1);
    });

    it('alarms when the OverdueRequests metric (functions/lib/observability.ts) is above 0 (R15)', () => {
      const overdue = alarmsOn(METRICS_NAMESPACE, OVERDUE_REQUESTS_METRIC);
      expect(overdue).toHaveLength(1);
      expect(overdue[0]).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [{ Name: 'service', Value: METRICS_SERVICE }],
      });
    });

    it('alarms on SES bounce and complaint rates', () => {
      expect(alarmsOn('AWS/SES', 'Reputation.BounceRate')).toHaveLength(1);
      expect(alarmsOn('AWS/SES', 'Reputation.ComplaintRate')).toHaveLength(1);
    });

    it('has a dashboard with the alarms, overdue requests, API, workflows, functions, tables, mail and the edge', () => {
      const [, dashboard] = only('AWS::CloudWatch::Dashboard');
      expect(dashboard.Properties.DashboardName).toBe('privacy-desk-dev');
      const body = json(dashboard.Properties.DashboardBody);
      for (const needle of [
        OVERDUE_REQUESTS_METRIC,
        'AWS/ApiGateway',
        'AWS/States',
        'AWS/Lambda',
        'AWS/DynamoDB',
        'AWS/SES',
        'AWS/WAFV2',
        'AWS/CloudFront',
        'alarm',
      ]) {
        expect(body, needle).toContain(needle);
      }
    });

    it("lets only this account's CloudWatch alarms publish to the alarm topic", () => {
      s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [alarmTopic()],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: Match.objectLike({ ArnLike: Match.anyValue() }),
            }),
          ]),
        },
      });
    });
  });

  it('outputs what the deploy guide uses', () => {
    const outputs = Object.keys(s.template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'SiteUrl',
        'ApiUrl',
        'RequestsTableName',
        'RecordsTableName',
        'FilesBucketName',
        'DocumentsBucketName',
        'UserPoolId',
        'AlarmTopicArn',
        'DashboardName',
        ...workflowNames.map((w) => `StateMachineArn${pascal(w)}`),
      ]),
    );
    expect(outputs.filter((o) => o.includes('DkimRecord'))).toHaveLength(3);
  });
});
