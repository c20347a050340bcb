import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS } from '../../workflows/index.ts';
import { buildApp, type BuiltApp } from '../../infra/build-app.ts';
import { HANDLERS_DIR, REPO_ROOT } from '../../infra/paths.ts';

/** Synth bundles every function with esbuild: allow for a slow machine. */
export const SYNTH_TIMEOUT_MS = 240_000;

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
  report: ValidationReport;
  /** Deletes the temporary cloud assembly (bundles included). */
  cleanup: () => void;
}

/** The app exactly as `npm run synth` builds it: cdk.json context plus `extra`, no AWS environment. */
export function synthesize(extra: Record<string, unknown> = {}): Synthesized {
  const missing = FUNCTIONS.map((fn) => join(HANDLERS_DIR, `${fn}.ts`)).filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`handler files missing, cannot bundle: ${missing.join(', ')}`);

  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const outdir = mkdtempSync(join(tmpdir(), 'privacy-desk-synth-'));
  const built = buildApp({
    // Report instead of throwing, so the test can list every violation.
    context: { ...cdkJson.context, ...extra, '@aws-cdk/core:failSynthOnValidationErrors': false },
    outdir,
    processEnv: {},
  });
  const assembly = built.app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, VALIDATION_REPORT_FILE), 'utf8')) as ValidationReport;
  const cleanup = () => rmSync(outdir, { recursive: true, force: true });
  return { ...built, assembly, template: Template.fromStack(built.stack), report, cleanup };
}

/** Logical id of a construct's CloudFormation resource. */
export const logicalId = (construct: IConstruct): string => {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return element.stack.getLogicalId(element);
};

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
}

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every IAM statement attached to a role: its inline policies and the AWS::IAM::Policy resources naming it. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const role = template.findResources('AWS::IAM::Role')[roleLogicalId] as { Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } };
  const inline = (role.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .map((r) => r.Properties as { Roles: Json[]; PolicyDocument: { Statement: Statement[] } })
    .filter((p) => p.Roles.some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((p) => p.PolicyDocument.Statement);
  return [...inline, ...attached];
}

export const actionsOf = (statements: Statement[]): Set<string> => new Set(statements.flatMap((s) => asList(s.Action)));
