import type { GenericLogger } from '@aws-lambda-powertools/commons/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Application metrics (Powertools, CloudWatch embedded metric format: one JSON log line that
 * CloudWatch turns into a metric, no API call). The CDK app alarms on these names, so they are
 * a contract: infra/constructs/monitoring.ts imports them from here.
 *
 * R5: a metric carries a count and the `service` dimension only, never an id, a name or an email.
 * Custom metrics are billed per metric name and dimension set per month, so there are few of them
 * and no per-request or per-function dimensions.
 */
export const METRICS_NAMESPACE = 'PrivacyDesk';
export const METRICS_SERVICE = 'privacy-desk';

/**
 * `OverdueRequests` (Count, dimension `service=privacy-desk`): how many open requests are past
 * their due date (R15), as counted from the staff queue index (gsi2 `STATUS#<status>` /
 * `<dueAt>#<id>`, due dates before now) by the scheduled function that reads it, on every run,
 * 0 included. The alarm fires when the hourly maximum is above 0.
 */
export const OVERDUE_REQUESTS_METRIC = 'OverdueRequests';

/** Emits in Lambda; elsewhere (the local runtime, tests) only when asked, so nothing prints. */
const inLambda = (): boolean => Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);

// Powertools warns on every flush without metrics; most invocations have none by design.
const quietLogger: GenericLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: (...a: unknown[]) => console.info(...a),
  warn: (...a: unknown[]) => {
    if (!String(a[0]).startsWith('No application metrics')) console.warn(...a);
  },
  error: (...a: unknown[]) => console.error(...a),
};

export class AppMetrics {
  constructor(
    readonly metrics: Metrics,
    readonly enabled: boolean,
  ) {}

  /** R15: the number of open requests past their due date; publish on every sweep, 0 included. */
  overdueRequests(count: number): void {
    if (!this.enabled) return;
    this.metrics.addMetric(OVERDUE_REQUESTS_METRIC, MetricUnit.Count, count);
    this.metrics.publishStoredMetrics();
  }
}

export function createMetrics(options: { enabled?: boolean } = {}): AppMetrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, logger: quietLogger });
  return new AppMetrics(metrics, options.enabled ?? inLambda());
}
