import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_ACCESS, FUNCTIONS } from '../../workflows/index.ts';
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

type Resource = { Properties: Record<string, Json>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
const json = (value: unknown): string => JSON.stringify(value) ?? '';

/** The functions FUNCTION_ACCESS lets fingerprint an erased person (R8). */
const FINGERPRINTERS = FUNCTIONS.filter((name) => FUNCTION_ACCESS[name].fingerprint === true);

describe('R8: the HMAC key erasures are remembered under (dev, not bundled)', () => {
  let s: Synthesized;
  const fingerprintKeyId = () => logicalId(s.stack.keys.fingerprintKey);
  const fingerprintKeyArn = () => ({ 'Fn::GetAtt': [fingerprintKeyId(), 'Arn'] });

  beforeAll(() => {
    s = synthesize();
  }, SYNTH_TIMEOUT_MS);

  afterAll(() => s?.cleanup());

  it('R8: is an HMAC_256 key for GENERATE_VERIFY_MAC, apart from the data key', () => {
    const keys = s.template.findResources('AWS::KMS::Key') as Record<string, Resource>;
    const key = keys[fingerprintKeyId()];
    expect(key?.Properties).toMatchObject({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    // KMS rotates no HMAC key; a new key would forget every erasure.
    expect(key?.Properties.EnableKeyRotation).toBeUndefined();
    expect(fingerprintKeyId()).not.toBe(logicalId(s.stack.keys.key));
    // Beside the data key, only the audit chain's HMAC key (R17, test/infra/audit.test.ts).
    expect(Object.keys(keys)).toHaveLength(3);
  });

  it('R8: only the erasures (a deletion reaching a system, and the nightly purge of expired cards) may GenerateMac, with that key and HMAC-SHA-256 only', () => {
    expect([...FINGERPRINTERS].sort()).toEqual(['task-purge-expired', 'task-reach-system']);
    for (const name of FUNCTIONS) {
      const statements = roleStatementsOf(name);
      // Every function appends audit events with GenerateMac on the audit key (R17, test/infra/audit.test.ts),
      // which IAM may merge into one statement with this one: here, the statements naming the erasure key.
      const mac = statements.filter((st) => json(st.Resource).includes(`"${fingerprintKeyId()}"`));
      if (!FINGERPRINTERS.includes(name)) {
        expect(mac, name).toEqual([]);
        continue;
      }
      expect(mac).toHaveLength(1);
      expect(mac[0]).toMatchObject({
        Effect: 'Allow',
        Action: 'kms:GenerateMac',
        Condition: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } },
      });
      expect(asList(mac[0]!.Resource)).toContainEqual(fingerprintKeyArn());
      // Beside the erasure key, that statement names the audit key at most.
      const auditKeyArn = { 'Fn::GetAtt': [logicalId(s.stack.keys.auditKey), 'Arn'] };
      for (const resource of asList(mac[0]!.Resource))
        expect([fingerprintKeyArn(), auditKeyArn]).toContainEqual(resource);
    }
  });

  it('R8: no identity policy in the stack names the HMAC key but for GenerateMac, and none grants KMS on "*"', () => {
    const all = identityStatements(s.stack, s.template).map(({ statement }) => statement);
    const onKey = all.filter((st) => json(st.Resource).includes(`"${fingerprintKeyId()}"`));
    expect(onKey).toHaveLength(FINGERPRINTERS.length);
    expect(actionsOf(onKey)).toEqual(new Set(['kms:GenerateMac']));
    const kmsOnStar = all.filter(
      (st) => asList(st.Resource).includes('*') && asList(st.Action).some((a) => a.startsWith('kms:')),
    );
    expect(kmsOnStar).toEqual([]);
  });

  it('R8: the key id reaches only the functions that fingerprint (FINGERPRINT_KEY_ID)', () => {
    const functions = s.template.findResources('AWS::Lambda::Function') as Record<string, Resource>;
    for (const name of FUNCTIONS) {
      const vars = (
        functions[logicalId(s.stack.functions[name].fn)]!.Properties.Environment as {
          Variables: Record<string, Json>;
        }
      ).Variables;
      if (FINGERPRINTERS.includes(name)) expect(vars.FINGERPRINT_KEY_ID).toEqual(fingerprintKeyArn());
      else expect(vars.FINGERPRINT_KEY_ID, name).toBeUndefined();
    }
  });

  it('keeps cdk-nag clean', () => {
    expect(violationsOf(s)).toEqual([]);
  });

  function roleStatementsOf(name: (typeof FUNCTIONS)[number]) {
    return statementsOfRole(s.template, logicalId(s.stack.functions[name].role));
  }
});
