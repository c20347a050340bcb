import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag names each IAM5 finding after the resource string, with CloudFormation references
 * flattened (`<Logical.Arn>`, `<AWS::Region>`). Building the same string lets an acknowledgment
 * cover one exact finding, never the whole rule.
 */
export function nagResource(scope: IConstruct, arn: string): string {
  return `Resource::${flatten(Stack.of(scope).resolve(arn))}`;
}

function flatten(node: unknown): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [string, string];
      return `<${resource}.${attribute}>`;
    }
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
  }
  return JSON.stringify(node);
}

/** Acknowledge one cdk-nag finding (`AwsSolutions-IAM5[Resource::…]`) with the reason it is acceptable. */
export function acknowledge(scope: IConstruct, rule: string, reason: string, finding?: string): void {
  Validations.of(scope).acknowledge({ id: finding ? `${rule}[${finding}]` : rule, reason });
}
