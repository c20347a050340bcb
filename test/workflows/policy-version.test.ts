import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy, policySchema, type Policy } from '../../functions/domain/policy.ts';
import { approvalLinkIn, decideApproval } from '../support/approvals.ts';
import { postForm } from '../support/http.ts';
import {
  ADA,
  eventually,
  linkIn,
  OFFICER,
  startTestRuntime,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * R18: reports, consents and letters name the policy version they were made under, and a consent
 * records the version the person agreed to. The runtime gets a policy with a version of its own, and
 * every assertion reads it from that configuration, never from a copy of the words.
 */
const policy: Policy = policySchema.parse({ ...defaultPolicy, version: 'board-2026-11-revision-3' });
const YUKI = { cardNumber: '21234000011007', lastName: 'Tanaka', email: 'yuki.tanaka@example.com' };

/** An email's words: its text and its HTML without tags. */
const words = (e: { body: { text?: string | undefined; html?: string | undefined } }) =>
  `${e.body.text ?? ''}\n${(e.body.html ?? '').replace(/<[^>]*>/g, ' ')}`;

describe('the policy version (R18)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ policy });
  });
  afterAll(async () => rt.cleanup());

  it('R18: the configuration refuses a malformed version and defaults to the seed policy’s', () => {
    expect(policy.version).not.toBe(defaultPolicy.version);
    const { version: _none, ...withoutVersion } = defaultPolicy;
    expect(policySchema.parse(withoutVersion).version).toBe(defaultPolicy.version);
    for (const bad of ['', ' 2026', 'v1\n', 'a'.repeat(41), '<b>1</b>'])
      expect(policySchema.safeParse({ ...defaultPolicy, version: bad }).success, JSON.stringify(bad)).toBe(false);
  });

  it('R18: the access report names the policy version in force', async () => {
    const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const ready = await rt.mail.waitFor(ADA.email, /are ready/);
    await waitForStatus(rt, body.statusUrl, 'completed');
    const report = await (await fetch(linkIn(ready, 'download'))).text();
    expect(report).toContain(`version ${policy.version}`);
    expect(report).not.toContain(`version ${defaultPolicy.version}`);
  });

  it('R18 R14: the consent page names the version, and the stored consent records it', async () => {
    const who = { name: 'Jordan Policy', email: 'jordan.policy@lawfirm.example', organization: 'Blake & Partners' };
    const { body } = await submit(rt, {
      kind: 'third-party',
      requester: who,
      patron: { cardNumber: ADA.cardNumber, lastName: ADA.lastName },
      categories: ['library-records'],
      purpose: 'Tenancy reference for a landlord.',
    });
    // R14: the third party first confirms the address they typed.
    const confirm = await rt.mail.waitFor(who.email, /Please confirm your email address/);
    expect((await postForm(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);
    const ask = await eventually(
      async () =>
        (await rt.mail.to(ADA.email)).find((e) => e.subject.includes(who.name) && /Written permission/.test(e.subject)),
      15_000,
      'consent email',
    );
    const page = await (await fetch(linkIn(ask, 'act'))).text();
    expect(page).toContain(`version ${policy.version}`);
    expect((await postForm(linkIn(ask, 'act'), { decision: 'consent' })).status).toBe(200);
    const stored = await rt.deps.requests.getOf(body.requestId, 'third-party');
    expect(stored.consent).toMatchObject({ decision: 'consent', policyVersion: policy.version });
    const event = (await rt.deps.audit.list(body.requestId)).find((e) => e.type === 'consent-given');
    expect(event?.data).toMatchObject({ policyVersion: policy.version });
  });

  it('R18 R8: the deletion letter names the policy version it was written under', async () => {
    const { body } = await submit(rt, { kind: 'deletion', cardNumber: YUKI.cardNumber, lastName: YUKI.lastName });
    const verify = await rt.mail.waitFor(YUKI.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const approval = await eventually(
      async () =>
        (await rt.mail.to(OFFICER)).find(
          (e) => /Decision needed on a deletion plan/.test(e.subject) && e.body.text?.includes(body.requestId),
        ),
      15_000,
      'approval email',
    );
    expect((await decideApproval(rt, approvalLinkIn(approval), { decision: 'approve' })).status).toBe(200);
    const letter = await rt.mail.waitFor(YUKI.email, /deletion request .* is complete/);
    for (const text of [letter.body.text ?? '', words(letter)]) expect(text).toContain(`version ${policy.version}`);
  });
});
