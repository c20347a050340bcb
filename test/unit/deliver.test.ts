import { describe, expect, it } from 'vitest';
import { askPersonOrDesk, circulationStaff, sendPatronLink } from '../../functions/app/ask-person.ts';
import { checkApprovals } from '../../functions/app/court-disclosure.ts';
import { deliverToPersonOrDesk, noticeToPersonOrOfficer } from '../../functions/app/deliver.ts';
import type { IssueTokenInput } from '../../functions/adapters/dynamodb/tokens.ts';
import type { Email } from '../../functions/domain/email.ts';
import { IntegrityError } from '../../functions/domain/errors.ts';
import { defaultPolicy } from '../../functions/domain/policy.ts';
import type { StaffDecision } from '../../functions/domain/request.ts';
import type { Deps } from '../../functions/lib/deps.ts';

/**
 * The delivery and asking steps every workflow shares (app/deliver.ts, app/ask-person.ts), with
 * in-memory stand-ins for the token store, the mailer and the staff list: which address gets
 * what, and what the token names.
 */
const REQUEST_ID = '0b9c4b5e-3f1d-4c1e-9a55-2f7d8e6a1c01';
const LIBRARY = { name: 'Greenwich Library', timezone: 'America/New_York' };
const CIRCULATION = ['circulation@library.example', 'owen.gallagher@library.example'];
const OFFICERS = ['privacy@library.example'];

function fakeDeps(staff: { circulation?: string[]; 'privacy-officer'?: string[] } = {}) {
  const issued: IssueTokenInput[] = [];
  const sent: Email[] = [];
  const handOverMarked: string[] = [];
  const deps = {
    tokens: {
      issue: async (input: IssueTokenInput) => {
        issued.push(input);
        return {
          secret: `secret-${issued.length}`,
          token: { tokenHash: `hash-${issued.length}`, expiresAt: '2026-12-12T17:00:00.000Z' },
        };
      },
      // No link of the step was emailed (nor answered) before: each step issues and sends its own.
      repointEmailed: async () => undefined,
      repointAnswered: async () => undefined,
      markEmailed: async () => undefined,
    } as unknown as Deps['tokens'],
    // Nothing is handed to a step here: no link was answered before its step asked.
    workflow: {} as Deps['workflow'],
    mailer: {
      send: async (email: Email) => {
        sent.push(email);
        return { messageId: String(sent.length) };
      },
    },
    records: {
      library: async () => LIBRARY,
      staffWithRole: async (role: keyof typeof staff) =>
        (staff[role] ?? []).map((email) => ({ email, name: email, roles: [role] })),
    } as unknown as Deps['records'],
    // The sent-email keys (sendOnce), in memory.
    sentEmails: ((keys = new Set<string>()) =>
      ({
        wasSent: async (requestId: string, purpose: string, to: string[]) => keys.has(`${requestId} ${purpose} ${to}`),
        claim: async (requestId: string, purpose: string, to: string[]) =>
          keys.has(`${requestId} ${purpose} ${to}`) ? { state: 'sent' } : { state: 'claimed', claimId: 'c' },
        record: async (requestId: string, purpose: string, to: string[]) => {
          keys.add(`${requestId} ${purpose} ${to}`);
        },
        release: async () => undefined,
      }) as unknown as Deps['sentEmails'])(),
    // R1: a desk delivery marks the request as waiting for its hand-over; the marks, in memory.
    requests: {
      update: async (requestId: string) => {
        handOverMarked.push(requestId);
      },
    } as unknown as Deps['requests'],
    policy: defaultPolicy,
    baseUrl: 'https://desk.example',
  };
  return { deps, issued, sent, handOverMarked };
}

const file = {
  requestId: REQUEST_ID,
  step: 'deliver-report',
  fileKey: `reports/${REQUEST_ID}/abc.html`,
  fileName: 'library-records-0b9c4b5e.html',
  contentType: 'text/html; charset=utf-8',
};
const toPerson = (l: { library: string; link: string; expiresAt: string }) => ({
  subject: `to the person: ${l.library}`,
  text: `${l.link} until ${l.expiresAt}`,
  html: '',
});
const toDesk = (l: { link: string; requestId: string }) => ({
  subject: `to the desk: ${l.requestId}`,
  text: l.link,
  html: '',
});

