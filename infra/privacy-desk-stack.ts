import { Aws, CfnOutput, Lazy, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import {
  auditAccess,
  FUNCTION_ACCESS,
  FUNCTIONS,
  HTTP_ROUTES,
  type FunctionAccess,
  type FunctionName,
} from '../workflows/index.ts';
import { HEADS_PREFIX } from '../functions/adapters/s3/audit-heads.ts';
import { EDGE_REGION, sesIdentities, type InfraConfig } from './config.ts';
import { settingsFor } from './constructs/function-settings.ts';
import {
  grantAudit,
  grantAuditHeads,
  grantDocuments,
  grantEmail,
  grantFiles,
  grantFingerprint,
  grantScan,
  grantSystemSecrets,
  grantTable,
  grantWorkflowCallback,
  grantWorkflowStart,
} from './constructs/grants.ts';
import { HttpApi } from './constructs/http-api.ts';
import { Keys } from './constructs/keys.ts';
import { Mail } from './constructs/mail.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { OriginSecret } from './constructs/origin-secret.ts';
import { Schedules } from './constructs/schedules.ts';
import { SdkLayer } from './constructs/sdk-layer.ts';
import { ServiceFunction } from './constructs/service-function.ts';
import { Site } from './constructs/site.ts';
import { StaffAuth } from './constructs/staff-auth.ts';
import { Storage } from './constructs/storage.ts';
import { Workflows } from './constructs/workflows.ts';
import { HANDLERS_DIR } from './paths.ts';
import { partDefines } from './store-usage.ts';
import type { DeployedSystems } from './systems.ts';

export interface PrivacyDeskStackProps extends StackProps {
  config: InfraConfig;
  /** The CLOUDFRONT-scope WAF web ACL (EdgeStack, us-east-1). */
  webAclArn: string;
  webAclName: string;
  /** Folder of `<function>.ts` entries; functions/handlers unless a test says otherwise. */
  handlersDir?: string;
  /** R19: the `systemsFile` setting, read and validated; unset, the built-in records table alone. */
  systems?: DeployedSystems;
}

/** `task-match-patron` → `TaskMatchPatron`, for construct ids and output names. */
export const pascal = (s: string): string => s.replace(/(^|[-_])([a-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());

/** The documents bucket's name: fixed, so the pages' CSP can name its origin without depending on the bucket. */
export const documentsBucketName = (stage: string, region: string): string =>
  `privacy-desk-${stage}-documents-${Aws.ACCOUNT_ID}-${region}`;

/**
 * The application in one region: data (tables, buckets, one key), functions, state machines, the
 * HTTP API, staff sign-in, mail, the CloudFront site, schedules, alarms and the dashboard.
 * `prod` keeps its data when the stack or a resource is deleted (RETAIN, deletion protection on
 * tables and the user pool, termination protection on the stack).
 */
export class PrivacyDeskStack extends Stack {
  readonly keys: Keys;
  readonly storage: Storage;
  readonly mail: Mail;
  /** The AWS SDK as one layer, attached to every function (constructs/sdk-layer.ts). */
  readonly sdk: SdkLayer;
  readonly functions: Record<FunctionName, ServiceFunction>;
  readonly workflows: Workflows;
  readonly originSecret: OriginSecret;
  readonly staffAuth: StaffAuth;
  readonly http: HttpApi;
  readonly site: Site;
  readonly schedules: Schedules;
  readonly monitoring: Monitoring;
  /** The site's origin (emails link here); a deploy-time value when there is no custom domain. */
  readonly siteOrigin: string;

  constructor(scope: Construct, id: string, props: PrivacyDeskStackProps) {
    // Nearly fifty functions, each with its role, log group and masking policy: indentation alone
    // would bring the template near CloudFormation's 1 MB limit, for no reader's benefit.
    super(scope, id, { suppressTemplateIndentation: true, ...props });
    const { config } = props;
    const prod = config.stage === 'prod';
    const removalPolicy = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // Functions, sign-in and the bucket CORS need the site's origin before CloudFront exists here.
    this.siteOrigin = config.domainName
      ? `https://${config.domainName}`
      : Lazy.string({ produce: () => this.site.origin });

    this.keys = new Keys(this, 'Keys', { stage: config.stage, removalPolicy });
    this.storage = new Storage(this, 'Storage', {
      key: this.keys.key,
      removalPolicy,
      protect: prod,
      documentsBucketName: documentsBucketName(config.stage, this.region),
    });
    this.mail = new Mail(this, 'Mail', {
      stage: config.stage,
      mailFrom: config.mailFrom,
      mailIdentity: config.mailIdentity,
      keys: this.keys,
    });

    this.sdk = new SdkLayer(this, 'Sdk');
    // Functions first: state machines need their ARNs.
    this.functions = this.createFunctions(config, props.handlersDir ?? HANDLERS_DIR, removalPolicy, props.systems);
    const lambdas = {} as Record<FunctionName, lambda.IFunction>;
    for (const name of FUNCTIONS) lambdas[name] = this.functions[name].fn;

    this.workflows = new Workflows(this, 'Workflows', {
      stage: config.stage,
      functions: lambdas,
      key: this.keys.key,
      removalPolicy,
    });
    this.connectWorkflowClients();

    this.originSecret = new OriginSecret(this, 'OriginSecret', {
      stage: config.stage,
      key: this.keys.key,
      removalPolicy,
      sdkLayer: this.sdk.layer,
      ...(config.originSecretVersion ? { versionId: config.originSecretVersion } : {}),
    });
    // A signed-in route has the JWT authorizer, not the origin one: its function checks the header.
    for (const fn of new Set(HTTP_ROUTES.filter((r) => r.groups?.length).map((r) => r.fn)))
      this.functions[fn].fn.addEnvironment('ORIGIN_VERIFY_SECRET', this.originSecret.value);
    this.staffAuth = new StaffAuth(this, 'StaffAuth', {
      stage: config.stage,
      removalPolicy,
      protect: prod,
      siteOrigin: this.siteOrigin,
      ...(config.authDomainPrefix ? { domainPrefix: config.authDomainPrefix } : {}),
    });
    this.http = new HttpApi(this, 'Http', {
      stage: config.stage,
      functions: lambdas,
      key: this.keys.key,
      removalPolicy,
      staff: { issuer: this.staffAuth.issuer, audience: [this.staffAuth.client.userPoolClientId] },
      originVerifier: this.originSecret.verifier.fn,
      ...(config.domainName ? { siteOrigin: this.siteOrigin } : {}),
    });
    this.site = new Site(this, 'Site', {
      stage: config.stage,
      api: this.http.api,
      originSecret: this.originSecret.value,
      webBucket: this.storage.web,
      webAclArn: props.webAclArn,
      key: this.keys.key,
      ...(config.domainName && config.certificateArn
        ? { domainName: config.domainName, certificateArn: config.certificateArn }
        : {}),
      connectOrigins: [
        this.staffAuth.signInOrigin,
        `https://${documentsBucketName(config.stage, this.region)}.s3.${this.region}.${Aws.URL_SUFFIX}`,
      ],
      pageConfig: {
        region: this.region,
        userPoolId: this.staffAuth.userPool.userPoolId,
        clientId: this.staffAuth.client.userPoolClientId,
        signInUrl: this.staffAuth.signInOrigin,
        scopes: 'openid email profile',
      },
    });
    // R12: counsel's browser posts the order straight to the bucket (presigned POST), from the site only.
    this.storage.documents.addCorsRule({
      allowedOrigins: [this.siteOrigin],
      allowedMethods: [s3.HttpMethods.POST],
      allowedHeaders: ['*'],
      maxAge: 3600,
    });

    this.schedules = new Schedules(this, 'Schedules', { functions: lambdas });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: config.stage,
      keys: this.keys,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      functions: [
        ...FUNCTIONS.map((name) => ({ name, fn: lambdas[name] })),
        { name: 'origin-verify', fn: this.originSecret.verifier.fn },
      ],
      workflows: Object.entries(this.workflows.byName).map(([name, w]) => ({ name, machine: w.machine })),
      tables: [
        { name: 'requests', table: this.storage.requests },
        { name: 'records', table: this.storage.records },
        { name: 'audit', table: this.storage.audit },
      ],
      apiId: this.http.api.apiId,
      distributionId: this.site.distribution.distributionId,
      webAclName: props.webAclName,
      edgeRegion: EDGE_REGION,
      mailConfigurationSet: this.mail.configurationSetName,
    });

    this.outputs(config);
  }

  private outputs(config: InfraConfig): void {
    new CfnOutput(this, 'SiteUrl', {
      value: this.siteOrigin,
      description: 'The site: pages, API and the links in emails',
    });
    new CfnOutput(this, 'DistributionDomainName', {
      value: this.site.distribution.distributionDomainName,
      description: config.domainName ? `Point ${config.domainName} here (CNAME or alias)` : 'The site is served here',
    });
    new CfnOutput(this, 'ApiUrl', {
      value: this.http.url,
      description: 'HTTP API (refuses requests that do not come through CloudFront)',
    });
    new CfnOutput(this, 'RequestsTableName', { value: this.storage.requests.tableName });
    new CfnOutput(this, 'RecordsTableName', {
      value: this.storage.records.tableName,
      description: 'Load the dataset here (README, "Dataset import")',
    });
    new CfnOutput(this, 'FingerprintKeyArn', {
      value: this.keys.fingerprintKey.keyArn,
      description: 'FINGERPRINT_KEY_ID for a dataset import (R8: erased patrons stay erased)',
    });
    new CfnOutput(this, 'AuditTableName', {
      value: this.storage.audit.tableName,
      description: 'DSR_AUDIT_TABLE for npm run audit:verify (R17)',
    });
    new CfnOutput(this, 'AuditKeyArn', {
      value: this.keys.auditKey.keyArn,
      description: 'DSR_AUDIT_KEY_ID for npm run audit:verify (kms:VerifyMac, R17)',
    });
    new CfnOutput(this, 'AuditHeadsBucketName', {
      value: this.storage.auditHeads.bucketName,
      description: 'DSR_AUDIT_HEADS_BUCKET for npm run audit:verify: the Object Lock copies of chain heads (R17)',
    });
    new CfnOutput(this, 'FilesBucketName', { value: this.storage.files.bucketName });
    new CfnOutput(this, 'DocumentsBucketName', { value: this.storage.documents.bucketName });
    new CfnOutput(this, 'UserPoolId', {
      value: this.staffAuth.userPool.userPoolId,
      description: 'Staff accounts (README, "First staff users")',
    });
    new CfnOutput(this, 'UserPoolClientId', { value: this.staffAuth.client.userPoolClientId });
    new CfnOutput(this, 'SignInUrl', { value: this.staffAuth.signInOrigin, description: 'Hosted staff sign-in' });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'Subscribe whoever answers alarms',
    });
    new CfnOutput(this, 'MailEventsTopicArn', {
      value: this.mail.events.topicArn,
      description: 'Bounces, complaints and rejections (hold addresses: subscribe with care)',
    });
    new CfnOutput(this, 'MailConfigurationSet', { value: this.mail.configurationSetName });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'OriginSecretArn', {
      value: this.originSecret.secret.secretArn,
      description: 'Rotate by hand (README)',
    });
    for (const [name, workflow] of Object.entries(this.workflows.byName)) {
      new CfnOutput(this, `StateMachineArn${pascal(name)}`, { value: workflow.machine.stateMachineArn });
    }
    this.keys.holdLogDeliveryToThisAccount();
  }

  /** One function per FUNCTIONS entry, granted exactly its FUNCTION_ACCESS entry. */
  private createFunctions(
    config: InfraConfig,
    handlersDir: string,
    removalPolicy: RemovalPolicy,
    systems: DeployedSystems | undefined,
  ): Record<FunctionName, ServiceFunction> {
    const { requests, records, files, documents, audit, auditHeads } = this.storage;
    const key = this.keys.key;
    const functions = {} as Record<FunctionName, ServiceFunction>;
    for (const name of FUNCTIONS) {
      const access = FUNCTION_ACCESS[name];
      const documentsAccess = access.documents ?? 'none';
      // R19: the functions that may read the library's records are the ones that reach its systems.
      const reachesSystems = systems !== undefined && access.records !== 'none';
      const secretNames = reachesSystems ? systems.secretNames : [];
      const entry = join(handlersDir, `${name}.ts`);
      const service = new ServiceFunction(this, pascal(name), {
        entry,
        ...settingsFor(name),
        define: bundleDefines(access, secretNames.length > 0, entry),
        sdkLayer: this.sdk.layer,
        // functions/lib/env.ts; buckets and STATE_MACHINES only where FUNCTION_ACCESS allows their use.
        environment: {
          REQUESTS_TABLE: requests.tableName,
          RECORDS_TABLE: records.tableName,
          // R17: every function reads or appends the audit trail, under the audit key.
          AUDIT_TABLE: audit.tableName,
          AUDIT_KEY_ID: this.keys.auditKey.keyArn,
          ...(access.auditHeads ? { AUDIT_HEADS_BUCKET: auditHeads.bucketName } : {}),
          ...(access.files !== 'none' ? { FILES_BUCKET: files.bucketName } : {}),
          ...(documentsAccess !== 'none' ? { DOCUMENTS_BUCKET: documents.bucketName } : {}),
          ...(access.fingerprint ? { FINGERPRINT_KEY_ID: this.keys.fingerprintKey.keyArn } : {}),
          // Every function knows the systems (a status page names those a request waits on); only
          // those that may read records reach them, so only those get their secrets.
          ...(systems ? { SYSTEMS_JSON: systems.value } : {}),
          MAIL_FROM: config.mailFrom,
          BASE_URL: this.siteOrigin,
        },
        key,
        removalPolicy,
      });
      grantTable(service.role, requests, key, access.requests);
      if (access.records !== 'none') grantTable(service.role, records, key, access.records);
      if (access.requestsScan) grantScan(service.role, requests);
      if (access.recordsScan && access.records !== 'none') grantScan(service.role, records);
      grantAudit(service.role, audit, key, this.keys.auditKey, {
        level: auditAccess(access),
        verify: access.auditVerify === true,
      });
      if (access.auditHeads) grantAuditHeads(service.role, auditHeads, key, HEADS_PREFIX);
      if (access.files !== 'none') grantFiles(service.role, files, key, access.files);
      if (documentsAccess !== 'none') grantDocuments(service.role, documents, key, documentsAccess);
      if (access.fingerprint) grantFingerprint(service.role, this.keys.fingerprintKey);
      grantSystemSecrets(service.role, secretNames);
      if (access.email) grantEmail(service.role, sesIdentities(config.mailFrom), this.mail.configurationSetName);
      functions[name] = service;
    }
    return functions;
  }

  /** STATE_MACHINES and Step Functions grants for the functions that start executions or answer task tokens. */
  private connectWorkflowClients(): void {
    const machines = Object.values(this.workflows.byName);
    // Built from the fixed names (Workflow.arn): a function a state machine invokes may also start one.
    const arnsByName = Object.fromEntries(Object.entries(this.workflows.byName).map(([name, w]) => [name, w.arn]));
    const stateMachinesJson = this.toJsonString(arnsByName);
    for (const name of FUNCTIONS) {
      const { workflow, starts = [] } = FUNCTION_ACCESS[name];
      if (workflow === 'none') continue;
      const service = this.functions[name];
      service.fn.addEnvironment('STATE_MACHINES', stateMachinesJson);
      // R12: each function may start only the state machines it starts.
      if (workflow === 'start')
        grantWorkflowStart(
          service.role,
          starts.map((w) => this.workflows.byName[w]),
          this.keys.key,
        );
      else grantWorkflowCallback(service.role, machines, this.keys.key);
    }
  }
}

/**
 * What functions/lib/deps.ts may leave out of a function's bundle, from its FUNCTION_ACCESS entry,
 * whether it is granted any of the systems file's secrets, and the stores its handler's code
 * (`entry`) names (infra/store-usage.ts).
 */
export function bundleDefines(access: FunctionAccess, secrets: boolean, entry: string): Record<string, string> {
  const flag = (allowed: boolean) => JSON.stringify(String(allowed));
  return {
    ...partDefines(entry),
    'process.env.PD_BUNDLE_RECORDS': flag(access.records !== 'none'),
    'process.env.PD_BUNDLE_EMAIL': flag(access.email),
    'process.env.PD_BUNDLE_FILES': flag(access.files !== 'none'),
    'process.env.PD_BUNDLE_DOCUMENTS': flag((access.documents ?? 'none') !== 'none'),
    'process.env.PD_BUNDLE_WORKFLOW': flag(access.workflow !== 'none'),
    'process.env.PD_BUNDLE_FINGERPRINT': flag(access.fingerprint === true),
    'process.env.PD_BUNDLE_SECRETS': flag(secrets),
    'process.env.PD_BUNDLE_AUDIT_HEADS': flag(access.auditHeads === true),
  };
}
