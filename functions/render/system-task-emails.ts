import type { Category } from '../domain/categories.ts';
import { html, type SafeHtml } from '../lib/html.ts';
import { button, wrap, type Message } from './email-frame.ts';

/**
 * R19: a manual system's task: what staff read in the email (the system, the request and the
 * instruction, never the person, R1) and on the link's page (the person too, a read that is audited).
 */

export interface SystemTaskMail {
  library: string;
  link: string;
  requestId: string;
  kind: string;
  system: string;
  instruction: string;
  expiresAt: string;
  /** A reminder of a task still open. */
  reminder?: boolean;
  /** The role whose staff did not answer in time: this task is the privacy officer's escalation. */
  escalatedFrom?: string;
}

export function systemTaskEmail(o: SystemTaskMail): Message {
  const lead = o.escalatedFrom
    ? `Nobody in the ${o.escalatedFrom} role answered this task in time, so it comes to you. `
    : o.reminder
      ? 'This task is still open. '
      : '';
  const prefix = o.escalatedFrom ? 'Escalated: ' : o.reminder ? 'Reminder: ' : '';
  return {
    subject: `${prefix}Task in ${o.system} for request ${o.requestId}`,
    text: `${lead}Privacy request ${o.requestId} (${o.kind}) needs work in "${o.system}", which Privacy Desk cannot reach by itself.\n\nWhat to do: ${o.instruction}\n\nOpen the link to see who the request is about, then answer "done" or "could not" (with the reason):\n\n${o.link}\n\nThe link works once and until ${o.expiresAt}. Opening it changes nothing; only the buttons on the page answer.`,
    html: wrap(
      o.library,
      html`<p>${lead}Privacy request <code>${o.requestId}</code> (${o.kind}) needs work in <strong>${o.system}</strong>, which Privacy Desk cannot reach by itself.</p><p>What to do: ${o.instruction}</p><p>Open the link to see who the request is about, then answer "done" or "could not" (with the reason).</p>${button(o.link, 'Open the task')}<p>The link works once and until ${o.expiresAt}. Opening it changes nothing; only the buttons on the page answer.</p>`,
    ),
  };
}

/**
 * R19: an answer of "could not" goes to the privacy officer. The reason is staff's own words and
 * may name the person: it is on the staff desk's request page, not in an email.
 */
export function systemCouldNotEmail(o: { library: string; requestId: string; kind: string; system: string }): Message {
  return {
    subject: `Could not be done in ${o.system}: request ${o.requestId}`,
    text: `Staff answered "could not" to the task in "${o.system}" for privacy request ${o.requestId} (${o.kind}). The request goes on, and what the requester is told says that this system could not do it.\n\nThe reason they gave is on the request's page on the staff desk. Please decide whether the library must do more.`,
    html: wrap(
      o.library,
      html`<p>Staff answered "could not" to the task in <strong>${o.system}</strong> for privacy request <code>${o.requestId}</code> (${o.kind}). The request goes on, and what the requester is told says that this system could not do it.</p><p>The reason they gave is on the request's page on the staff desk. Please decide whether the library must do more.</p>`,
    ),
  };
}

/** The task's page: the instruction and the person it is about (shown only here, R1). */
export function systemTaskDetails(o: {
  requestId: string;
  kind: string;
  createdAt: string;
  dueAt: string;
  system: string;
  instruction: string;
  categories: readonly Category[];
  person?: { name: string; cardNumber: string };
}): SafeHtml {
  const who = o.person
    ? html`<p>The request is about <strong>${o.person.name}</strong>, library card <strong>${o.person.cardNumber}</strong>.</p>`
    : html`<p>The person this request is about is no longer on file: answer "could not" and say so.</p>`;
  return html`<p>Request <code>${o.requestId}</code> (${o.kind}), received ${o.createdAt.slice(0, 10)}, due ${o.dueAt.slice(0, 10)}, needs work in <strong>${o.system}</strong>.</p>
${who}
<p>What to do: ${o.instruction}</p>
<p>Records it covers there: ${o.categories.join(', ') || 'none'}.</p>
<p>Answer "done" once it is done, or "could not" with the reason (the privacy officer will read it).</p>`;
}
