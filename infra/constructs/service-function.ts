import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { INFRA_FUNCTIONS_DIR, LOCK_FILE, REPO_ROOT } from '../paths.ts';
import { LAYER_MOUNT_DIR, layerImports, scanSdkImports, type LayerEsbuild, type SdkImports } from '../sdk-layer.ts';
import { acknowledge } from './nag.ts';
import { logDataProtection } from './log-protection.ts';

// Bundled output is ESM; a few bundled CommonJS dependencies still call require(), which ESM lacks.
const ESM_REQUIRE_SHIM =
  "import { createRequire as __pdCreateRequire } from 'node:module'; const require = __pdCreateRequire(import.meta.url);";

/**
 * How every function is bundled, in esbuild's own terms: the stack below, the SDK layer
 * (infra/sdk-layer.ts), scripts/bench-bundles.ts and test/infra build the same.
 */
export const LAMBDA_ESBUILD = {
  format: 'esm',
  target: 'node24',
  // ESM builds of the SDK tree-shake better.
  mainFields: ['module', 'main'],
  minify: true,
  banner: ESM_REQUIRE_SHIM,
  // In Lambda the credentials are always in the environment: the SDK's default chain is replaced
  // by its first step (infra/functions/env-credentials.ts), a third of a small function's SDK.
  // The SDK is built into the layer (constructs/sdk-layer.ts), so that is where this applies.
  alias: { '@aws-sdk/credential-provider-node': join(INFRA_FUNCTIONS_DIR, 'env-credentials.ts') },
} as const;

/** How the SDK layer is built: as the functions are, minified, with the credentials alias. */
export const SDK_LAYER_ESBUILD: LayerEsbuild = {
  target: LAMBDA_ESBUILD.target,
  mainFields: [...LAMBDA_ESBUILD.mainFields],
  banner: LAMBDA_ESBUILD.banner,
  alias: { ...LAMBDA_ESBUILD.alias },
};

let scanned: SdkImports | undefined;
/** The SDK modules and names the Lambda code imports (infra/sdk-layer.ts), read once per process. */
export const sdkImports = (): SdkImports => (scanned ??= scanSdkImports());

/**
 * A function bundle's `alias` and `external`: the SDK is not bundled but imported from the layer
 * mounted at `mount` (LAYER_MOUNT_DIR in Lambda; a temporary folder in test/infra and the benches).
 * Its versions are still the lock file's: the layer is built from node_modules at synth.
 */
export function functionEsbuild(mount: string = LAYER_MOUNT_DIR): {
  alias: Record<string, string>;
  external: string[];
} {
  const layer = layerImports(sdkImports(), mount);
  return { alias: { ...LAMBDA_ESBUILD.alias, ...layer.alias }, external: layer.external };
}

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
  /** The SDK layer (constructs/sdk-layer.ts): the bundle imports the SDK from it. */
  sdkLayer: lambda.ILayerVersion;
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

    const bundling = functionEsbuild();
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
      layers: [props.sdkLayer],
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
        // The SDK comes from the layer (functionEsbuild): bundleAwsSDK only stops CDK from leaving
        // `@aws-sdk/*` to the runtime's copy, which the aliases to the layer's files replace.
        bundleAwsSDK: true,
        externalModules: bundling.external,
        banner: LAMBDA_ESBUILD.banner,
        esbuildArgs: { '--alias': Object.entries(bundling.alias).map(([from, to]) => `${from}=${to}`) },
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
