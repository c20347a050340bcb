import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_KEYS, configSchema, type InfraConfig } from './config.ts';
import { PrivacyDeskStack } from './privacy-desk-stack.ts';

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
  config: InfraConfig;
}

/** The one way the app is built: app.ts (for the CLI) and the infra tests both call this. */
export function buildApp(options: BuildAppOptions = {}): BuiltApp {
  const app = new App({ context: options.context ?? {}, ...(options.outdir ? { outdir: options.outdir } : {}) });
  const raw = Object.fromEntries(CONFIG_KEYS.map((key) => [key, app.node.tryGetContext(key)]).filter(([, v]) => v !== undefined));
  const config = configSchema.parse(raw);
  const processEnv = options.processEnv ?? {};

  // Account and region only when known: a synth without credentials stays environment-agnostic.
  const account = config.account ?? processEnv.CDK_DEFAULT_ACCOUNT;
  const region = config.region ?? processEnv.CDK_DEFAULT_REGION;

  const stack = new PrivacyDeskStack(app, `PrivacyDesk-${config.stage}`, {
    config,
    env: { ...(account ? { account } : {}), ...(region ? { region } : {}) },
    description: `Privacy Desk (${config.stage}): patron privacy requests`,
    ...(options.handlersDir ? { handlersDir: options.handlersDir } : {}),
  });

  // cdk-nag 3 is a policy-validation plugin; acknowledgments are Validations.of(x).acknowledge.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
