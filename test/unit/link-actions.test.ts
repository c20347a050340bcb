import { describe, expect, it } from 'vitest';
import { LINK_ACTIONS, linkActionFor } from '../../functions/app/actions/index.ts';
import { decideOnLink, openLink } from '../../functions/app/actions/follow-link.ts';
import { decideApproval, openApproval } from '../../functions/app/actions/signed-in-approval.ts';
import type { Principal } from '../../functions/lib/auth.ts';
import type { DecisionInput } from '../../functions/app/actions/decision.ts';
import { GoneError, NotFoundError } from '../../functions/domain/errors.ts';
import type { RequestRecord } from '../../functions/domain/request.ts';
import { TOKEN_PURPOSES, type ActionToken } from '../../functions/domain/tokens.ts';
import type { Deps } from '../../functions/lib/deps.ts';

const SECRET = 's'.repeat(43);
const NOW = new Date('2026-03-02T10:00:00.000Z');

const token = (over: Partial<ActionToken> = {}): ActionToken => ({
  tokenHash: 'a'.repeat(64),
  purpose: 'approve',
  requestId: 'r1',
  recipient: { kind: 'staff', id: 'director@library.example', role: 'director' },
  step: 'deletion-approval',
  decisions: ['approve', 'reject'],
  createdAt: '2026-03-01T10:00:00.000Z',
  expiresAt: '2026-03-08T10:00:00.000Z',
  maxAttempts: 5,
  attempts: 0,
  taskToken: 'task-1',
  ...over,
});

const request = (over: Partial<RequestRecord> = {}): RequestRecord => ({
  requestId: 'r1',
  kind: 'deletion',
  status: 'awaiting-approval',
  version: 1,
  createdAt: '2026-03-01T09:00:00.000Z',
  updatedAt: '2026-03-01T09:00:00.000Z',
  dueAt: '2026-03-31T09:00:00.000Z',
  statusKeyHash: 'h',
  ...over,
});

/** The ports follow-link.ts touches, recording what was done to them. */
function fakeDeps(t: ActionToken, r: RequestRecord, opts: { callback?: Error } = {}) {
  const seen = {
    failedAttempts: 0,
    consumed: [] as string[],
    events: [] as { type: string }[],
    resumed: [] as string[],
  };
  let stored = r;
  const deps = {
    clock: () => NOW,
    tokens: {
      findUsable: async (secret: string) => {
        if (secret !== SECRET) throw new NotFoundError('no such link');
        return t;
      },
      recordFailedAttempt: async () => {
        seen.failedAttempts++;
      },
      consume: async (used: ActionToken, decision: string) => {
        seen.consumed.push(decision);
        return { ...used, usedAt: NOW.toISOString(), decision };
      },
      revokeAll: async () => 0,
      markRecorded: async () => undefined,
      markHandedOver: async () => undefined,
      // Not re-pointed since it was read: its step's task is the one it names.
      findByHash: async () => t,
    },
    requests: {
      get: async () => stored,
      update: async (_id: string, fn: (x: RequestRecord) => RequestRecord | undefined) => {
        stored = fn(stored) ?? stored;
        return stored;
      },
    },
    audit: {
      append: async (_id: string, e: { type: string }) => {
        seen.events.push(e);
        return e;
      },
    },
    workflow: {
      sendTaskSuccess: async (_taskToken: string, output: { decision: string }) => {
        if (opts.callback) throw opts.callback;
        seen.resumed.push(output.decision);
      },
    },
  } as unknown as Deps;
  return { deps, seen };
}

const answer = (input: Partial<DecisionInput> & Pick<DecisionInput, 'decision'>) => () => input;

/** R12: the approval's recipient, signed in (the verified claims). */
const DIRECTOR: Principal = { sub: 'sub-director', email: 'director@library.example', groups: ['director'] };