describe('deliverToPersonOrDesk', () => {
  it('R7 R8a: the link goes to the email on the record, on a token bound to the patron, never to the address', async () => {
    const { deps, issued, sent } = fakeDeps({ circulation: CIRCULATION });
    const person = { id: 'P1001', email: 'ada@example.org' };
    const channel = await deliverToPersonOrDesk(deps, {
      library: LIBRARY,
      person,
      file,
      what: 'report',
      toPerson,
      toDesk,
    });
    expect(channel).toBe('email');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.to).toEqual(['ada@example.org']);
    expect(sent[0]?.subject).toBe('to the person: Greenwich Library');
    expect(sent[0]?.text).toContain('https://desk.example/download/secret-1');
    expect(issued[0]).toMatchObject({ purpose: 'download', recipient: { kind: 'patron', id: 'P1001' }, ...file });
    // R5: the token names the patron by id only.
    expect(JSON.stringify(issued)).not.toContain('ada@example.org');
  });

  it('R7 R4 R1: a person with no email on file gets the file at the desk: each circulation member gets their own link', async () => {
    const { deps, issued, sent, handOverMarked } = fakeDeps({ circulation: CIRCULATION });
    const channel = await deliverToPersonOrDesk(deps, {
      library: LIBRARY,
      person: { id: 'P1002' },
      file,
      what: 'report',
      toPerson,
      toDesk,
    });
    expect(channel).toBe('in-person');
    // R1: one email and one token per person, never one shared link.
    expect(sent.map((m) => m.to)).toEqual(CIRCULATION.map((c) => [c]));
    expect(sent[0]?.subject).toBe(`to the desk: ${REQUEST_ID}`);
    expect(issued.map((t) => t.recipient)).toEqual(
      CIRCULATION.map((id) => ({ kind: 'staff', id, role: 'circulation' })),
    );
    expect(sent[0]?.text).toBe('https://desk.example/download/secret-1');
    expect(sent[1]?.text).toBe('https://desk.example/download/secret-2');
    expect(handOverMarked).toEqual([REQUEST_ID]);
  });

  it('R5: nobody to take the file is an integrity error that names the file, not the person', async () => {
    const { deps, issued, sent } = fakeDeps();
    const delivery = deliverToPersonOrDesk(deps, {
      library: LIBRARY,
      person: { id: 'P1002' },
      file,
      what: 'export',
      toPerson,
      toDesk,
    });
    await expect(delivery).rejects.toThrow(new IntegrityError('nobody to deliver the export to'));
    expect(issued).toEqual([]);
    expect(sent).toEqual([]);
  });
});

describe('noticeToPersonOrOfficer', () => {
  const notice = {
    once: { requestId: REQUEST_ID, purpose: 'patron-notified' },
    toPerson: () => ({ subject: 'told', text: '', html: '' }),
    toOfficers: () => ({ subject: 'tell them', text: '', html: '' }),
  };

  it('R14: the patron is told at the email on file', async () => {
    const { deps, sent } = fakeDeps({ 'privacy-officer': OFFICERS });
    expect(await noticeToPersonOrOfficer(deps, { email: 'ada@example.org', ...notice })).toBe('email');
    expect(sent).toEqual([{ to: ['ada@example.org'], subject: 'told', text: '', html: '' }]);
  });

  it('R14: a patron with no email is told through the privacy officer; with no officer, an integrity error', async () => {
    const { deps, sent } = fakeDeps({ 'privacy-officer': OFFICERS });
    expect(await noticeToPersonOrOfficer(deps, { email: undefined, ...notice })).toBe('staff-asked');
    expect(sent.map((m) => [m.to, m.subject])).toEqual([[OFFICERS, 'tell them']]);
    await expect(noticeToPersonOrOfficer(fakeDeps().deps, { email: undefined, ...notice })).rejects.toThrow(
      IntegrityError,
    );
  });
});

