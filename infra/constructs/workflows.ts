import { ArnFormat, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { WORKFLOWS, type FunctionName, type WorkflowName } from '../../workflows/index.ts';
import { WORKFLOWS_DIR } from '../paths.ts';
import { acknowledge } from './nag.ts';
import { logDataProtection } from './log-protection.ts';

export interface WorkflowsProps {
  stage: string;
  functions: Record<FunctionName, lambda.IFunction>;
  /** The data key: the definition, execution history and the log group. */
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
}

export interface Workflow {
  machine: sfn.StateMachine;
  /** Physical name, fixed so that execution ARNs can be granted by pattern. */
  name: string;
  /**
   * The state machine's ARN built from its fixed name, not read from the resource: a function that
   * serves this state machine (its ARN is in the definition) may still start or answer it without
   * a circular dependency between the two.
   */
  arn: string;
}

/**
 * One Standard state machine per WORKFLOWS entry, from the same ASL file the local runtime runs
 * ("One definition, two engines"): CDK only substitutes each `${Placeholder}` with a function ARN.
 */
export class Workflows extends Construct {
  readonly byName: Record<WorkflowName, Workflow>;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const entries = Object.entries(WORKFLOWS) as [WorkflowName, (typeof WORKFLOWS)[WorkflowName]][];
    this.byName = Object.fromEntries(
      entries.map(([name, definition]) => [name, this.workflow(name, definition, props)]),
    ) as Record<WorkflowName, Workflow>;
  }

  private workflow(name: WorkflowName, definition: (typeof WORKFLOWS)[WorkflowName], props: WorkflowsProps): Workflow {
    const physicalName = `privacy-desk-${props.stage}-${name}`;
    const scope = new Construct(this, name);
    const serving = Object.entries(definition.functions).map(
      ([placeholder, fn]) => [placeholder, props.functions[fn]] as const,
    );

    const logGroup = new logs.LogGroup(scope, 'Logs', {
      dataProtectionPolicy: logDataProtection(),
      // The /aws/vendedlogs/ prefix keeps CloudWatch's log resource policy from growing per group.
      logGroupName: `/aws/vendedlogs/states/${physicalName}`,
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy,
    });

    const machine = new sfn.StateMachine(scope, 'StateMachine', {
      stateMachineName: physicalName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(join(WORKFLOWS_DIR, definition.file)),
      definitionSubstitutions: Object.fromEntries(serving.map(([placeholder, fn]) => [placeholder, fn.functionArn])),
      // Payloads carry ids and small enums only (R5), so full execution data may be logged.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      // The definition and each execution's history under the data key; aws-cdk-lib grants the
      // machine's role the key for its own encryption context and CloudWatch log delivery Decrypt.
      encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(props.key, Duration.minutes(5)),
      removalPolicy: props.removalPolicy,
    });

    // Exactly the functions its Task states name: unqualified ARNs, as the definition uses them.
    const arns = [...new Set(serving.map(([, fn]) => fn.functionArn))];
    machine.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: arns }));

    acknowledge(
      machine,
      'AwsSolutions-IAM5',
      'Logging to CloudWatch uses the vended-log delivery APIs (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups...) and tracing uses xray:PutTraceSegments/GetSampling*; none supports resource-level permissions, so AWS requires Resource "*". Lambda invocation is granted per function ARN.',
      'Resource::*',
    );
    const arn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: physicalName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    return { machine, name: physicalName, arn };
  }
}
