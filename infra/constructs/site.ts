import { pageCsp } from '../page-headers.ts';
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, type IConstruct } from 'constructs';
import { HTTP_ROUTES, type HttpRoute } from '../../workflows/index.ts';
import { ORIGIN_VERIFY_HEADER } from '../functions/origin-verify.ts';
import { WEB_DIR } from '../paths.ts';
import { acknowledge, nagResource } from './nag.ts';
import { logDataProtection } from './log-protection.ts';

/** Served next to the pages: how a staff page signs in (Cognito hosted UI, authorisation code + PKCE). */
export const PAGE_CONFIG_FILE = 'auth-config.json';

/** Viewer headers the handlers read; Authorization reaches the origin through the cache key (below). */
export const API_FORWARDED_HEADERS = ['content-type', 'accept', 'origin'] as const;

/**
 * CloudFront path patterns that go to the API: one per first path segment of HTTP_ROUTES
 * (`/api/*`, `/act/*`, `/download/*`), plus the exact path of a one-segment route (`/health`).
 */
export function apiPathPatterns(routes: readonly HttpRoute[] = HTTP_ROUTES): string[] {
  const patterns = new Set<string>();
  for (const { path } of routes) {
    const [first, ...rest] = path.replace(/^\//, '').split('/');
    patterns.add(rest.length === 0 ? `/${first}` : `/${first}/*`);
  }
  return [...patterns].sort();
}

/** Does a CloudFront path pattern (`*` any characters) match this route path (its `{params}` being any segment)? */
export const patternCovers = (pattern: string, routePath: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(
    routePath.replace(/\{[^}]+\}/g, 'x'),
  );

export interface SiteProps {
  stage: string;
  api: apigw.IHttpApi;
  /** The header value CloudFront adds for the API's origin check (a deploy-time secret reference). */
  originSecret: string;
  webBucket: s3.Bucket;
  webAclArn: string;
  key: kms.IKey;
  domainName?: string;
  certificateArn?: string;
  /** Origins the pages may talk to besides their own: staff sign-in, the court-order upload. */
  connectOrigins: string[];
  /** Deploy-time values the staff pages read from `/auth-config.json` (the sign-in client). */
  pageConfig: Record<string, string>;
}

/**
 * The public face: one CloudFront distribution, behind the WAF, for the pages (S3, Origin Access
 * Control) and the API (HTTP API origin for every HTTP_ROUTES prefix, nothing cached, every method,
 * the query string and the headers the handlers read). One origin for pages and API, so a form
 * posts to its own origin and the browser needs no CORS. The API refuses requests that did not come
 * through here (the origin secret header, checked by its authorizer).
 */
export class Site extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly deployment: s3deploy.BucketDeployment;
  /** `https://<domainName>` or `https://<id>.cloudfront.net` (a deploy-time value then). */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: SiteProps) {
    super(scope, id);
    const { region } = Stack.of(this);

    const apiOrigin = new origins.HttpOrigin(`${props.api.apiId}.execute-api.${region}.${Aws.URL_SUFFIX}`, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      customHeaders: { [ORIGIN_VERIFY_HEADER]: props.originSecret },
      readTimeout: Duration.seconds(30),
    });

    // Nothing is cached (TTL 0 by default, and every handler answers `cache-control: no-store`).
    // Authorization is in the key only because CloudFront forwards that header to an origin through
    // the cache policy alone; a policy with caching fully disabled may hold no headers.
    const apiCache = new cloudfront.CachePolicy(this, 'ApiNoCache', {
      comment: 'Privacy Desk API: not cached; Authorization and the query string reach the origin',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('authorization'),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const apiForward = new cloudfront.OriginRequestPolicy(this, 'ApiForward', {
      comment: 'Privacy Desk API: the headers the handlers read, the query string, no cookies',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(...API_FORWARDED_HEADERS),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    const hsts = { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true };
    // The handlers set their own security headers on API answers; this only adds what they lack.
    const apiHeaders = new cloudfront.ResponseHeadersPolicy(this, 'ApiHeaders', {
      comment: 'Privacy Desk API: HSTS and nosniff',
      securityHeadersBehavior: {
        strictTransportSecurity: { ...hsts, override: false },
        contentTypeOptions: { override: false },
      },
    });
    const pageHeaders = new cloudfront.ResponseHeadersPolicy(this, 'PageHeaders', {
      comment: 'Privacy Desk pages: CSP, HSTS, no framing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: pageCsp(props.connectOrigins), override: true },
        strictTransportSecurity: hsts,
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: apiOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: apiCache,
      originRequestPolicy: apiForward,
      responseHeadersPolicy: apiHeaders,
      compress: true,
    };

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Privacy Desk (${props.stage}): pages and API`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(props.webBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: pageHeaders,
        compress: true,
      },
      additionalBehaviors: Object.fromEntries(apiPathPatterns().map((pattern) => [pattern, apiBehavior])),
      webAclId: props.webAclArn,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      ...(props.domainName && props.certificateArn
        ? {
            domainNames: [props.domainName],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      // No standard logging: see the CFR3 acknowledgement below.
      enableLogging: false,
    });
    this.origin = props.domainName
      ? `https://${props.domainName}`
      : `https://${this.distribution.distributionDomainName}`;

    acknowledge(
      this.distribution,
      'AwsSolutions-CFR3',
      "CloudFront standard logs record each request's full URI and the client IP: /act/{token} and /download/{token} carry single-use action tokens (a log reader could act on a patron's or an approver's link) and R5 keeps personal data out of logs. API calls are logged field by field without path or IP by the API access log; CloudFront and WAF metrics feed the dashboard.",
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      "No geo restriction: patrons and their guardians may ask about their records from anywhere (a patron travelling, a student abroad), and the library's privacy policy gives the right regardless of location. Abuse is limited by the WAF's rate rules and managed rule groups instead.",
    );
    if (!props.domainName) {
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR4',
        "Without a custom domain the distribution uses CloudFront's default *.cloudfront.net certificate, whose security policy CloudFront fixes; browsers still negotiate TLS 1.2 or 1.3. Set domainName and certificateArn (README) and the distribution enforces TLSv1.2_2021.",
      );
    }

    // The pages, from web/: replaced whole on every deploy (prune), removed with the stack.
    const deployLogs = new logs.LogGroup(this, 'DeployLogs', {
      dataProtectionPolicy: logDataProtection(),
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const deployRole = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Privacy Desk: copies web/ into the web bucket and invalidates CloudFront (deploy time only)',
    });
    deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [deployLogs.logGroupArn],
      }),
    );
    this.deployment = new s3deploy.BucketDeployment(this, 'Pages', {
      // web/ as it is, plus the sign-in settings the counsel and staff pages need (known at deploy time).
      sources: [s3deploy.Source.asset(WEB_DIR), s3deploy.Source.jsonData(PAGE_CONFIG_FILE, props.pageConfig)],
      destinationBucket: props.webBucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: true,
      retainOnDelete: false,
      role: deployRole,
      logGroup: deployLogs,
      memoryLimit: 256,
    });
    this.acknowledgeDeployment(deployRole, props.webBucket);
  }

  /** aws-cdk-lib's BucketDeployment grants itself with its own helpers; each finding named. */
  private acknowledgeDeployment(role: iam.Role, bucket: s3.Bucket): void {
    const reason =
      'BucketDeployment (aws-cdk-lib) grants its deploy-time function read on the CDK asset bucket and read/write on the web bucket with the grant helpers, whose actions end in wildcards (s3:GetObject*, s3:List*, s3:DeleteObject*, s3:Abort*); it runs only during a deploy, on public pages, and touches no personal data.';
    for (const finding of [
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
    ]) {
      acknowledge(role, 'AwsSolutions-IAM5', reason, finding);
    }
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      'Writes the pages under every key of the web bucket (public content only).',
      nagResource(role, bucket.arnForObjects('*')),
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      'Reads the zipped web/ folder that the CDK CLI uploaded to the bootstrap asset bucket, under a content-hash key fixed at deploy time.',
      nagResource(
        role,
        `arn:${Stack.of(this).partition}:s3:::cdk-hnb659fds-assets-${Stack.of(this).account}-${Stack.of(this).region}/*`,
      ),
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      'cloudfront:CreateInvalidation and GetInvalidation support no resource-level permission narrower than the account; the function only invalidates this distribution after a deploy.',
      'Resource::*',
    );
    // The deploy function is a singleton at the stack root, outside this construct.
    for (const child of Stack.of(this).node.children) {
      if (child.node.id.startsWith('Custom::CDKBucketDeployment')) acknowledgeDeployFunction(child);
    }
  }
}

function acknowledgeDeployFunction(fn: IConstruct): void {
  acknowledge(
    fn,
    'AwsSolutions-L1',
    "BucketDeployment's handler is aws-cdk-lib's own Python function with the AWS CLI layer it is tested with; its runtime follows aws-cdk-lib upgrades, and it runs only during a deploy, on public pages.",
  );
}
