import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_FORBIDDEN_ACTIONS, AUDIT_HEADS_RETENTION_DAYS } from '../../infra/constructs/storage.ts';
import { auditAccess, FUNCTION_ACCESS, FUNCTIONS, SCHEDULES } from '../../workflows/index.ts';
import {
  actionsOf,
  asList,
  identityStatements,
  logicalId,
  statementsOfRole,
  synthesize,
  SYNTH_TIMEOUT_MS,
  violationsOf,
  type Json,
  type Synthesized,
} from './synth.ts';

type Resource = { Properties: Record<string, Json>; DeletionPolicy?: string };
const json = (value: unknown): string => JSON.stringify(value) ?? '';

/** Whether an IAM action pattern (`dynamodb:*`, `dynamodb:Update*`, `*`) covers an action. */
const covers = (pattern: string, action: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

describe('R17: the audit trail nobody can quietly change (dev, not bundled)', () => {
  let s: Synthesized;
  const auditTableId = () => logicalId(s.stack.storage.audit);
  const auditKeyId = () => logicalId(s.stack.keys.auditKey);
  const headsBucketId = () => logicalId(s.stack.storage.auditHeads);
  const roleStatements = (name: (typeof FUNCTIONS)[number]) =>
    statementsOfRole(s.template, logicalId(s.stack.functions[name].role));

  beforeAll(() => {
    s = synthesize();
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => s?.cleanup());

  it('R17: no identity policy in the stack allows UpdateItem, DeleteItem or BatchWriteItem on the audit table', () => {
    const onAudit = identityStatements(s.stack, s.template)
      .map(({ statement }) => statement)
      .filter((st) => json(st.Resource).includes(`"${auditTableId()}"`) || asList(st.Resource).includes('*'));
    expect(onAudit.length).toBeGreaterThan(0);
    for (const st of onAudit) {
      for (const forbidden of AUDIT_FORBIDDEN_ACTIONS)
        expect(
          asList(st.Action as string | string[]).some((a) => covers(a, forbidden)),
          `${json(st.Action)} on ${json(st.Resource)}`,
        ).toBe(false);
    }
  });

  it.each(FUNCTIONS)('R17: %s may append (a conditional PutItem) or read the audit table, never change it', (name) => {
    const level = auditAccess(FUNCTION_ACCESS[name]);
    const onAudit = roleStatements(name).filter((st) => json(st.Resource).includes(`"${auditTableId()}"`));
    const actions = actionsOf(onAudit);
    expect([...actions].sort()).toEqual(
      (level === 'append'
        ? ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']
        : ['dynamodb:GetItem', 'dynamodb:Query']
      ).sort(),
    );
    // The audit key: GenerateMac to append, VerifyMac for the staff desk only, HMAC-SHA-256 only.
    const mac = roleStatements(name).filter((st) => json(st.Resource).includes(`"${auditKeyId()}"`));
    const macActions = [
      ...(level === 'append' ? ['kms:GenerateMac'] : []),
      ...(FUNCTION_ACCESS[name].auditVerify ? ['kms:VerifyMac'] : []),
    ];
    expect([...actionsOf(mac)].sort()).toEqual(macActions.sort());
    for (const st of mac) expect(st.Condition).toEqual({ StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } });
  });

  it('R17: the audit table denies UpdateItem, DeleteItem and BatchWriteItem to everyone, and keeps no expiry', () => {
    const table = (s.template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>)[auditTableId()]!;
    const policy = table.Properties.ResourcePolicy as { PolicyDocument: { Statement: Record<string, Json>[] } };
    const deny = policy.PolicyDocument.Statement.find((st) => st.Effect === 'Deny');
    expect(deny).toMatchObject({ Principal: { AWS: '*' }, Resource: '*' });
    expect(asList(deny!.Action as string[]).sort()).toEqual([...AUDIT_FORBIDDEN_ACTIONS].sort());
    expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
    expect(json(table.Properties.PointInTimeRecoverySpecification)).toContain('true');
  });

  it('R17: the audit key is an HMAC_256 key for GENERATE_VERIFY_MAC, apart from the erasure key', () => {
    const key = (s.template.findResources('AWS::KMS::Key') as Record<string, Resource>)[auditKeyId()]!;
    expect(key.Properties).toMatchObject({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    expect(auditKeyId()).not.toBe(logicalId(s.stack.keys.fingerprintKey));
  });

  it('R17: the heads bucket locks every copy (Object Lock, versioned, default retention), nobody is granted delete', () => {
    const bucket = (s.template.findResources('AWS::S3::Bucket') as Record<string, Resource>)[headsBucketId()]!;
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: AUDIT_HEADS_RETENTION_DAYS } },
    });
    const onHeads = identityStatements(s.stack, s.template)
      .map(({ statement }) => statement)
      .filter((st) => json(st.Resource).includes(`"${headsBucketId()}"`));
    expect(actionsOf(onHeads)).toEqual(new Set(['s3:PutObject']));
  });

  it('R17: copy-audit-heads runs daily and alone may add copies; it reads the audit table, changes nothing else', () => {
    expect(SCHEDULES).toContainEqual({ fn: 'copy-audit-heads', everyMinutes: 1440 });
    const writers = FUNCTIONS.filter((name) =>
      roleStatements(name).some((st) => json(st.Resource).includes(`"${headsBucketId()}"`)),
    );
    expect(writers).toEqual(['copy-audit-heads']);
    const actions = actionsOf(roleStatements('copy-audit-heads'));
    expect(actions.has('dynamodb:PutItem')).toBe(false);
    expect(actions.has('kms:GenerateMac')).toBe(false);
  });

  it('keeps cdk-nag clean', () => {
    expect(violationsOf(s)).toEqual([]);
  });
});
