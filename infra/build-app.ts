import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_KEYS, configSchema, DEFAULT_REGION, EDGE_REGION, RETIRED_KEYS, type InfraConfig } from './config.ts';
import { EdgeStack } from './edge-stack.ts';
import { PrivacyDeskStack } from './privacy-desk-stack.ts';
import { readDeployedSystems } from './systems.ts';

export interface BuildAppOptions {
  /** Extra context (the CLI passes cdk.json and `-c` values through the environment itself). */
  context?: Record<string, unknown>;
  /** Cloud assembly folder; the CLI sets it through CDK_OUTDIR, tests use a temporary one. */
  outdir?: string;
  /** Where CDK_DEFAULT_ACCOUNT/REGION come from; tests pass {} so the synth is hermetic. */
  processEnv?: Record<string, string | undefined>;
  /** Folder of `<function>.ts` handler entries; defaults to functions/handlers. */
  handlersDir?: string;
}

export interface BuiltApp {
  app: App;
  stack: PrivacyDeskStack;
  edge: EdgeStack;
  config: InfraConfig;
}

/** `PrivacyDesk-prod` and `PrivacyDesk-prod-edge`: every stack name carries the stage. */
export const stackNames = (stage: string) => ({ main: `PrivacyDesk-${stage}`, edge: `PrivacyDesk-${stage}-edge` });

/** The one way the app is built: app.ts (for the CLI) and the infra tests both call this. */
export function buildApp(options: BuildAppOptions = {}): BuiltApp {
  const app = new App({ context: options.context ?? {}, ...(options.outdir ? { outdir: options.outdir } : {}) });
  for (const [key, instead] of Object.entries(RETIRED_KEYS)) {
    if (app.node.tryGetContext(key) !== undefined) throw new Error(`context "${key}" is no longer read: ${instead}`);
  }
  const raw = Object.fromEntries(
    CONFIG_KEYS.map((key) => [key, app.node.tryGetContext(key)]).filter(([, v]) => v !== undefined),
  );
  const config = configSchema.parse(raw);
  const systems = config.systemsFile === undefined ? undefined : readDeployedSystems(config.systemsFile);
  const processEnv = options.processEnv ?? {};
  const prod = config.stage === 'prod';
  const names = stackNames(config.stage);

  // The account stays unresolved when unknown (an offline synth). The region must be known: the
  // application stack reads the web ACL's ARN from us-east-1 by region. `-c region=`, else the
  // AWS profile's region (the CLI passes it), else us-east-1.
  const account = config.account ?? processEnv.CDK_DEFAULT_ACCOUNT;
  const region = config.region ?? processEnv.CDK_DEFAULT_REGION ?? DEFAULT_REGION;
  const tags = { project: 'privacy-desk', stage: config.stage };

  const edge = new EdgeStack(app, names.edge, {
    stage: config.stage,
    env: { ...(account ? { account } : {}), region: EDGE_REGION },
    description: `Privacy Desk (${config.stage}): WAF web ACL for CloudFront (us-east-1 only)`,
    terminationProtection: prod,
    tags,
  });
  const stack = new PrivacyDeskStack(app, names.main, {
    config,
    webAclArn: edge.webAcl.attrArn,
    webAclName: edge.webAclName,
    env: { ...(account ? { account } : {}), region },
    description: `Privacy Desk (${config.stage}): patron privacy requests`,
    terminationProtection: prod,
    tags,
    ...(options.handlersDir ? { handlersDir: options.handlersDir } : {}),
    ...(systems ? { systems } : {}),
  });

  // cdk-nag 3 is a policy-validation plugin; acknowledgments are Validations.of(x).acknowledge.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, edge, config };
}
