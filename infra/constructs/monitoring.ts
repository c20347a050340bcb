import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, METRICS_SERVICE, OVERDUE_REQUESTS_METRIC } from '../../functions/lib/observability.ts';
import type { Keys } from './keys.ts';

const FIVE_MINUTES = Duration.minutes(5);

/** SES reputation levels at which AWS starts reviewing an account (bounce 5 %, complaints 0.1 %): warn at half. */
export const SES_ALARM_RATES = { bounce: 0.025, complaint: 0.0005 } as const;

export interface MonitoringProps {
  stage: string;
  keys: Keys;
  alarmEmail?: string;
  functions: { name: string; fn: lambda.IFunction }[];
  workflows: { name: string; machine: sfn.StateMachine }[];
  tables: { name: string; table: dynamodb.Table }[];
  apiId: string;
  distributionId: string;
  webAclName: string;
  /** Where CloudFront and WAF publish their metrics. */
  edgeRegion: string;
  mailConfigurationSet: string;
}

/**
 * Alarms to one encrypted SNS topic (optionally emailed), and a dashboard. Every alarm counts in
 * 5-minute periods, treats missing data as fine (no traffic is no failure), and notifies on
 * recovery too:
 * - each state machine: executions failed, timed out or throttled;
 * - each function: errors or throttles;
 * - each table: read or write throttle events;
 * - the API: any 5xx answer (handlers turn unexpected errors into 500s, so Lambda errors miss them);
 * - overdue requests (R15): the PrivacyDesk/OverdueRequests metric above 0;
 * - SES: bounce and complaint rates approaching the levels where AWS reviews the account.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  readonly overdueRequests: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { account, region, partition } = Stack.of(this);
    const prefix = `privacy-desk-${props.stage}`;

    this.topic = new sns.Topic(this, 'Alarms', {
      topicName: `${prefix}-alarms`,
      displayName: `Privacy Desk (${props.stage}) alarms`,
      masterKey: props.keys.key,
      enforceSSL: true,
    });
    props.keys.allowTopicPublisher(
      'CloudWatchPublishesAlarms',
      'cloudwatch.amazonaws.com',
      `arn:${partition}:cloudwatch:${region}:${account}:alarm:*`,
    );
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': account },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);

    const alarm = (name: string, description: string, metric: cloudwatch.IMetric, threshold = 0) => {
      const created = new cloudwatch.Alarm(this, name, {
        alarmName: `${prefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };
    const sum = (metric: cloudwatch.Metric) => metric.with({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES });

    for (const { name, machine } of props.workflows) {
      alarm(
        `workflow-${name}-failed`,
        `The ${name} state machine: an execution failed, timed out or was throttled. Its request went to the failure path; see the execution's history.`,
        new cloudwatch.MathExpression({
          expression: 'failed + timedOut + throttled',
          label: `${name}: failed, timed out or throttled`,
          period: FIVE_MINUTES,
          usingMetrics: {
            failed: sum(machine.metricFailed()),
            timedOut: sum(machine.metricTimedOut()),
            throttled: sum(machine.metricThrottled()),
          },
        }),
      );
    }

    for (const { name, fn } of props.functions) {
      alarm(
        `function-${name}-errors`,
        `The ${name} function: an invocation failed or was throttled. Its log group has the error (request ids only, R5).`,
        new cloudwatch.MathExpression({
          expression: 'errors + throttles',
          label: `${name}: errors and throttles`,
          period: FIVE_MINUTES,
          usingMetrics: { errors: sum(fn.metricErrors()), throttles: sum(fn.metricThrottles()) },
        }),
      );
    }

    for (const { name, table } of props.tables) {
      const throttles = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/DynamoDB',
          metricName,
          dimensionsMap: { TableName: table.tableName },
          statistic: cloudwatch.Stats.SUM,
          period: FIVE_MINUTES,
        });
      alarm(
        `table-${name}-throttled`,
        `The ${name} table throttled reads or writes (on-demand capacity hit its limit).`,
        new cloudwatch.MathExpression({
          expression: 'reads + writes',
          label: `${name}: throttle events`,
          period: FIVE_MINUTES,
          usingMetrics: { reads: throttles('ReadThrottleEvents'), writes: throttles('WriteThrottleEvents') },
        }),
      );
    }

    const apiMetric = (metricName: string, statistic: string = cloudwatch.Stats.SUM) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.apiId },
        statistic,
        period: FIVE_MINUTES,
      });
    alarm(
      'api-5xx',
      'The API answered 5xx: a handler failed unexpectedly (see its log group) or an integration failed.',
      apiMetric('5xx'),
    );

    this.overdueRequests = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: OVERDUE_REQUESTS_METRIC,
      dimensionsMap: { service: METRICS_SERVICE },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.hours(1),
    });
    alarm(
      'overdue-requests',
      'R15: open requests are past their due date. The staff queue (GET /api/staff/requests) lists them, soonest due first.',
      this.overdueRequests,
    );

    const ses = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName,
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.hours(1),
      });
    alarm(
      'mail-bounce-rate',
      'SES bounce rate is above 2.5 % (AWS reviews an account at 5 %). Bounced addresses are suppressed; check the mail-events topic.',
      ses('Reputation.BounceRate'),
      SES_ALARM_RATES.bounce,
    );
    alarm(
      'mail-complaint-rate',
      'SES complaint rate is above 0.05 % (AWS reviews an account at 0.1 %).',
      ses('Reputation.ComplaintRate'),
      SES_ALARM_RATES.complaint,
    );

    this.dashboard = this.buildDashboard(props, prefix, apiMetric);
  }

  private buildDashboard(
    props: MonitoringProps,
    prefix: string,
    apiMetric: (name: string, statistic?: string) => cloudwatch.Metric,
  ): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.days(7),
    });
    const width = 8;
    const sumOf = (m: cloudwatch.Metric, label: string) =>
      m.with({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES, label });
    const edge = (
      namespace: string,
      metricName: string,
      dimensionsMap: Record<string, string>,
      label: string,
      statistic: string = cloudwatch.Stats.SUM,
    ) =>
      new cloudwatch.Metric({
        namespace,
        metricName,
        dimensionsMap,
        region: props.edgeRegion,
        statistic,
        period: FIVE_MINUTES,
        label,
      });
    const mail = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName,
        dimensionsMap: { 'ses:configuration-set': props.mailConfigurationSet },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.hours(1),
        label: metricName,
      });

    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Privacy Desk (${props.stage})\nRequests, workflows, functions, tables, mail and the edge. Logs hold request ids only (R5). Alarms go to the ${prefix}-alarms topic.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
    dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: 'Overdue requests (R15)',
        metrics: [this.overdueRequests],
        width,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [apiMetric('Count'), apiMetric('4xx'), apiMetric('5xx')],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (p90, ms)',
        left: [apiMetric('Latency', 'p90'), apiMetric('IntegrationLatency', 'p90')],
        width,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Executions started',
        left: props.workflows.map(({ name, machine }) => sumOf(machine.metricStarted(), name)),
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Executions succeeded',
        left: props.workflows.map(({ name, machine }) => sumOf(machine.metricSucceeded(), name)),
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Executions failed or timed out',
        left: props.workflows.flatMap(({ name, machine }) => [
          sumOf(machine.metricFailed(), `${name} failed`),
          sumOf(machine.metricTimedOut(), `${name} timed out`),
        ]),
        width,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: props.functions.map(({ name, fn }) => sumOf(fn.metricErrors(), name)),
        width,
        legendPosition: cloudwatch.LegendPosition.HIDDEN,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function throttles',
        left: props.functions.map(({ name, fn }) => sumOf(fn.metricThrottles(), name)),
        width,
        legendPosition: cloudwatch.LegendPosition.HIDDEN,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration (p90, ms)',
        left: props.functions.map(({ name, fn }) =>
          fn.metricDuration({ statistic: 'p90', period: FIVE_MINUTES, label: name }),
        ),
        width,
        legendPosition: cloudwatch.LegendPosition.HIDDEN,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Table capacity used',
        left: props.tables.flatMap(({ name, table }) => [
          sumOf(table.metricConsumedReadCapacityUnits(), `${name} reads`),
          sumOf(table.metricConsumedWriteCapacityUnits(), `${name} writes`),
        ]),
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Mail (per hour)',
        left: ['Send', 'Delivery', 'Bounce', 'Complaint', 'Reject'].map(mail),
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Edge: CloudFront requests and WAF blocks',
        left: [
          edge(
            'AWS/CloudFront',
            'Requests',
            { DistributionId: props.distributionId, Region: 'Global' },
            'CloudFront requests',
          ),
          edge('AWS/WAFV2', 'BlockedRequests', { WebACL: props.webAclName, Rule: 'ALL' }, 'WAF blocked'),
        ],
        right: [
          edge(
            'AWS/CloudFront',
            '5xxErrorRate',
            { DistributionId: props.distributionId, Region: 'Global' },
            'CloudFront 5xx %',
            cloudwatch.Stats.AVERAGE,
          ),
        ],
        width,
      }),
    );
    return dashboard;
  }
}
