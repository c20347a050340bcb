import type * as z from '../domain/zod.ts';
import { ConflictError, IllegalTransitionError } from '../domain/errors.ts';
import { isTerminal, type RequestRecord, requesterPatronIdOf, contactEmailOf } from '../domain/request.ts';
import { effectiveDue, type extensionSchema } from '../domain/staff-desk.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';
import { deadlineExtendedEmail } from '../render/staff-emails.ts';
import { requireAction } from './staff-permissions.ts';
import { readableRequest, staffActor } from './staff-read.ts';

export type Extension = z.infer<typeof extensionSchema>;

/** R15: the extension refused, once given or on a closed request; `title` and `detail` are what staff read. */
export class ExtensionRefusedError extends Error {
  override name = 'ExtensionRefusedError';
  constructor(
    readonly title: string,
    readonly detail: string,
  ) {
    super(title);
  }
}

type ExtendDeps = Pick<Deps, 'requests' | 'records' | 'people' | 'audit' | 'mailer' | 'clock'>;

/** Where the requester hears from us: the email on their own record, or the one they gave (third party). */
async function requesterEmail(deps: ExtendDeps, r: RequestRecord): Promise<string | undefined> {
  if (r.kind === 'third-party') return r.thirdParty?.email;
  if (r.kind === 'court-order') return r.submittedByStaff;
  const id = requesterPatronIdOf(r) ?? r.patronId;
  const person = id ? await deps.people.getPatron(id) : undefined;
  return person?.email ?? contactEmailOf(r);
}

async function extendOnce(deps: ExtendDeps, who: Principal, requestId: string, input: Extension) {
  const at = deps.clock().toISOString();
  try {
    return await deps.requests.update(requestId, (r) => {
      if (r.extension) throw new ConflictError('already extended');
      if (isTerminal(r.status) || r.matched === false) throw new IllegalTransitionError('closed');
      const newDueAt = new Date(Date.parse(r.dueAt) + input.days * 86_400_000).toISOString();
      return {
        ...r,
        dueAt: newDueAt,
        extension: {
          days: input.days,
          reason: input.reason,
          byStaffId: who.email,
          role: who.groups.join(' '),
          at,
          previousDueAt: r.dueAt,
          newDueAt,
        },
      };
    });
  } catch (e) {
    if (e instanceof ConflictError)
      throw new ExtensionRefusedError('Already extended', 'A request’s deadline can be extended only once.');
    if (e instanceof IllegalTransitionError)
      throw new ExtensionRefusedError('Cannot extend', 'Only an open request can have its deadline extended.');
    throw e;
  }
}

/** R15: the one extension of a request's due date, with its reason; the requester is told the new date. */
export async function extendDeadline(deps: ExtendDeps, who: Principal, requestId: string, input: Extension) {
  await readableRequest(deps, who, requestId);
  // R1, R12: the privacy officer's or the director's decision, never another role's; a refusal is audited.
  await requireAction(deps, who, 'extend-deadline', requestId);
  const extended = await extendOnce(deps, who, requestId, input);
  const extension = extended.extension as NonNullable<RequestRecord['extension']>;
  const newDue = effectiveDue(extended, deps.clock()).toISOString();
  const to = await requesterEmail(deps, extended);
  if (to) {
    const library = await deps.records.library();
    await deps.mailer.send({
      to: [to],
      ...deadlineExtendedEmail({
        library: library.name,
        requestId,
        kind: extended.kind,
        createdAt: extended.createdAt,
        newDueAt: newDue,
        reason: extension.reason,
        timezone: library.timezone,
      }),
    });
  }
  // The reason is written for the requester and may name people (a third party, a court case, a
  // family matter): it stays on the request, in the encrypted table, and in the email; the audit
  // trail keeps who, when and the dates, as it does for a rejection's reason.
  await deps.audit.append(requestId, {
    eventId: 'deadline-extended',
    type: 'deadline-extended',
    actor: staffActor(who),
    data: {
      days: extension.days,
      previousDueAt: extension.previousDueAt,
      newDueAt: extension.newDueAt,
      requesterNotified: to ? 'email' : 'no-email-on-file',
    },
  });
  return {
    requestId,
    days: extension.days,
    previousDueAt: extension.previousDueAt,
    dueAt: newDue,
    requesterNotified: Boolean(to),
  };
}
