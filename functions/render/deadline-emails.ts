import { html } from '../lib/html.ts';
import { wrap, type Message } from './email-frame.ts';

/**
 * R15: the deadline emails to staff, in the style of render/emails.ts. They name the request, its
 * kind, status and due date, never the patron (R1): who it is about is shown on the staff request
 * page, where the read is audited. They carry no action link: the decision or task link the
 * person already has still works, and the staff queue lists the request.
 */

const STATUS_WORDS: Record<string, string> = {
  received: 'received, not yet started',
  'awaiting-approval': 'waiting for a staff decision',
  'in-progress': 'being fulfilled',
  'awaiting-staff': 'waiting for a staff task at the desk',
  waiting: "waiting on one of the library's systems",
};

const days = (n: number): string => (n === 1 ? '1 day' : `${n} days`);

interface Common {
  library: string;
  requestId: string;
  kind: string;
  status: string;
  dueAt: string;
  /** The staff queue page, when the deployment has one. */
  queueUrl?: string;
}

const where = (o: Common): string =>
  o.queueUrl ? `Open it in the staff queue: ${o.queueUrl}` : 'Open it in the staff queue.';

/** Before the due date, to whoever the request waits on. */
export function dueReminderEmail(o: Common & { daysLeft: number; role: string }): Message {
  const status = STATUS_WORDS[o.status] ?? o.status;
  const lead = `Privacy request ${o.requestId} (${o.kind}) is due in ${days(o.daysLeft)}, on ${o.dueAt}. It is ${status}, and it waits on the ${o.role} role.`;
  const after =
    'If the due date passes, the privacy officer is told. If more time is truly needed, the request may be extended once, with a reason the requester is given.';
  return {
    subject: `Due in ${days(o.daysLeft)}: privacy request ${o.requestId}`,
    text: `${lead}\n\n${where(o)}\n\n${after}`,
    html: wrap(
      o.library,
      html`<p>${lead}</p><p>${o.queueUrl ? html`Open it in the <a href="${o.queueUrl}">staff queue</a>.` : 'Open it in the staff queue.'}</p><p>${after}</p>`,
    ),
  };
}

/** After the due date, to the privacy officer. */
export function overdueEscalationEmail(o: Common & { daysOverdue: number; waitingOn?: string | undefined }): Message {
  const status = STATUS_WORDS[o.status] ?? o.status;
  const late = o.daysOverdue < 1 ? 'passed its due date' : `is ${days(o.daysOverdue)} past its due date`;
  const lead = `Privacy request ${o.requestId} (${o.kind}) ${late} (${o.dueAt}). It is ${status}${o.waitingOn ? `, waiting on the ${o.waitingOn} role` : ''}.`;
  const after =
    'The library must answer requests by their due date (R15). Please see that it is completed, or extend it once with a reason the requester is given.';
  return {
    subject: `Overdue: privacy request ${o.requestId}`,
    text: `${lead}\n\n${where(o)}\n\n${after}`,
    html: wrap(
      o.library,
      html`<p>${lead}</p><p>${o.queueUrl ? html`Open it in the <a href="${o.queueUrl}">staff queue</a>.` : 'Open it in the staff queue.'}</p><p>${after}</p>`,
    ),
  };
}
