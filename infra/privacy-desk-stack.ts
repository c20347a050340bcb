import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import { FUNCTION_ACCESS, FUNCTIONS, WORKFLOWS, type FunctionName } from '../workflows/index.ts';
import { sesIdentities, type InfraConfig } from './config.ts';
import { settingsFor } from './constructs/function-settings.ts';
import { grantEmail, grantFiles, grantTable, grantWorkflowCallback, grantWorkflowStart } from './constructs/grants.ts';
import { HttpApi } from './constructs/http-api.ts';
import { Keys } from './constructs/keys.ts';
import { Schedules } from './constructs/schedules.ts';
import { ServiceFunction } from './constructs/service-function.ts';
import { Storage } from './constructs/storage.ts';
import { Workflows } from './constructs/workflows.ts';
import { HANDLERS_DIR } from './paths.ts';

export interface PrivacyDeskStackProps extends StackProps {
  config: InfraConfig;
  /** Folder of `<function>.ts` entries; functions/handlers unless a test says otherwise. */
  handlersDir?: string;
}

/** `task-match-patron` → `TaskMatchPatron`, for construct ids and output names. */
export const pascal = (s: string): string => s.replace(/(^|[-_])([a-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());

/**
 * A function that serves a workflow (its ARN is substituted into the definition) must not also
 * need that workflow's ARN, or the two would depend on each other. FUNCTION_ACCESS keeps them apart.
 */
function assertNoWorkflowCycle(): void {
  const serving = new Set<FunctionName>(Object.values(WORKFLOWS).flatMap((w) => Object.values(w.functions)));
  const cyclic = FUNCTIONS.filter((fn) => serving.has(fn) && FUNCTION_ACCESS[fn].workflow !== 'none');
  if (cyclic.length > 0) {
    throw new Error(`${cyclic.join(', ')}: serves a state machine and also needs state machine ARNs (a circular dependency). Split the function.`);
  }
}

export class PrivacyDeskStack extends Stack {
  readonly keys: Keys;
  readonly storage: Storage;
  readonly functions: Record<FunctionName, ServiceFunction>;
  readonly workflows: Workflows;
  readonly http: HttpApi;
  readonly schedules: Schedules;

  constructor(scope: Construct, id: string, props: PrivacyDeskStackProps) {
    super(scope, id, props);
    assertNoWorkflowCycle();
    const { config } = props;
    const prod = config.stage === 'prod';
    const removalPolicy = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.keys = new Keys(this, 'Keys', { removalPolicy });
    this.storage = new Storage(this, 'Storage', { key: this.keys.data, removalPolicy, protect: prod });

    // Functions first: state machines need their ARNs.
    this.functions = this.createFunctions(config, props.handlersDir ?? HANDLERS_DIR, removalPolicy);
    const lambdas = {} as Record<FunctionName, lambda.IFunction>;
    for (const name of FUNCTIONS) lambdas[name] = this.functions[name].fn;

    this.workflows = new Workflows(this, 'Workflows', { stage: config.stage, functions: lambdas, logsKey: this.keys.logs, removalPolicy });
    this.connectWorkflowClients();

    this.http = new HttpApi(this, 'Http', { stage: config.stage, functions: lambdas, logsKey: this.keys.logs, removalPolicy });
    this.schedules = new Schedules(this, 'Schedules', { functions: lambdas });

    new CfnOutput(this, 'ApiUrl', { value: this.http.url, description: 'HTTP API base URL' });
    new CfnOutput(this, 'RequestsTableName', { value: this.storage.requests.tableName });
    new CfnOutput(this, 'RecordsTableName', { value: this.storage.records.tableName });
    new CfnOutput(this, 'FilesBucketName', { value: this.storage.files.bucketName });
    for (const [name, workflow] of Object.entries(this.workflows.byName)) {
      new CfnOutput(this, `StateMachineArn${pascal(name)}`, { value: workflow.machine.stateMachineArn });
    }
  }

  /** One function per FUNCTIONS entry, granted exactly its FUNCTION_ACCESS entry. */
  private createFunctions(config: InfraConfig, handlersDir: string, removalPolicy: RemovalPolicy): Record<FunctionName, ServiceFunction> {
    const { requests, records, files } = this.storage;
    const dataKey = this.keys.data;
    const functions = {} as Record<FunctionName, ServiceFunction>;
    for (const name of FUNCTIONS) {
      const access = FUNCTION_ACCESS[name];
      const service = new ServiceFunction(this, pascal(name), {
        entry: join(handlersDir, `${name}.ts`),
        ...settingsFor(name),
        // functions/lib/env.ts; FILES_BUCKET and STATE_MACHINES only where FUNCTION_ACCESS allows their use.
        environment: {
          REQUESTS_TABLE: requests.tableName,
          RECORDS_TABLE: records.tableName,
          ...(access.files !== 'none' ? { FILES_BUCKET: files.bucketName } : {}),
          MAIL_FROM: config.mailFrom,
          BASE_URL: config.baseUrl,
        },
        logsKey: this.keys.logs,
        removalPolicy,
      });
      grantTable(service.role, requests, dataKey, access.requests);
      if (access.records !== 'none') grantTable(service.role, records, dataKey, access.records);
      if (access.files !== 'none') grantFiles(service.role, files, dataKey, access.files);
      if (access.email) grantEmail(service.role, sesIdentities(config.mailFrom));
      functions[name] = service;
    }
    return functions;
  }

  /** STATE_MACHINES and Step Functions grants for the functions that start executions or answer task tokens. */
  private connectWorkflowClients(): void {
    const machines = Object.values(this.workflows.byName);
    const arnsByName = Object.fromEntries(Object.entries(this.workflows.byName).map(([name, w]) => [name, w.machine.stateMachineArn]));
    const stateMachinesJson = this.toJsonString(arnsByName);
    for (const name of FUNCTIONS) {
      const { workflow } = FUNCTION_ACCESS[name];
      if (workflow === 'none') continue;
      const service = this.functions[name];
      service.fn.addEnvironment('STATE_MACHINES', stateMachinesJson);
      if (workflow === 'start') grantWorkflowStart(service.role, machines);
      else grantWorkflowCallback(service.role, machines);
    }
  }
}