describe('link actions', () => {
  it('every link purpose but downloads has an action with its thanks; a download link is not an action link', () => {
    for (const purpose of TOKEN_PURPOSES.filter((p) => p !== 'download')) {
      const action = linkActionFor({ purpose });
      expect(action, purpose).toBe(LINK_ACTIONS[purpose]);
      expect(Object.keys(action.thanks).length, purpose).toBeGreaterThan(0);
    }
    expect(() => linkActionFor({ purpose: 'download' })).toThrow(NotFoundError);
  });

  it('R7: an answer the link does not offer is a bad attempt, and uses nothing up', async () => {
    const { deps, seen } = fakeDeps(token({ decisions: ['approve', 'reject'] }), request());
    const page = await decideApproval(deps, DIRECTOR, SECRET, answer({ decision: 'consent' }));
    expect(page.status).toBe(400);
    expect(page.title).toBe('Please try again');
    expect(page.body.value).toContain('that choice is not offered here');
    expect(page.body.value).toContain(`<a href="/approval.html">Back</a>`);
    expect(seen).toMatchObject({ failedAttempts: 1, consumed: [], resumed: [] });
  });

  it('R7: a rejection needs a reason the requester reads; without one it is a bad attempt', async () => {
    const { deps, seen } = fakeDeps(token(), request());
    expect((await decideApproval(deps, DIRECTOR, SECRET, answer({ decision: 'reject' }))).status).toBe(400);
    expect(seen.failedAttempts).toBe(1);
    const done = await decideApproval(
      deps,
      DIRECTOR,
      SECRET,
      answer({ decision: 'reject', reason: 'Held for an open fine' }),
    );
    expect(done.status).toBe(200);
    expect(done.body.value).toContain('Rejected. The requester will be told, with your reason.');
    expect(seen.consumed).toEqual(['reject']);
    expect(seen.resumed).toEqual(['reject']);
    // The reason may name people: it is on the request for the requester, never on the audit trail.
    expect(JSON.stringify(seen.events)).not.toContain('open fine');
  });

  it('R4, R11: the desk says which kind of document it saw, from the list for that check', async () => {
    const inPerson = token({ purpose: 'verify-in-person', decisions: ['done'], step: 'verify' });
    const desk = fakeDeps(inPerson, request({ kind: 'access' }));
    const wrongList = answer({ decision: 'done', documentKind: 'birth-certificate' });
    expect((await decideOnLink(desk.deps, SECRET, wrongList)).status).toBe(400);
    expect((await decideOnLink(desk.deps, SECRET, answer({ decision: 'done', documentKind: 'photo-id' }))).status).toBe(
      200,
    );

    const link = token({ purpose: 'guardian-link', decisions: ['done'], step: 'guardian-link' });
    const guardian = fakeDeps(link, request({ kind: 'guardian-access' }));
    expect(
      (await decideOnLink(guardian.deps, SECRET, answer({ decision: 'done', documentKind: 'photo-id' }))).status,
    ).toBe(400);
    expect(guardian.seen.consumed).toEqual([]);
  });

  it('R11: a guardian’s link is recorded after its request was denied; other answers to a closed request are gone', async () => {
    const link = token({ purpose: 'guardian-link', decisions: ['done'], step: 'guardian-link' });
    const guardian = fakeDeps(link, request({ kind: 'guardian-access', status: 'denied' }));
    const page = await decideOnLink(
      guardian.deps,
      SECRET,
      answer({ decision: 'done', documentKind: 'birth-certificate' }),
    );
    expect(page.status).toBe(200);
    expect(guardian.seen.events.map((e) => e.type)).toEqual(['guardian-relationship-checked']);

    const verify = token({
      purpose: 'verify-identity',
      decisions: ['confirm'],
      recipient: { kind: 'patron', id: 'P1' },
    });
    const closed = fakeDeps(verify, request({ status: 'denied' }));
    await expect(decideOnLink(closed.deps, SECRET, answer({ decision: 'confirm' }))).rejects.toThrow(GoneError);
    expect(closed.seen.consumed).toEqual([]);
  });

  it('R12: an approver of an earlier step is refused: shown the refusal on opening, refused and recorded on deciding', async () => {
    const earlier = {
      step: 'court-order-review',
      decision: 'approve' as const,
      byStaffId: 'Director@Library.example',
      role: 'privacy-officer',
      at: '2026-03-01T12:00:00.000Z',
    };
    const { deps, seen } = fakeDeps(token({ step: 'court-order-authorise' }), request({ decisions: [earlier] }));
    const shown = await openApproval(deps, DIRECTOR, SECRET);
    expect(shown.status).toBe(403);
    expect(seen.events).toEqual([]);
    const posted = await decideApproval(deps, DIRECTOR, SECRET, answer({ decision: 'approve' }));
    expect(posted.status).toBe(403);
    expect(posted.title).toBe('You cannot decide on this request');
    expect(seen.events.map((e) => e.type)).toEqual(['approval-refused']);
    expect(seen.consumed).toEqual([]);
  });

  it('an answer whose workflow step no longer waits: the link is gone', async () => {
    const callback = Object.assign(new Error('timed out'), { name: 'TaskTimedOut' });
    const { deps } = fakeDeps(token(), request(), { callback });
    await expect(decideApproval(deps, DIRECTOR, SECRET, answer({ decision: 'approve' }))).rejects.toThrow(GoneError);
  });

  it('R12: an approval through /act/{token} shows only the way to sign in, and a decision posted there is refused (401), audited, and uses nothing up', async () => {
    const { deps, seen } = fakeDeps(token(), request());
    const shown = await openLink(deps, SECRET, undefined);
    expect('page' in shown && shown.page.status).toBe(200);
    expect('page' in shown && shown.page.body.value).toContain(`/approval.html#${SECRET}`);
    expect('page' in shown && shown.page.body.value).not.toContain('name="decision"');
    expect(seen.events).toEqual([]);
    const posted = await decideOnLink(deps, SECRET, answer({ decision: 'approve' }));
    expect(posted.status).toBe(401);
    expect(seen.events).toEqual([
      expect.objectContaining({
        type: 'approval-refused',
        data: { step: 'deletion-approval', reason: 'not-signed-in' },
      }),
    ]);
    expect(seen).toMatchObject({ failedAttempts: 0, consumed: [], resumed: [] });
  });

  it("R12: signed in as someone else, or without the link's role: refused and audited by ids; nothing used; the recipient then decides, with `sub` recorded", async () => {
    const { deps, seen } = fakeDeps(token(), request());
    const other: Principal = {
      sub: 'sub-other',
      email: 'privacy@library.example',
      groups: ['privacy-officer', 'director'],
    };
    await expect(openApproval(deps, other, SECRET)).rejects.toMatchObject({
      name: 'ApprovalRefusedError',
      reason: 'not-the-recipient',
    });
    await expect(decideApproval(deps, other, SECRET, answer({ decision: 'approve' }))).rejects.toMatchObject({
      reason: 'not-the-recipient',
    });
    const leftRole: Principal = { ...DIRECTOR, groups: ['circulation'] };
    await expect(decideApproval(deps, leftRole, SECRET, answer({ decision: 'approve' }))).rejects.toMatchObject({
      reason: 'not-in-role',
    });
    expect(seen.events).toEqual([
      expect.objectContaining({
        type: 'approval-refused',
        actor: expect.objectContaining({ sub: 'sub-other' }),
        data: { step: 'deletion-approval', reason: 'not-the-recipient' },
      }),
      expect.objectContaining({
        type: 'approval-refused',
        data: { step: 'deletion-approval', reason: 'not-the-recipient' },
      }),
      expect.objectContaining({ type: 'approval-refused', data: { step: 'deletion-approval', reason: 'not-in-role' } }),
    ]);
    expect(JSON.stringify(seen.events)).not.toContain('privacy@library.example');
    expect(seen).toMatchObject({ failedAttempts: 0, consumed: [], resumed: [] });
    expect((await decideApproval(deps, DIRECTOR, SECRET, answer({ decision: 'approve' }))).status).toBe(200);
    expect(seen.events.at(-1)).toMatchObject({
      type: 'approval-decided',
      actor: { kind: 'staff', id: 'director@library.example', role: 'director', sub: 'sub-director' },
    });
  });

  it('an unknown link is not found before its answer is read', async () => {
    const { deps, seen } = fakeDeps(token(), request());
    const read = () => {
      throw new Error('read too early');
    };
    await expect(decideOnLink(deps, 'x'.repeat(43), read)).rejects.toThrow(NotFoundError);
    expect(seen.failedAttempts).toBe(0);
  });
});
