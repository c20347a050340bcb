import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envSchema } from '../../functions/lib/env.ts';
import { TABLE_KEYS } from '../../functions/store/keys.ts';
import { FUNCTION_ACCESS, FUNCTIONS, HTTP_ROUTES, SCHEDULES, WORKFLOWS, type FunctionName } from '../../workflows/index.ts';
import { buildApp } from '../../infra/build-app.ts';
import { FILE_EXPIRY_DAYS, FILE_PREFIXES } from '../../infra/constructs/storage.ts';
import { pascal } from '../../infra/privacy-desk-stack.ts';
import { allStates, fakeFunctionArn, invokedArn, LAMBDA_INVOKE, placeholdersIn, substituted, workflowNames } from './asl-helpers.ts';
import { actionsOf, asList, logicalId, statementsOfRole, synthesize, SYNTH_TIMEOUT_MS, type Json, type Synthesized } from './synth.ts';

type Resource = { Properties: Record<string, Json>; DeletionPolicy?: string };
const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
const ref = (id: string) => ({ Ref: id });
const json = (value: unknown) => JSON.stringify(value);

/** Actions AWS only accepts on Resource "*"; nothing else may use it. */
const STAR_ONLY_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

/** Rules the stack acknowledges, each with a reason in the code; any other rule must be fixed, not suppressed. */
const ACKNOWLEDGED_RULES = new Set(['AwsSolutions-IAM5', 'AwsSolutions-APIG4']);

/** Every violation in the report, as readable lines (empty when the stack is clean). */
const violationsOf = (s: Synthesized) =>
  s.report.pluginReports.flatMap((r) =>
    r.violations.map((v) => `${r.pluginName} ${v.severity} ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`),
  );

