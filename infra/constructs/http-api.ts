import { type RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_ROUTES, type FunctionName } from '../../workflows/index.ts';
import { acknowledge } from './nag.ts';

/** Steady rate and burst of the whole API: generous for a library, a ceiling for abuse. */
export const API_THROTTLE = { rateLimit: 25, burstLimit: 50 } as const;

/**
 * Access log fields. No path, query or source IP: paths carry action tokens (`/act/{token}`) and
 * request ids, and logs carry no personal data (R5); the route key names the template instead.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
};

export interface HttpApiProps {
  stage: string;
  functions: Record<FunctionName, lambda.IFunction>;
  logsKey: kms.IKey;
  removalPolicy: RemovalPolicy;
}

/** The HTTP API: every HTTP_ROUTES entry → its function, Lambda proxy, payload format 2.0. */
export class HttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    // The default stage is built by hand: HttpApi's own one takes no access log settings.
    this.api = new apigw.HttpApi(this, 'Api', { apiName: `privacy-desk-${props.stage}`, createDefaultStage: false });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.logsKey,
      removalPolicy: props.removalPolicy,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationFor = (fn: FunctionName) => {
      let integration = integrations.get(fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${fn}-integration`, props.functions[fn], {
          payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(fn, integration);
      }
      return integration;
    };
    for (const route of HTTP_ROUTES) {
      this.api.addRoutes({ path: route.path, methods: [apigw.HttpMethod[route.method]], integration: integrationFor(route.fn) });
    }

    acknowledge(
      this.api,
      'AwsSolutions-APIG4',
      'Public by design: patrons, guardians and third parties have no accounts. Submitting only starts verification through the contact already on file (R7); /act and /download are authorised by a single-use, expiring, purpose-bound token in the link (stored only as a hash), checked in the handler.',
    );
  }

  /** Base URL of the default stage. */
  get url(): string {
    return this.stage.url;
  }
}
