import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SCHEDULES, type FunctionName } from '../../workflows/index.ts';

/**
 * One EventBridge rule per SCHEDULES entry (the local runtime uses a timer instead). Deadlines are
 * data swept on a schedule, not long Wait states (ARCHITECTURE.md, "Sharp edges").
 */
export class Schedules extends Construct {
  readonly rules: { fn: FunctionName; rule: events.Rule }[];

  constructor(scope: Construct, id: string, props: { functions: Record<FunctionName, lambda.IFunction> }) {
    super(scope, id);
    this.rules = SCHEDULES.map(({ fn, everyMinutes }) => {
      const every = Duration.minutes(everyMinutes);
      const rule = new events.Rule(this, fn, {
        description: `Privacy Desk: run ${fn} every ${everyMinutes} min`,
        schedule: events.Schedule.rate(every),
      });
      // A missed run is simply redone by the next one; stale events are dropped, not queued up.
      rule.addTarget(new targets.LambdaFunction(props.functions[fn], { retryAttempts: 1, maxEventAge: every }));
      return { fn, rule };
    });
  }
}
