import { html } from '../lib/html.ts';
import { REQUEST_WHAT } from './emails.ts';
import { wrap, type Message } from './email-frame.ts';
import { readableDate } from './readable-time.ts';

const OTHER_WHAT: Record<string, string> = {
  'third-party': "receive a library patron's records with their written permission",
  'court-order': 'receive records under a court order',
};

/**
 * R15: the requester is told that their request needs more time, the new date, and why. The
 * request is named by its id and kind only; the reason is what staff wrote for the requester.
 */
export function deadlineExtendedEmail(o: {
  library: string;
  requestId: string;
  kind: string;
  createdAt: string;
  newDueAt: string;
  reason: string;
  timezone: string;
}): Message {
  const what = REQUEST_WHAT[o.kind] ?? OTHER_WHAT[o.kind] ?? `make a ${o.kind} request`;
  const received = readableDate(o.createdAt, o.timezone);
  const due = readableDate(o.newDueAt, o.timezone);
  return {
    subject: `Your privacy request to ${o.library} needs more time`,
    text: `Your request to ${what}, received on ${received} (reference ${o.requestId}), needs more time than usual.\n\nThe new date by which we will answer: ${due}.\n\nThe reason: ${o.reason}\n\nThe deadline can be extended only once. If you have questions, please contact the library.\n\n${o.library}`,
    html: wrap(
      o.library,
      html`<p>Your request to ${what}, received on ${received} (reference <code>${o.requestId}</code>), needs more time than usual.</p><p>The new date by which we will answer: <strong>${due}</strong>.</p><p>The reason: ${o.reason}</p><p>The deadline can be extended only once. If you have questions, please contact the library.</p>`,
    ),
  };
}
