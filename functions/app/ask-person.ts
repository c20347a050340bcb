import type { Email } from '../domain/email.ts';
import { IntegrityError } from '../domain/errors.ts';
import { isTerminal } from '../domain/request.ts';
import type { StaffMember } from '../domain/dataset.ts';
import type { IssueTokenInput } from '../adapters/dynamodb/tokens.ts';
import type { Policy } from '../domain/policy.ts';
import type { TokenRecipient } from '../domain/tokens.ts';
import type { Deps } from '../lib/deps.ts';
import { readableMoment } from '../render/readable-time.ts';
import type { DeliveryChannel, Addressee } from './deliver.ts';
import {
  answerGivenMeanwhile,
  linkAlreadyEmailed,
  sendLinkEmail,
  sendStaffTasks,
  type TaskLink,
} from './staff-tasks.ts';

type Message = Omit<Email, 'to'>;
type StepToken = Omit<IssueTokenInput, 'requestId' | 'recipient'>;

/**
 * Circulation staff, who act at the desk for a person the system cannot reach by email (R4).
 * None on file is a setup fault the privacy officer must fix: `why` says what they were needed for.
 */
export async function circulationStaff(deps: Pick<Deps, 'records'>, why: string): Promise<StaffMember[]> {
  const staff = await deps.records.staffWithRole('circulation');
  if (staff.length === 0) throw new IntegrityError(`no circulation staff to ${why}`);
  return staff;
}

/**
 * R6: the token of a link that confirms a new email address or phone number, answered `confirm` or
 * `decline`, and as long-lived and as often tried as the policy lets an identity check be.
 */
export const contactConfirmationToken = (
  policy: Policy,
  o: { purpose: 'confirm-email' | 'confirm-phone'; step: string; taskToken: string },
): StepToken => ({
  purpose: o.purpose,
  step: o.step,
  decisions: ['confirm', 'decline'],
  ttlSeconds: Math.round(policy.verification.linkTtlHours * 3600),
  maxAttempts: policy.verification.maxAttempts,
  taskToken: o.taskToken,
});

/**
 * Emails a patron their own link to one workflow step, at the address the caller chose from the
 * record (R7); the token is bound to the patron's id, never their address (R5).
 */
export async function sendPatronLink(
  deps: Pick<Deps, 'tokens' | 'mailer' | 'records' | 'baseUrl' | 'workflow'>,
  o: {
    requestId: string;
    patronId: string;
    to: string;
    token: StepToken;
    email: (t: TaskLink) => Message;
    /** Someone who is not a patron (R14: a third party confirming the address they typed). */
    recipient?: TokenRecipient;
  },
): Promise<void> {
  if (await answerGivenMeanwhile(deps, o.requestId, o.token)) return;
  if (await linkAlreadyEmailed(deps, o.requestId, o.token, o.patronId)) return;
  const library = await deps.records.library();
  const { secret, token } = await deps.tokens.issue({
    ...o.token,
    requestId: o.requestId,
    recipient: o.recipient ?? { kind: 'patron', id: o.patronId },
  });
  const link = {
    library: library.name,
    link: `${deps.baseUrl}/act/${secret}`,
    expiresAt: readableMoment(token.expiresAt, library.timezone),
  };
  await sendLinkEmail(deps, { ...o.email(link), to: [o.to] }, token.tokenHash);
}

/**
 * The one "ask the person, or have the desk ask them" step (verification R7, consent R10 R14):
 * a link to the email on the person's record; with no email to use, every circulation staff
 * member gets their own task link and records the person's answer in person (R4). Each channel
 * names its own token purpose and decisions.
 */
export async function askPersonOrDesk(
  deps: Pick<Deps, 'tokens' | 'mailer' | 'records' | 'baseUrl' | 'workflow'>,
  o: {
    requestId: string;
    /** `email` is the address to use: absent when the person has none, or must not be asked by email. */
    person: Addressee;
    token: Omit<StepToken, 'purpose' | 'decisions'>;
    byEmail: Pick<StepToken, 'purpose' | 'decisions'> & { email: (t: TaskLink) => Message };
    atDesk: Pick<StepToken, 'purpose' | 'decisions'> & { email: (t: TaskLink) => Message; why: string };
  },
): Promise<DeliveryChannel> {
  const { requestId, person, byEmail, atDesk } = o;
  if (person.email) {
    const token = { ...o.token, purpose: byEmail.purpose, decisions: byEmail.decisions };
    await sendPatronLink(deps, { requestId, patronId: person.id, to: person.email, token, email: byEmail.email });
    return 'email';
  }
  await sendStaffTasks(deps, {
    requestId,
    role: 'circulation',
    staff: await circulationStaff(deps, atDesk.why),
    token: { ...o.token, purpose: atDesk.purpose, decisions: atDesk.decisions },
    email: atDesk.email,
  });
  return 'in-person';
}

/** R15: the request now waits on the requester (a confirmation of a new address): its clock pauses. */
export async function pauseClock(deps: Pick<Deps, 'requests' | 'clock'>, requestId: string): Promise<void> {
  const now = deps.clock().toISOString();
  await deps.requests.update(requestId, (r) =>
    r.waitingSince || isTerminal(r.status) ? undefined : { ...r, waitingSince: now },
  );
}
