import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KohaSimulator } from '../support/koha-simulator/index.ts';
import { approvalLinkIn, decideApproval } from '../support/approvals.ts';
import { postForm } from '../support/http.ts';
import {
  ADA,
  eventually,
  linkIn,
  OFFICERS,
  startTestRuntime,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';
import { ADA_IN_KOHA, KOHA_SPEC, type KohaAda, startKohaWithAda } from '../support/systems.ts';

/**
 * R6: replacing an existing email, as an attacker who knows a card number and a last name tried
 * it: the correction workflow (workflows/correction.asl.json) on aws-local-stepfunctions with the
 * real handlers, dynalite and the local SES.
 */

const ATTACKER = 'attacker@evil.example';

describe('email changes (R6)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('R6 the attack: a correction to an attacker’s address, one "Yes, this was me" click and the attacker’s confirmation do not change the email without staff approval; the confirmations show what changes; the old address is told separately and can undo it', async () => {
    const { body } = await submit(rt, {
      kind: 'correction',
      ...{ cardNumber: ADA.cardNumber, lastName: ADA.lastName },
      changes: { email: ATTACKER },
    });

    // The confirmation at the patron's own address shows exactly what will change, old → new.
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    const verifyPage = await (await fetch(linkIn(verify, 'act'))).text();
    expect(verifyPage).toContain('What will change');
    expect(verifyPage).toContain(ADA.email);
    expect(verifyPage).toContain(ATTACKER);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);

    // The new address sees the change too, with the address on file masked.
    const confirm = await rt.mail.waitFor(ATTACKER, /Confirm your new email address/);
    const confirmPage = await (await fetch(linkIn(confirm, 'act'))).text();
    expect(confirmPage).toContain('What will change');
    expect(confirmPage).toContain('a…@example.org');
    expect(confirmPage).not.toContain(ADA.email);
    expect((await postForm(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);

    // Staff approval is needed: until then nothing changes.
    const ask = await eventually(
      async () =>
        (await rt.mail.to(OFFICERS[0] as string)).find(
          (e) => /Decision needed on a correction/.test(e.subject) && e.body.text?.includes(body.requestId),
        ),
      15_000,
      'approval email',
    );
    await waitForStatus(rt, body.statusUrl, 'awaiting-approval');
    expect((await rt.deps.records.getPatron(ADA.id))?.email).toBe(ADA.email);
    expect((await rt.deps.audit.list(body.requestId)).map((e) => e.type)).not.toContain('correction-applied');

    expect((await decideApproval(rt, approvalLinkIn(ask), { decision: 'approve' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.deps.records.getPatron(ADA.id))?.email).toBe(ATTACKER);

    // Two separate notices: the new address is told it was updated; the old one gets its own, with an undo link.
    const applied = await rt.mail.waitFor(ATTACKER, /were updated/);
    expect(applied.destination.to).toEqual([ATTACKER]);
    const notice = await rt.mail.waitFor(ADA.email, /email address on your .* account was changed/);
    expect(notice.destination.to).toEqual([ADA.email]);
    expect(notice.body.text).not.toContain(ATTACKER); // masked: the old inbox learns the domain only
    expect(
      (await rt.mail.all()).some((e) => e.destination.to.includes(ADA.email) && e.destination.to.includes(ATTACKER)),
    ).toBe(false);

    // A GET shows the page and changes nothing; the POST undoes; the link works once.
    const undo = linkIn(notice, 'act');
    const page = await fetch(undo);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Yes, undo the change');
    expect((await rt.deps.records.getPatron(ADA.id))?.email).toBe(ATTACKER);
    expect((await postForm(undo, { decision: 'confirm' })).status).toBe(400); // not a choice this link offers
    expect((await rt.deps.records.getPatron(ADA.id))?.email).toBe(ATTACKER);
    expect((await postForm(undo, { decision: 'undo' })).status).toBe(200);
    expect((await rt.deps.records.getPatron(ADA.id))?.email).toBe(ADA.email);
    expect((await postForm(undo, { decision: 'undo' })).status).toBe(410);
    await rt.mail.waitFor(OFFICERS[0] as string, new RegExp(`An email change was undone: request ${body.requestId}`));
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.find((e) => e.type === 'email-change-undone')?.actor).toEqual({ kind: 'patron' });
    expect(JSON.stringify(events)).not.toContain(ATTACKER);
  });
});

describe.skipIf(!KOHA_SPEC)('email changes in every system (R6, R19)', () => {
  let rt: TestRuntime;
  let sim: KohaSimulator;
  let ada: KohaAda;
  beforeAll(async () => {
    ({ sim, ada, rt } = await startKohaWithAda());
  });
  afterAll(async () => rt.cleanup());

  it('R6 R19: the undo puts the old address back in Koha and in the records table, every system the change reached, not only the system of record', async () => {
    const { body } = await submit(rt, {
      kind: 'correction',
      ...{ cardNumber: ADA.cardNumber, lastName: ADA.lastName },
      changes: { email: ATTACKER },
    });
    const verify = await rt.mail.waitFor(ADA_IN_KOHA.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const confirm = await rt.mail.waitFor(ATTACKER, /Confirm your new email address/);
    expect((await postForm(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);
    const ask = await eventually(
      async () =>
        (await rt.mail.to(OFFICERS[0] as string)).find(
          (e) => /Decision needed on a correction/.test(e.subject) && e.body.text?.includes(body.requestId),
        ),
      15_000,
      'approval email',
    );
    expect((await decideApproval(rt, approvalLinkIn(ask), { decision: 'approve' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    // The change reached both systems that hold the person's contact details.
    expect(sim.data.patrons.get(ada.patronId)?.email).toBe(ATTACKER);
    expect((await rt.deps.records.getPatron(ADA.id))?.email).toBe(ATTACKER);

    const notice = await rt.mail.waitFor(ADA_IN_KOHA.email, /email address on your .* account was changed/);
    expect((await postForm(linkIn(notice, 'act'), { decision: 'undo' })).status).toBe(200);
    expect(sim.data.patrons.get(ada.patronId)?.email).toBe(ADA_IN_KOHA.email);
    // The records table too: it gets the address the system of record held, the one that proved itself by using the link.
    expect((await rt.deps.records.getPatron(ADA.id))?.email).toBe(ADA_IN_KOHA.email);
    expect(sim.violations).toEqual([]);
  });
});
