import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowNames } from './asl-helpers.ts';
import {
  ACKNOWLEDGED_RULES,
  acknowledgedFor,
  acknowledgementsIn,
  identityStatements,
  logicalId,
  synthesize,
  SYNTH_TIMEOUT_MS,
  violationsOf,
  wildcardFindings,
  type Json,
  type Synthesized,
} from './synth.ts';

const DOMAIN = 'privacy.library.org';
const CERTIFICATE = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

type Resource = { Properties: Record<string, Json>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

/**
 * `npm run synth -- -c stage=prod` as a library would deploy it: its own region (not us-east-1),
 * a custom domain, alarm email, an SES identity verified beforehand. Not bundled (the dev suite
 * checks bundles; the templates are otherwise the same).
 */
describe('PrivacyDesk app (prod, eu-west-1, custom domain, existing SES identity)', () => {
  let s: Synthesized;
  const resources = (type: string) => s.template.findResources(type) as Record<string, Resource>;

  beforeAll(() => {
    s = synthesize({
      stage: 'prod',
      account: '123456789012',
      region: 'eu-west-1',
      domainName: DOMAIN,
      certificateArn: CERTIFICATE,
      alarmEmail: 'it@library.org',
      mailFrom: 'privacy@library.org',
      mailIdentity: 'existing',
    });
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => s?.cleanup());

  it('names both stacks for the stage and keeps them free of unacknowledged cdk-nag findings', () => {
    expect(s.stack.stackName).toBe('PrivacyDesk-prod');
    expect(s.edge.stackName).toBe('PrivacyDesk-prod-edge');
    expect(violationsOf(s)).toEqual([]);
    for (const [, id] of [...acknowledgementsIn(s.stack), ...acknowledgementsIn(s.edge)])
      expect(ACKNOWLEDGED_RULES.has(id.replace(/\[.*$/, '')), id).toBe(true);
  });

  it('acknowledges every wildcard in an identity policy, finding by finding', () => {
    const missing = identityStatements(s.stack, s.template).flatMap(({ owner, statement }) =>
      wildcardFindings(statement)
        .filter((f) => !acknowledgedFor(owner).has(`AwsSolutions-IAM5[${f}]`))
        .map((f) => `${owner.node.path}: ${f}`),
    );
    expect(missing).toEqual([]);
  });

  it('runs in its own region; the web ACL is in us-east-1 and reaches CloudFront across regions', () => {
    expect(s.stack.region).toBe('eu-west-1');
    expect(s.edge.region).toBe('us-east-1');
    const [distribution] = Object.values(resources('AWS::CloudFront::Distribution'));
    expect((distribution!.Properties.DistributionConfig as Record<string, Json>).WebACLId).toEqual({
      'Fn::GetStackOutput': { StackName: 'PrivacyDesk-prod-edge', Region: 'us-east-1', OutputName: expect.any(String) },
    });
  });

  it('retains its data on deletion: tables (also deletion-protected), data buckets, the key, log groups, the user pool', () => {
    for (const table of Object.values(resources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    }
    const { files, documents, accessLogs } = s.stack.storage;
    for (const bucket of [files, documents, accessLogs])
      expect(resources('AWS::S3::Bucket')[logicalId(bucket)]!.DeletionPolicy).toBe('Retain');
    for (const type of [
      'AWS::KMS::Key',
      'AWS::Logs::LogGroup',
      'AWS::Cognito::UserPool',
      'AWS::StepFunctions::StateMachine',
    ]) {
      const kept = Object.entries(resources(type)).filter(([id]) => !id.startsWith('SiteDeployLogs'));
      expect(kept.length, type).toBeGreaterThan(0);
      for (const [id, resource] of kept) expect(resource.DeletionPolicy, `${type} ${id}`).toBe('Retain');
    }
    const [pool] = Object.values(resources('AWS::Cognito::UserPool'));
    expect(pool!.Properties.DeletionProtection).toBe('ACTIVE');
  });

  it('turns on termination protection for both stacks', () => {
    expect(s.stack.terminationProtection).toBe(true);
    expect(s.edge.terminationProtection).toBe(true);
  });

  it('serves the custom domain with its certificate and TLS 1.2 at least (no CFR4 acknowledgement needed)', () => {
    const [distribution] = Object.values(resources('AWS::CloudFront::Distribution'));
    const config = distribution!.Properties.DistributionConfig as Record<string, Json>;
    expect(config.Aliases).toEqual([DOMAIN]);
    expect(config.ViewerCertificate).toEqual({
      AcmCertificateArn: CERTIFICATE,
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    expect(acknowledgedFor(s.stack.site.distribution.node.defaultChild!).has('AwsSolutions-CFR4')).toBe(false);
  });

  it('allows CORS on the API for the site origin only, and links in emails point at it', () => {
    const [api] = Object.values(resources('AWS::ApiGatewayV2::Api'));
    expect(api!.Properties.CorsConfiguration).toMatchObject({
      AllowOrigins: [`https://${DOMAIN}`],
      AllowCredentials: false,
    });
    for (const fn of Object.values(s.stack.functions)) {
      const props = resources('AWS::Lambda::Function')[logicalId(fn.fn)]!.Properties;
      expect((props.Environment as { Variables: Record<string, Json> }).Variables.BASE_URL).toBe(`https://${DOMAIN}`);
    }
    const [client] = Object.values(resources('AWS::Cognito::UserPoolClient'));
    // R12: and the page where a staff approval is decided signed in.
    expect(client!.Properties.CallbackURLs).toEqual([
      `https://${DOMAIN}/counsel.html`,
      `https://${DOMAIN}/staff.html`,
      `https://${DOMAIN}/approval.html`,
    ]);
  });

  it('uses an SES identity verified beforehand: creates none, and sends only as it and through the configuration set', () => {
    expect(resources('AWS::SES::EmailIdentity')).toEqual({});
    const text = JSON.stringify(s.template.toJSON());
    expect(text).toContain(':ses:eu-west-1:123456789012:identity/privacy@library.org');
    expect(text).toContain(':ses:eu-west-1:123456789012:configuration-set/privacy-desk-prod');
  });

  it('emails alarms to the address given', () => {
    const subscriptions = Object.values(resources('AWS::SNS::Subscription')).map((r) => r.Properties);
    expect(subscriptions).toEqual([
      expect.objectContaining({
        Protocol: 'email',
        Endpoint: 'it@library.org',
        TopicArn: { Ref: logicalId(s.stack.monitoring.topic) },
      }),
    ]);
  });

  it('names state machines, the configuration set, the dashboard and alarms for the stage', () => {
    for (const workflow of workflowNames)
      expect(
        s.template.toJSON().Resources[logicalId(s.stack.workflows.byName[workflow].machine)].Properties
          .StateMachineName,
      ).toBe(`privacy-desk-prod-${workflow}`);
    for (const alarm of Object.values(resources('AWS::CloudWatch::Alarm')))
      expect(String(alarm.Properties.AlarmName)).toMatch(/^privacy-desk-prod-/);
  });
});
