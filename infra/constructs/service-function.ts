import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { INFRA_FUNCTIONS_DIR, LOCK_FILE, REPO_ROOT } from '../paths.ts';
import { acknowledge } from './nag.ts';
import { logDataProtection } from './log-protection.ts';

// Bundled output is ESM; a few bundled CommonJS dependencies still call require(), which ESM lacks.
const ESM_REQUIRE_SHIM =
  "import { createRequire as __pdCreateRequire } from 'node:module'; const require = __pdCreateRequire(import.meta.url);";

/**
 * How every function is bundled, in esbuild's own terms: the stack below and
 * scripts/bench-bundles.ts (which measures the bundles against their size limit) build the same.
 */
export const LAMBDA_ESBUILD = {
  format: 'esm',
  target: 'node24',
  // ESM builds of the SDK tree-shake better.
  mainFields: ['module', 'main'],
  minify: true,
  banner: ESM_REQUIRE_SHIM,
  // The SDK is bundled (nothing external): its version is the lock file's, the one the tests ran,
  // and one minified file loads about twice as fast at init as the runtime's copy read module by
  // module from node_modules (README, Bundle size and cold start). The price: DynamoDB and KMS alone,
  // which every function uses, are 225 KB, so no bundle meets the 250 KB goal. `--external-sdk` on
  // bench:bundles and bench:cold-start measures the other choice.
  external: [] as string[],
  // In Lambda the credentials are always in the environment: the SDK's default chain is replaced
  // by its first step (infra/functions/env-credentials.ts), a third of a small function's bundle.
  alias: { '@aws-sdk/credential-provider-node': join(INFRA_FUNCTIONS_DIR, 'env-credentials.ts') },
} as const;

/** A function's bundle above this many bytes gets a warning at synth; scripts/bench-bundles.ts measures them all. */
export const BUNDLE_LIMIT_BYTES = 250 * 1024;

/**
 * Read by Powertools itself (logger and metrics), not by functions/lib/env.ts. Events are never
 * logged (R5); metrics go to one namespace with the `service` dimension (functions/lib/observability.ts).
 */
export const POWERTOOLS_ENV = {
  POWERTOOLS_SERVICE_NAME: 'privacy-desk',
  POWERTOOLS_METRICS_NAMESPACE: 'PrivacyDesk',
  POWERTOOLS_LOGGER_LOG_EVENT: 'false',
} as const;

export interface ServiceFunctionProps {
  /** functions/handlers/<name>.ts, exporting `handler`. */
  entry: string;
  description: string;
  timeout: Duration;
  memorySize: number;
  environment: Record<string, string>;
  /** The data key: the log group is encrypted with it. */
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  /** Powertools settings in the environment (the application's functions); default true. */
  powertools?: boolean;
  /**
   * Build-time constants (esbuild `define`): functions/lib/deps.ts leaves out the AWS clients a
   * function has no access to, so each bundle holds only what its FUNCTION_ACCESS entry allows.
   */
  define?: Record<string, string>;
}

/**
 * One Lambda function with its own role (no AWS managed policies) and its own encrypted log group.
 * The role starts with nothing but writing its own logs and traces; grants.ts adds the rest.
 */
export class ServiceFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      dataProtectionPolicy: logDataProtection(),
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Privacy Desk ${id}: only what it uses (its FUNCTION_ACCESS entry, grants.ts)`,
    });
    // What AWSLambdaBasicExecutionRole would give, limited to this function's own log group.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...props.environment,
        ...(props.powertools === false ? {} : POWERTOOLS_ENV),
        NODE_OPTIONS: '--enable-source-maps',
      },
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: LAMBDA_ESBUILD.target,
        mainFields: [...LAMBDA_ESBUILD.mainFields],
        minify: LAMBDA_ESBUILD.minify,
        sourceMap: true,
        // Line numbers are enough; embedding the sources would double the bundle (budget: small bundles).
        sourcesContent: false,
        // Bundle the SDK v3 clients so their versions are the lock file's, not the runtime's (LAMBDA_ESBUILD.external).
        bundleAwsSDK: true,
        externalModules: [...LAMBDA_ESBUILD.external],
        banner: LAMBDA_ESBUILD.banner,
        esbuildArgs: { '--alias': Object.entries(LAMBDA_ESBUILD.alias).map(([from, to]) => `${from}=${to}`) },
        ...(props.define ? { define: props.define } : {}),
        // Said, not refused: a size is a measurement (npm run bench:bundles shows what fills each).
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_input: string, output: string) => [
            `size=$(wc -c < "${output}/index.mjs"); [ "$size" -le ${BUNDLE_LIMIT_BYTES} ] || ` +
              `echo "warning: the ${id} bundle is $size bytes, over ${BUNDLE_LIMIT_BYTES} (npm run bench:bundles)" >&2`,
          ],
        },
      },
    });

    acknowledge(
      this,
      'AwsSolutions-IAM5',
      'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions (Resource "*" is the only valid value). test/infra asserts "*" appears on no other action.',
      'Resource::*',
    );
  }
}
