import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpJwtAuthorizer,
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_ROUTES, type FunctionName, type HttpRoute } from '../../workflows/index.ts';
import { ORIGIN_VERIFY_HEADER } from '../functions/origin-verify.ts';
import { logDataProtection } from './log-protection.ts';

/** Steady rate and burst of the whole API: generous for a library, a ceiling for abuse. */
export const API_THROTTLE = { rateLimit: 25, burstLimit: 50 } as const;

/**
 * Tighter limits per route where one client could flood what a request sets off: a public POST
 * starts a workflow or answers a link (each sends email); a signed-in route reads patron details.
 * The stage's limit stays the ceiling for the whole API.
 */
export const ROUTE_THROTTLES = {
  publicPost: { rateLimit: 5, burstLimit: 10 },
  publicGet: { rateLimit: 15, burstLimit: 30 },
  signedIn: { rateLimit: 10, burstLimit: 20 },
} as const;

export const throttleOf = (route: HttpRoute): { rateLimit: number; burstLimit: number } =>
  route.groups?.length
    ? ROUTE_THROTTLES.signedIn
    : route.method === 'POST'
      ? ROUTE_THROTTLES.publicPost
      : ROUTE_THROTTLES.publicGet;

/** Routes that exist only in the local runtime (its token issuer, its upload form): never in AWS. */
export const LOCAL_ONLY_PREFIX = '/_local';

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
  authorizerError: '$context.authorizer.error',
  error: '$context.error.message',
};

export interface StaffTokenIssuer {
  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>` */
  issuer: string;
  /** The app client ids whose ID tokens are accepted (`aud`). */
  audience: string[];
}

export interface HttpApiProps {
  stage: string;
  functions: Record<FunctionName, lambda.IFunction>;
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  /** Signed-in routes (`groups`): the staff user pool's tokens. */
  staff: StaffTokenIssuer;
  /** Every other route: the function that checks the CloudFront origin header. */
  originVerifier: lambda.IFunction;
  /** CORS: only the site's own origin, and only when it is known at synth time (a custom domain). */
  siteOrigin?: string;
  /** HTTP_ROUTES unless a test says otherwise. */
  routes?: readonly HttpRoute[];
}

/**
 * The HTTP API: every HTTP_ROUTES entry → its function, Lambda proxy, payload format 2.0.
 * - A route with `groups` needs a staff token: a JWT authorizer checks signature, issuer, audience
 *   and expiry; the handler checks the group from the claims (functions/lib/auth.ts).
 * - Every other route is public by design, reached through CloudFront (WAF) only: a Lambda
 *   authorizer checks the header CloudFront adds with the origin secret, cached per value, so a
 *   request straight to the execute-api endpoint is refused before any handler runs. A request
 *   without the header is refused by API Gateway itself (401), without invoking anything.
 */
export class HttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly staffAuthorizer: HttpJwtAuthorizer;
  readonly originAuthorizer: HttpLambdaAuthorizer;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    const routes = props.routes ?? HTTP_ROUTES;
    const local = routes.filter((r) => r.path.startsWith(LOCAL_ONLY_PREFIX));
    if (local.length > 0)
      throw new Error(`${local.map((r) => r.path).join(', ')}: local-only routes must not be deployed`);

    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `privacy-desk-${props.stage}`,
      // The default stage is built by hand: HttpApi's own one takes no access log settings.
      createDefaultStage: false,
      ...(props.siteOrigin
        ? {
            corsPreflight: {
              allowOrigins: [props.siteOrigin],
              allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST],
              allowHeaders: ['content-type', 'accept', 'authorization'],
              allowCredentials: false,
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      dataProtectionPolicy: logDataProtection(),
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    this.staffAuthorizer = new HttpJwtAuthorizer('StaffToken', props.staff.issuer, {
      authorizerName: 'staff-token',
      jwtAudience: props.staff.audience,
      identitySource: ['$request.header.Authorization'],
    });
    this.originAuthorizer = new HttpLambdaAuthorizer('OriginVerify', props.originVerifier, {
      authorizerName: 'origin-verify',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [`$request.header.${ORIGIN_VERIFY_HEADER}`],
      // Every request through CloudFront carries the same value: one check an hour, not one per request.
      resultsCacheTtl: Duration.hours(1),
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
    const stage = this.stage.node.defaultChild as apigw.CfnStage;
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const route of routes) {
      const added = this.api.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: integrationFor(route.fn),
        authorizer: route.groups?.length ? this.staffAuthorizer : this.originAuthorizer,
      });
      const limit = throttleOf(route);
      // CloudFormation's own spelling: RouteSettings is a plain JSON map to CDK, not converted.
      routeSettings[`${route.method} ${route.path}`] = {
        ThrottlingRateLimit: limit.rateLimit,
        ThrottlingBurstLimit: limit.burstLimit,
      };
      // A stage's route settings name routes that must exist first.
      for (const r of added) this.stage.node.addDependency(r);
    }
    stage.routeSettings = routeSettings;
  }

  /** Base URL of the default stage. */
  get url(): string {
    return this.stage.url;
  }
}