describe('PrivacyDesk stack (dev)', () => {
  let s: Synthesized;
  const resources = (type: string) => s.template.findResources(type) as Record<string, Resource>;
  const fnId = (name: FunctionName) => logicalId(s.stack.functions[name].fn);
  const fnProps = (name: FunctionName) => resources('AWS::Lambda::Function')[fnId(name)]!.Properties;
  const roleStatements = (name: FunctionName) => statementsOfRole(s.template, logicalId(s.stack.functions[name].role));

  beforeAll(() => {
    s = synthesize();
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => s?.cleanup());

  describe('cdk-nag and CDK validation', () => {
    it('reports no unacknowledged cdk-nag (AwsSolutions) finding, error or warning, nor any other validation finding', () => {
      expect(violationsOf(s)).toEqual([]);
    });

    it('emits no CDK error or warning annotation', () => {
      expect(Annotations.fromStack(s.stack).findError('*', Match.anyValue())).toEqual([]);
      expect(Annotations.fromStack(s.stack).findWarning('*', Match.anyValue())).toEqual([]);
    });

    it('acknowledges only IAM5 findings and APIG4, each with a specific reason', () => {
      const acks = s.stack.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
        .flatMap((m) => Object.entries(m.data as Record<string, string>));
      expect(acks.length).toBeGreaterThan(0);
      for (const [id, reason] of acks) {
        const rule = id.replace(/^[A-Za-z]+::/, '').replace(/\[.*$/, '');
        expect(ACKNOWLEDGED_RULES.has(rule), id).toBe(true);
        expect(reason.length, `reason for ${id}`).toBeGreaterThan(80);
      }
    });
  });

  describe('tables', () => {
    const tableId = (which: 'requests' | 'records') => logicalId(s.stack.storage[which]);

    it.each(['requests', 'records'] as const)('%s: KMS with the customer key, PITR, on-demand, TABLE_KEYS schema and GSIs', (which) => {
      const props = resources('AWS::DynamoDB::Table')[tableId(which)]!.Properties;
      expect(props.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: getAtt(logicalId(s.stack.keys.data)) });
      expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
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
      expect(tables[tableId('requests')]!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true });
      expect(tables[tableId('records')]!.Properties.TimeToLiveSpecification).toBeUndefined();
    });

    it('rotates every KMS key', () => {
      const keys = Object.values(resources('AWS::KMS::Key'));
      expect(keys.length).toBeGreaterThanOrEqual(2);
      for (const key of keys) expect(key.Properties.EnableKeyRotation).toBe(true);
    });
  });

  describe('files bucket', () => {
    const filesId = () => logicalId(s.stack.storage.files);

    it('blocks public access on every bucket', () => {
      for (const bucket of Object.values(resources('AWS::S3::Bucket'))) {
        expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
      }
    });

    it('denies every non-TLS request on every bucket', () => {
      const policies = Object.values(resources('AWS::S3::BucketPolicy'));
      for (const bucketId of Object.keys(resources('AWS::S3::Bucket'))) {
        const policy = policies.find((p) => json(p.Properties.Bucket) === json(ref(bucketId)));
        expect(policy, `bucket policy of ${bucketId}`).toBeDefined();
        const statements = (policy!.Properties.PolicyDocument as { Statement: { Effect: string; Condition?: Json }[] }).Statement;
        expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
      }
    });

    it('encrypts with the data key, logs access to the logs bucket, and expires reports and exports', () => {
      const props = resources('AWS::S3::Bucket')[filesId()]!.Properties;
      expect(props.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: getAtt(logicalId(s.stack.keys.data)) } },
        ],
      });
      expect(props.LoggingConfiguration).toMatchObject({ DestinationBucketName: ref(logicalId(s.stack.storage.accessLogs)) });
      const rules = (props.LifecycleConfiguration as { Rules: { Prefix?: string; ExpirationInDays?: number; Status: string }[] }).Rules;
      for (const prefix of FILE_PREFIXES) {
        expect(rules).toContainEqual(expect.objectContaining({ Prefix: prefix, ExpirationInDays: FILE_EXPIRY_DAYS, Status: 'Enabled' }));
      }
      expect(FILE_PREFIXES).toEqual(expect.arrayContaining(['reports/', 'exports/']));
    });

    it('refuses uploads that pick their own encryption instead of the data key', () => {
      s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: ref(filesId()),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:PutObject', Condition: { Null: { 's3:x-amz-server-side-encryption': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('functions', () => {
    it('has one function per FUNCTIONS entry and no other', () => {
      expect(Object.keys(resources('AWS::Lambda::Function')).sort()).toEqual(FUNCTIONS.map(fnId).sort());
    });

    it.each(FUNCTIONS)('%s: nodejs24.x on arm64, traced, logging to its own encrypted log group with retention', (name) => {
      const props = fnProps(name);
      expect(props.Runtime).toBe('nodejs24.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      const logGroupId = logicalId(s.stack.functions[name].logGroup);
      expect(props.LoggingConfig).toEqual({ LogGroup: ref(logGroupId) });
      const logGroup = resources('AWS::Logs::LogGroup')[logGroupId]!.Properties;
      expect(logGroup.RetentionInDays).toBeGreaterThan(0);
      expect(logGroup.KmsKeyId).toEqual(getAtt(logicalId(s.stack.keys.logs)));
    });

    it.each(FUNCTIONS)('%s: environment follows functions/lib/env.ts and its FUNCTION_ACCESS entry', (name) => {
      const vars = (fnProps(name).Environment as { Variables: Record<string, Json> }).Variables;
      const access = FUNCTION_ACCESS[name];
      const expected = ['REQUESTS_TABLE', 'RECORDS_TABLE', 'MAIL_FROM', 'BASE_URL', 'NODE_OPTIONS'];
      if (access.files !== 'none') expected.push('FILES_BUCKET');
      if (access.workflow !== 'none') expected.push('STATE_MACHINES');
      expect(Object.keys(vars).sort()).toEqual(expected.sort());
      for (const key of Object.keys(vars)) if (key !== 'NODE_OPTIONS') expect(Object.keys(envSchema.shape), key).toContain(key);
      expect(vars.MAIL_FROM).toBe('privacy@library.example');
      expect(vars.BASE_URL).toBe('https://privacy.library.example');
    });

    it.each(FUNCTIONS)('%s: bundled as ESM with the AWS SDK inside (no runtime-provided SDK)', (name) => {
      const key = (fnProps(name).Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      const bundle = join(s.assembly.directory, `asset.${key}`, 'index.mjs');
      expect(existsSync(bundle), bundle).toBe(true);
      expect(readFileSync(bundle, 'utf8')).not.toMatch(/from\s*["']@aws-sdk\//);
    });

    it.each(FUNCTIONS)('%s: times out before any Task state that calls it', (name) => {
      const timeout = fnProps(name).Timeout as number;
      for (const workflow of workflowNames) {
        const definition = substituted(workflow, (p) => fakeFunctionArn((WORKFLOWS[workflow].functions as Record<string, string>)[p] ?? p));
        for (const [stateName, state] of allStates(definition)) {
          const waitsForToken = state.Resource !== undefined && LAMBDA_INVOKE.test(state.Resource) && state.Resource.endsWith('.waitForTaskToken');
          if (invokedArn(state) !== fakeFunctionArn(name) || waitsForToken || state.TimeoutSeconds === undefined) continue;
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
      const rule = Object.entries(resources('AWS::Events::Rule')).find(([, r]) => json(r.Properties.Targets).includes(`"${fnId(fn)}"`));
      expect(rule, `rule targeting ${fn}`).toBeDefined();
      const [ruleId, { Properties: props }] = rule!;
      expect(props.ScheduleExpression).toBe(everyMinutes === 1 ? 'rate(1 minute)' : `rate(${everyMinutes} minutes)`);
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
    const allStatements = () => {
      const policies = Object.values(resources('AWS::IAM::Policy')).flatMap((p) => (p.Properties.PolicyDocument as { Statement: never[] }).Statement);
      const inline = Object.values(resources('AWS::IAM::Role')).flatMap((r) =>
        ((r.Properties.Policies as { PolicyDocument: { Statement: never[] } }[] | undefined) ?? []).flatMap((p) => p.PolicyDocument.Statement),
      );
      return [...policies, ...inline] as { Effect: string; Action: string | string[]; Resource: Json }[];
    };

    it('grants no wildcard action (no "*", no service-wide "dynamodb:*" or "s3:*") and never Scan', () => {
      for (const statement of allStatements().filter((st) => st.Effect === 'Allow')) {
        for (const action of asList(statement.Action)) {
          expect(action, json(statement)).not.toContain('*');
          expect(action).not.toBe('dynamodb:Scan');
        }
      }
    });

    it('uses Resource "*" only for actions that support nothing narrower (X-Ray, log delivery)', () => {
      for (const statement of allStatements().filter((st) => asList(st.Resource).includes('*'))) {
        for (const action of asList(statement.Action)) expect(STAR_ONLY_ACTIONS.has(action), action).toBe(true);
      }
    });

    it('attaches no AWS managed policy to any role', () => {
      for (const role of Object.values(resources('AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it.each(FUNCTIONS)('%s: exactly its FUNCTION_ACCESS entry', (name) => {
      const access = FUNCTION_ACCESS[name];
      const statements = roleStatements(name);
      const actions = actionsOf(statements);
      const touches = (construct: Parameters<typeof logicalId>[0]) => statements.some((st) => json(st.Resource).includes(`"${logicalId(construct)}"`));
      const { requests, records, files } = s.stack.storage;

      expect(touches(requests)).toBe(true);
      expect(actions.has('dynamodb:PutItem')).toBe(access.requests === 'write' || access.records === 'write');
      expect(touches(records)).toBe(access.records !== 'none');
      if (access.records === 'read') {
        const recordWrites = statements.filter((st) => json(st.Resource).includes(`"${logicalId(records)}"`) && asList(st.Action).includes('dynamodb:PutItem'));
        expect(recordWrites).toEqual([]);
      }

      expect(touches(files)).toBe(access.files !== 'none');
      expect(actions.has('s3:GetObject')).toBe(access.files !== 'none');
      expect(actions.has('s3:PutObject')).toBe(access.files === 'write');
      expect(actions.has('s3:DeleteObject')).toBe(access.files === 'write');

      const ses = statements.filter((st) => asList(st.Action).some((a) => a.startsWith('ses:')));
      expect(ses.length > 0).toBe(access.email);
      for (const st of ses) for (const resource of asList(st.Resource)) expect(json(resource)).toMatch(/:identity\/(privacy@)?library\.example"/);

      expect(actions.has('states:StartExecution')).toBe(access.workflow === 'start');
      expect(actions.has('states:StopExecution')).toBe(access.workflow === 'start');
      expect(actions.has('states:SendTaskSuccess')).toBe(access.workflow === 'callback');
      expect([...actions].some((a) => a.startsWith('states:'))).toBe(access.workflow !== 'none');
      expect(actions.has('lambda:InvokeFunction')).toBe(false);
    });
  });

  describe('state machines', () => {
    const machineProps = (workflow: (typeof workflowNames)[number]) =>
      resources('AWS::StepFunctions::StateMachine')[logicalId(s.stack.workflows.byName[workflow].machine)]!.Properties;

    it('has one Standard state machine per WORKFLOWS entry', () => {
      expect(Object.keys(resources('AWS::StepFunctions::StateMachine'))).toHaveLength(workflowNames.length);
      for (const workflow of workflowNames) expect(machineProps(workflow).StateMachineType).toBe('STANDARD');
    });

    it.each(workflowNames)('%s: every placeholder resolves to its function ARN, none is left', (workflow) => {
      const props = machineProps(workflow);
      const mapping: Record<string, FunctionName> = WORKFLOWS[workflow].functions;
      expect(props.DefinitionSubstitutions).toEqual(Object.fromEntries(Object.entries(mapping).map(([p, fn]) => [p, getAtt(fnId(fn))])));

      // The definition CloudFormation deploys is the asset file; substitutions apply to it at deploy time.
      const key = (props.DefinitionS3Location as { Key: string }).Key;
      const text = readFileSync(join(s.assembly.directory, `asset.${key}`), 'utf8');
      expect([...placeholdersIn(text)].sort()).toEqual(Object.keys(mapping).sort());
      const resolved = Object.keys(mapping).reduce((t, p) => t.replaceAll(`\${${p}}`, fakeFunctionArn(mapping[p]!)), text);
      expect(resolved).not.toContain('${');
    });

    it.each(workflowNames)('%s: logs ALL with execution data to an encrypted log group, with X-Ray tracing', (workflow) => {
      const props = machineProps(workflow);
      expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
      expect(props.TracingConfiguration).toEqual({ Enabled: true });
      const destination = json(props.LoggingConfiguration);
      const logGroupId = Object.keys(resources('AWS::Logs::LogGroup')).find((id) => destination.includes(`"${id}"`));
      expect(logGroupId).toBeDefined();
      const logGroup = resources('AWS::Logs::LogGroup')[logGroupId!]!.Properties;
      expect(logGroup.KmsKeyId).toEqual(getAtt(logicalId(s.stack.keys.logs)));
      expect(logGroup.RetentionInDays).toBeGreaterThan(0);
    });

    it.each(workflowNames)('%s: its role may invoke exactly the functions it maps', (workflow) => {
      const statements = statementsOfRole(s.template, logicalId(s.stack.workflows.byName[workflow].machine.role));
      const invoke = statements.filter((st) => asList(st.Action).includes('lambda:InvokeFunction'));
      const invoked = invoke.flatMap((st) => asList(st.Resource)).map(json).sort();
      const mapped = [...new Set(Object.values(WORKFLOWS[workflow].functions as Record<string, FunctionName>))].map((fn) => json(getAtt(fnId(fn)))).sort();
      expect(invoked).toEqual(mapped);
    });
  });

  describe('HTTP API', () => {
    it('routes every HTTP_ROUTES entry to its function through a Lambda proxy, payload 2.0', () => {
      const routes = Object.values(resources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
      const integrations = resources('AWS::ApiGatewayV2::Integration');
      expect(routes).toHaveLength(HTTP_ROUTES.length);
      for (const route of HTTP_ROUTES) {
        const found = routes.find((r) => r.RouteKey === `${route.method} ${route.path}`);
        expect(found, `${route.method} ${route.path}`).toBeDefined();
        const integrationId = Object.keys(integrations).find((id) => json(found!.Target).includes(`"${id}"`));
        const integration = integrations[integrationId ?? '']!.Properties;
        expect(integration).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: getAtt(fnId(route.fn)) });
      }
    });

    it('has a throttled default stage whose access log holds no path, token or IP', () => {
      const stages = Object.values(resources('AWS::ApiGatewayV2::Stage')).map((r) => r.Properties);
      expect(stages).toHaveLength(1);
      const stage = stages[0]!;
      expect(stage.StageName).toBe('$default');
      expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number) });
      const settings = stage.AccessLogSettings as { DestinationArn: Json; Format: string };
      const logGroupId = Object.keys(resources('AWS::Logs::LogGroup')).find((id) => json(settings.DestinationArn).includes(`"${id}"`));
      expect(logGroupId).toBeDefined();
      expect(resources('AWS::Logs::LogGroup')[logGroupId!]!.Properties.KmsKeyId).toBeDefined();
      expect(settings.Format).toContain('$context.requestId');
      expect(settings.Format).not.toMatch(/\$context\.(path|identity\.sourceIp|resourcePath)/);
    });
  });

  it('outputs the API URL, table and bucket names and every state machine ARN', () => {
    const outputs = Object.keys(s.template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs).toEqual(
      expect.arrayContaining(['ApiUrl', 'RequestsTableName', 'RecordsTableName', 'FilesBucketName', ...workflowNames.map((w) => `StateMachineArn${pascal(w)}`)]),
    );
  });
});

describe('PrivacyDesk stack (prod, explicit account and region)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize({ stage: 'prod', account: '123456789012', region: 'eu-west-1' });
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => s?.cleanup());

  it('is named for its stage and stays free of cdk-nag findings', () => {
    expect(s.stack.stackName).toBe('PrivacyDesk-prod');
    expect(violationsOf(s)).toEqual([]);
  });

  it('retains and protects its data', () => {
    for (const table of Object.values(s.template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect((table.Properties as Record<string, unknown>).DeletionProtectionEnabled).toBe(true);
    }
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key']) {
      for (const resource of Object.values(s.template.findResources(type))) expect(resource.DeletionPolicy, type).toBe('Retain');
    }
  });

  it('names state machines for the stage and scopes SES to the identity in this account and region', () => {
    for (const workflow of workflowNames) {
      s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: `privacy-desk-prod-${workflow}` });
    }
    expect(JSON.stringify(s.template.toJSON())).toContain(':ses:eu-west-1:123456789012:identity/privacy@library.example');
  });
});

describe('configuration', () => {
  it.each([{ stage: 'staging' }, { mailFrom: 'not-an-email' }, { baseUrl: 'nope' }, { account: '12' }])('rejects %o before building anything', (context) => {
    expect(() => buildApp({ context, processEnv: {} })).toThrow();
  });
});
