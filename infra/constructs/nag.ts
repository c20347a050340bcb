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

/** The same flattening as cdk-nag's flattenCfnReference (its rule names findings with it). */
export function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) return flatten(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (o['Fn::ImportValue'] !== undefined) return flatten(o['Fn::ImportValue']);
    if (o.Ref !== undefined) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** Acknowledge one cdk-nag finding (`AwsSolutions-IAM5[Resource::…]`) with the reason it is acceptable. */
export function acknowledge(scope: IConstruct, rule: string, reason: string, finding?: string): void {
  Validations.of(scope).acknowledge({ id: finding ? `${rule}[${finding}]` : rule, reason });
}