describe('askPersonOrDesk', () => {
  const ask = {
    requestId: REQUEST_ID,
    token: { step: 'verify', ttlSeconds: 3600, maxAttempts: 5, taskToken: 'task-token' },
    byEmail: { purpose: 'verify-identity' as const, decisions: ['confirm'], email: toPerson },
    atDesk: {
      purpose: 'verify-in-person' as const,
      decisions: ['done'],
      why: 'verify in person',
      email: (t: { link: string }) => ({ subject: 'desk task', text: t.link, html: '' }),
    },
  };

  it('R7: a person with an email on file gets their own link, with the email channel purpose', async () => {
    const { deps, issued, sent } = fakeDeps({ circulation: CIRCULATION });
    expect(await askPersonOrDesk(deps, { ...ask, person: { id: 'P1001', email: 'ada@example.org' } })).toBe('email');
    expect(issued).toEqual([
      {
        ...ask.token,
        purpose: 'verify-identity',
        decisions: ['confirm'],
        requestId: REQUEST_ID,
        recipient: { kind: 'patron', id: 'P1001' },
      },
    ]);
    expect(sent.map((m) => m.to)).toEqual([['ada@example.org']]);
    expect(sent[0]?.text).toContain('https://desk.example/act/secret-1');
  });

  it('R4: with no email to use, each circulation staff member gets their own desk task', async () => {
    const { deps, issued, sent } = fakeDeps({ circulation: CIRCULATION });
    expect(await askPersonOrDesk(deps, { ...ask, person: { id: 'P1002' } })).toBe('in-person');
    expect(issued.map((t) => [t.purpose, t.decisions, t.recipient])).toEqual(
      CIRCULATION.map((email) => ['verify-in-person', ['done'], { kind: 'staff', id: email, role: 'circulation' }]),
    );
    expect(sent.map((m) => m.to)).toEqual(CIRCULATION.map((email) => [email]));
  });

  it('R4: no circulation staff is an integrity error saying what they were needed for', async () => {
    const { deps } = fakeDeps();
    await expect(askPersonOrDesk(deps, { ...ask, person: { id: 'P1002' } })).rejects.toThrow(
      new IntegrityError('no circulation staff to verify in person'),
    );
    await expect(circulationStaff(deps, 'call the new number')).rejects.toThrow(
      'no circulation staff to call the new number',
    );
  });

  it('R6: a patron link goes to the address the caller chose, on a token naming the patron', async () => {
    const { deps, issued, sent } = fakeDeps();
    await sendPatronLink(deps, {
      requestId: REQUEST_ID,
      patronId: 'P1001',
      to: 'new@example.org',
      token: { purpose: 'confirm-email', step: 'confirm-new-email', decisions: ['confirm', 'decline'], ttlSeconds: 60 },
      email: toPerson,
    });
    expect(sent.map((m) => m.to)).toEqual([['new@example.org']]);
    expect(issued[0]?.recipient).toEqual({ kind: 'patron', id: 'P1001' });
  });
});

describe('checkApprovals (court disclosure)', () => {
  const decision = (step: string, byStaffId: string, d: 'approve' | 'reject' = 'approve'): StaffDecision => ({
    step,
    decision: d,
    byStaffId,
    role: 'director',
    at: '2026-12-01T10:00:00.000Z',
  });
  const order = { uploadedBy: 'counsel@library.example' };
  const review = decision('court-order-review', 'privacy@library.example');
  const authorise = decision('court-order-authorise', 'director@library.example');

  it('R12: both steps approved by two different people, neither the uploader, release the disclosure', () => {
    expect(checkApprovals({ decisions: [review, authorise] }, order)).toEqual([review, authorise]);
  });

  it('R12: one approval, a rejection, the same person twice or the uploader approving stops the release', () => {
    expect(() => checkApprovals({ decisions: [review] }, order)).toThrow('R12: a disclosure needs both approvals');
    expect(() =>
      checkApprovals(
        { decisions: [review, authorise, decision('court-order-review', 'x@library.example', 'reject')] },
        order,
      ),
    ).toThrow('R12: a disclosure needs both approvals');
    expect(() =>
      checkApprovals({ decisions: [review, decision('court-order-authorise', 'PRIVACY@library.example')] }, order),
    ).toThrow('R12: the two approvals must be by different people');
    expect(() =>
      checkApprovals({ decisions: [review, decision('court-order-authorise', 'counsel@library.example')] }, order),
    ).toThrow('R12: the uploader cannot approve');
  });
});
