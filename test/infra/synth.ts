import { CfnElement, Validations, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Template as TemplateOf } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS } from '../../workflows/index.ts';
import { buildApp, type BuiltApp } from '../../infra/build-app.ts';
import { HANDLERS_DIR, REPO_ROOT } from '../../infra/paths.ts';

/** Synth bundles every function with esbuild: allow for a slow, shared machine (252 s measured at load average 12 on 2 cores). */
export const SYNTH_TIMEOUT_MS = 600_000;

/** CDK's policy-validation report (cdk-nag 3 reports there, not as annotations). */
export interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath?: string }[] }[];
  }[];
}

export interface Synthesized extends BuiltApp {
  assembly: CloudAssembly;
  template: Template;
  edgeTemplate: Template;
  report: ValidationReport;
  /** Deletes the temporary cloud assembly (bundles included). */
  cleanup: () => void;
}

export interface SynthOptions {
  /**
   * Bundle every function with esbuild, as `npm run synth` does (slow: one esbuild run per
   * function). Off, CDK skips bundling and the templates are otherwise identical.
   */
  bundle?: boolean;
}

/** The app exactly as `npm run synth` builds it: cdk.json context plus `extra`, no AWS environment. */
export function synthesize(extra: Record<string, unknown> = {}, options: SynthOptions = {}): Synthesized {
  const missing = FUNCTIONS.map((fn) => join(HANDLERS_DIR, `${fn}.ts`)).filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`handler files missing, cannot bundle: ${missing.join(', ')}`);

  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const outdir = mkdtempSync(join(tmpdir(), 'privacy-desk-synth-'));
  const built = buildApp({
    context: {
      ...cdkJson.context,
      ...extra,
      // Report instead of throwing, so the test can list every violation.
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
    outdir,
    processEnv: {},
  });
  const assembly = built.app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, VALIDATION_REPORT_FILE), 'utf8')) as ValidationReport;
  const cleanup = () => rmSync(outdir, { recursive: true, force: true });
  return {
    ...built,
    assembly,
    template: TemplateOf.fromStack(built.stack),
    edgeTemplate: TemplateOf.fromStack(built.edge),
    report,
    cleanup,
  };
}

/** Every violation in the report, as readable lines (empty when the app is clean). */
export const violationsOf = (s: Synthesized): string[] =>
  s.report.pluginReports.flatMap((r) =>
    r.violations.map(
      (v) =>
        `${r.pluginName} ${v.severity} ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`,
    ),
  );

/** Every acknowledgement recorded in a construct tree: [construct, rule id, reason]. */
export function acknowledgementsIn(root: IConstruct): [IConstruct, string, string][] {
  return root.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(
            ([id, reason]) => [c, id.replace(/^annotation::/i, ''), reason] as [IConstruct, string, string],
          ),
        ),
    );
}

/** The acknowledgements that apply to a construct: its own and its ancestors' (cdk-nag's rule). */
export function acknowledgedFor(construct: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (let c: IConstruct | undefined = construct; c; c = c.node.scope) {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(m.data as Record<string, string>))
        found.set(id.replace(/^annotation::/i, ''), reason);
    }
  }
  return found;
}

/** Logical id of a construct's CloudFormation resource. */
export const logicalId = (construct: IConstruct): string => {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return element.stack.getLogicalId(element);
};

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: Json;
  Principal?: Json;
  Condition?: Json;
}

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every IAM statement attached to a role: its inline policies and the AWS::IAM::Policy resources naming it. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const role = template.findResources('AWS::IAM::Role')[roleLogicalId] as {
    Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] };
  };
  const inline = (role.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .map((r) => r.Properties as { Roles: Json[]; PolicyDocument: { Statement: Statement[] } })
    .filter((p) => p.Roles.some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((p) => p.PolicyDocument.Statement);
  return [...inline, ...attached];
}

export const actionsOf = (statements: Statement[]): Set<string> => new Set(statements.flatMap((s) => asList(s.Action)));

/** A CloudFormation value as cdk-nag names it in a finding (`<Logical.Arn>`, `<AWS::Region>`). */
import { flatten } from '../../infra/constructs/nag.ts';
export { flatten as flattenCfn };

/** Actions AWS only accepts on Resource "*"; nothing else may use it. */
export const STAR_ONLY_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'cloudfront:CreateInvalidation',
  'cloudfront:GetInvalidation',
]);

/** Rules the app acknowledges, each with a reason in the code; any other finding must be fixed, not acknowledged. */
export const ACKNOWLEDGED_RULES = new Set([
  'AwsSolutions-IAM5',
  'AwsSolutions-CFR1',
  'AwsSolutions-CFR3',
  'AwsSolutions-CFR4',
  'AwsSolutions-SMG4',
  'AwsSolutions-L1',
]);

/** Every Allow statement of every identity policy (roles' inline policies and AWS::IAM::Policy), with the construct that owns it. */
export function identityStatements(stack: Stack, template: Template): { owner: IConstruct; statement: Statement }[] {
  const byLogicalId = new Map<string, IConstruct>();
  for (const c of stack.node.findAll()) if (CfnElement.isCfnElement(c)) byLogicalId.set(stack.getLogicalId(c), c);
  const out: { owner: IConstruct; statement: Statement }[] = [];
  for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    for (const statement of (policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument
      .Statement)
      out.push({ owner: byLogicalId.get(id)!, statement });
  }
  for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    for (const p of (role.Properties as { Policies?: { PolicyDocument: { Statement: Statement[] } }[] }).Policies ??
      []) {
      for (const statement of p.PolicyDocument.Statement) out.push({ owner: byLogicalId.get(id)!, statement });
    }
  }
  return out.filter((s) => s.statement.Effect === 'Allow');
}

/** The IAM5 findings a statement raises: each wildcard action and each wildcard resource, named as cdk-nag names them. */
export const wildcardFindings = (statement: Statement): string[] => [
  ...asList(statement.Action)
    .filter((a) => a.includes('*'))
    .map((a) => `Action::${a}`),
  ...asList(statement.Resource)
    .map(flatten)
    .filter((r) => r.includes('*'))
    .map((r) => `Resource::${r}`),
];
