import { Stack, type StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';

/** Requests one client IP may make in WAF's 5-minute window, overall and for submissions. */
export const WAF_RATE_LIMITS = {
  /** Every request (pages, API, links): a library branch's shared public IP must stay well under this. */
  perIp: 1000,
  /** POST /api/*: submitting requests and court orders; a person submits a handful. */
  submissionsPerIp: 100,
} as const;

/**
 * AWS managed rule groups, in evaluation order. Deliberately not AWSManagedRulesAnonymousIpList:
 * patrons may use a VPN or Tor for privacy, and this is a privacy service. No SQL database, so
 * no SQLi set (its cost buys nothing here).
 */
export const WAF_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

export interface EdgeStackProps extends StackProps {
  stage: string;
}

/**
 * The WAF web ACL in front of CloudFront. AWS accepts a CLOUDFRONT-scope web ACL only in
 * us-east-1, so it is its own small stack there, whatever region the application runs in; the
 * application stack reads its ARN across regions (a weak reference: CloudFormation's
 * Fn::GetStackOutput, no custom resource). Deploy both with `cdk deploy --all`.
 *
 * Sampled requests are off: a sample holds the full URI (an action token) and the client IP (R5).
 */
export class EdgeStack extends Stack {
  readonly webAcl: wafv2.CfnWebACL;
  readonly webAclName: string;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    this.webAclName = `privacy-desk-${props.stage}`;
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      metricName,
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: false,
    });
    const tooMany = { block: { customResponse: { responseCode: 429 } } };

    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: 'rate-limit-per-ip',
        priority: 0,
        action: tooMany,
        statement: {
          rateBasedStatement: { limit: WAF_RATE_LIMITS.perIp, evaluationWindowSec: 300, aggregateKeyType: 'IP' },
        },
        visibilityConfig: visibility('rate-limit-per-ip'),
      },
      {
        name: 'rate-limit-submissions-per-ip',
        priority: 1,
        action: tooMany,
        statement: {
          rateBasedStatement: {
            limit: WAF_RATE_LIMITS.submissionsPerIp,
            evaluationWindowSec: 300,
            aggregateKeyType: 'IP',
            scopeDownStatement: {
              andStatement: {
                statements: [
                  {
                    byteMatchStatement: {
                      fieldToMatch: { method: {} },
                      positionalConstraint: 'EXACTLY',
                      searchString: 'POST',
                      textTransformations: [{ priority: 0, type: 'NONE' }],
                    },
                  },
                  {
                    byteMatchStatement: {
                      fieldToMatch: { uriPath: {} },
                      positionalConstraint: 'STARTS_WITH',
                      searchString: '/api/',
                      textTransformations: [{ priority: 0, type: 'NONE' }],
                    },
                  },
                ],
              },
            },
          },
        },
        visibilityConfig: visibility('rate-limit-submissions-per-ip'),
      },
      ...WAF_MANAGED_RULE_GROUPS.map((name, i) => ({
        name,
        priority: 10 + i,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
        visibilityConfig: visibility(name),
      })),
    ];

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: this.webAclName,
      description: `Privacy Desk ${props.stage} - rate limits and AWS managed rules in front of CloudFront`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(this.webAclName),
      rules,
    });
  }
}
