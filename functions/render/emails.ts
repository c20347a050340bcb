import { html } from '../lib/html.ts';
import { button, DESK_LINK_TEXT, wrap, type Message, type StaffTaskMail } from './email-frame.ts';

/**
 * Every email the system sends. Links are absolute (`{BASE_URL}/act/{token}`); bodies say what is
 * asked and what happens if nothing is done. Staff emails name the request, not the patron: the
 * patron's details are shown only on the signed link's page, where the read is audited (R1).
 */
/** What each kind of request asks, in the patron's words. */
export const REQUEST_WHAT: Record<string, string> = {
  access: 'see the records the library holds about you',
  export: 'export a copy of your data',
  correction: 'correct your personal details',
  deletion: 'delete your data',
  'guardian-access': "see the library records of a child linked to your card, as the child's parent or guardian",
  'outreach-opt-out': 'stop the library contacting you for outreach, marketing and fundraising',
};

export function verificationEmail(o: { library: string; link: string; kind: string; expiresAt: string }): Message {
  const what = REQUEST_WHAT[o.kind] ?? `make a ${o.kind} request about your records`;
  return {
    subject: `Please confirm your privacy request to ${o.library}`,
    text: `Someone asked to ${what}, using your library card.\n\nIf it was you, confirm here: ${o.link}\n\nThe link works once and expires at ${o.expiresAt}. If it was not you, do nothing: the request will expire and nothing will be shared.\n\n${o.library}`,
    html: wrap(
      o.library,
      html`<p>Someone asked to ${what}, using your library card.</p><p>If it was you, please confirm:</p>${button(o.link, 'Review and confirm')}<p>The link works once and expires at ${o.expiresAt}. If it was not you, do nothing: the request will expire and nothing will be shared.</p>`,
    ),
  };
}

export function inPersonVerificationEmail(o: StaffTaskMail): Message {
  return {
    subject: `In-person verification needed: request ${o.requestId}`,
    text: `A patron with no email on file made a privacy request (${o.requestId}). When they come to the desk, open the link to see who they are, check their identity and record how you checked. Do not copy or keep their document.\n\n${o.link}\n\nThe link works once and expires at ${o.expiresAt}.`,
    html: wrap(
      o.library,
      html`<p>A patron with no email on file made a privacy request (<code>${o.requestId}</code>).</p><p>When they come to the desk, open the task to see who they are, check their identity and record how you checked. Do not copy or keep their document.</p>${button(o.link, 'Open the verification task')}<p>The link works once and expires at ${o.expiresAt}.</p>`,
    ),
  };
}

/**
 * R6: circulation staff are asked to call a patron's new phone number. The email names the request
 * only; the number and the patron are on the link's page, where the read is audited (R1, R5).
 */
export function confirmNewPhoneEmail(o: StaffTaskMail): Message {
  return {
    subject: `Call to confirm a new phone number: request ${o.requestId}`,
    text: `A patron asked to change the phone number on their library record (request ${o.requestId}). Open the link to see who they are and the new number, call it, and record whether they answered and confirmed that they asked for this change.\n\n${o.link}\n\nThe link works once and expires at ${o.expiresAt}. If nobody records an answer by then, the change is not made.`,
    html: wrap(
      o.library,
      html`<p>A patron asked to change the phone number on their library record (request <code>${o.requestId}</code>).</p><p>Open the task to see who they are and the new number, call it, and record whether they answered and confirmed that they asked for this change.</p>${button(o.link, 'Open the call task')}<p>The link works once and expires at ${o.expiresAt}. If nobody records an answer by then, the change is not made.</p>`,
    ),
  };
}

export function reportReadyEmail(o: { library: string; link: string; expiresAt: string }): Message {
  return {
    subject: `Your records at ${o.library} are ready`,
    text: `The report of the records ${o.library} holds about you is ready. It explains each kind of record, why it is kept, who sees it and for how long.\n\nDownload it here: ${o.link}\n\nThe link works until ${o.expiresAt}; then the file is deleted.`,
    html: wrap(
      o.library,
      html`<p>The report of the records ${o.library} holds about you is ready. It explains each kind of record, why it is kept, who sees it and for how long.</p>${button(o.link, 'Download your report')}<p>The link works until ${o.expiresAt}; then the file is deleted.</p>`,
    ),
  };
}

export function reportForDeskEmail(o: StaffTaskMail): Message {
  return {
    subject: `Print and hand over: records report for request ${o.requestId}`,
    text: `The patron of request ${o.requestId} has no email on file. Print the report and hand it to them in person, after checking their identity again.\n\n${o.link}\n\n${DESK_LINK_TEXT(o.expiresAt)}`,
    html: wrap(
      o.library,
      html`<p>The patron of request <code>${o.requestId}</code> has no email on file. Print the report and hand it to them in person, after checking their identity again.</p>${button(o.link, 'Download the report')}<p>${DESK_LINK_TEXT(o.expiresAt)}</p>`,
    ),
  };
}

export function failureAlertEmail(o: { library: string; requestId: string; error: string }): Message {
  return {
    subject: `A privacy request failed: ${o.requestId}`,
    text: `Request ${o.requestId} stopped after its retries (error: ${o.error}). It is marked failed. Please look at it in the staff queue; the requester has not been told anything yet.`,
    html: wrap(
      o.library,
      html`<p>Request <code>${o.requestId}</code> stopped after its retries (error: <code>${o.error}</code>). It is marked failed.</p><p>Please look at it in the staff queue; the requester has not been told anything yet.</p>`,
    ),
  };
}

const STEP_TITLES: Record<string, string> = {
  correction: 'a correction of personal details',
  'deletion-plan': 'a deletion plan',
  'guardian-access': "a guardian's request to see a child's records",
  'third-party': "a third party's request, with the patron's written permission",
  'court-order-review': 'a court order (review)',
  'court-order-authorise': 'a court order (authorisation to disclose)',
};
export const stepTitle = (step: string): string => STEP_TITLES[step] ?? step;

export function approvalRequestEmail(o: {
  library: string;
  link: string;
  requestId: string;
  step: string;
  expiresAt: string;
  reminder?: boolean;
}): Message {
  const title = stepTitle(o.step);
  return {
    subject: `${o.reminder ? 'Reminder: ' : ''}Decision needed on ${title} (request ${o.requestId})`,
    text: `${o.reminder ? 'This decision is still waiting. ' : ''}Request ${o.requestId} needs your decision on ${title}. Open the link and sign in as yourself to see the details and approve or reject: the link is yours alone.\n\n${o.link}\n\nThe link works once and until ${o.expiresAt}. Opening it changes nothing; only the buttons on the page decide.`,
    html: wrap(
      o.library,
      html`<p>${o.reminder ? 'This decision is still waiting. ' : ''}Request <code>${o.requestId}</code> needs your decision on ${title}. Open the link and sign in as yourself to see the details and decide: the link is yours alone.</p>${button(o.link, 'Sign in, review and decide')}<p>The link works once and until ${o.expiresAt}. Opening it changes nothing; only the buttons on the page decide.</p>`,
    ),
  };
}

export function approvalLapsedEmail(o: {
  library: string;
  requestId: string;
  step: string;
  round: number;
  final: boolean;
}): Message {
  const title = stepTitle(o.step);
  const next = o.final
    ? 'The request has been closed as expired; the requester must ask again.'
    : 'A fresh decision link has been sent to the deciding role.';
  return {
    subject: `A decision lapsed: request ${o.requestId}`,
    text: `Nobody decided on ${title} for request ${o.requestId} before its link expired (round ${o.round}). ${next}`,
    html: wrap(
      o.library,
      html`<p>Nobody decided on ${title} for request <code>${o.requestId}</code> before its link expired (round ${o.round}).</p><p>${next}</p>`,
    ),
  };
}

const DENIAL_TEXT: Record<string, string> = {
  rejected: 'The library reviewed your request and could not approve it.',
  'email-not-confirmed': 'The new email address was not confirmed, so nothing was changed.',
  // R6: there is no text message; the desk calls the new number and must speak to the patron.
  'phone-not-confirmed':
    'The library could not confirm the new phone number by calling it, so nothing was changed. If the number is right, please make a new request and answer when the library calls, or ask at the library desk.',
  'consent-declined': 'The request could not go ahead without the required consent.',
  'consent-not-given': 'The request could not go ahead without the required consent.',
  // R11, R4: the way forward, and that documents are looked at and handed back, never kept.
  'not-linked':
    "Our records do not show you as a parent or guardian on the child's library card, so the records cannot be shown to you. If you are the child's parent or guardian, please visit the library with your library card and a document that shows it (for example a birth certificate, adoption papers or a court order). Staff will look at it and hand it back: no copy is kept. Once staff have recorded that you are linked to the card, you can make a new request.",
  // R11: thresholds are configuration, so the sentence names no age.
  adult:
    'On the day of your request the card holder is an adult, and an adult’s library records are not shown to a parent or guardian. The card holder can ask for their own records on the request page.',
};

export function deniedEmail(o: { library: string; code: string; reason?: string }): Message {
  const base = DENIAL_TEXT[o.code] ?? DENIAL_TEXT.rejected ?? '';
  const reasonText = o.reason ? `\n\nThe reason given: ${o.reason}` : '';
  return {
    subject: `Your privacy request to ${o.library} was not completed`,
    text: `${base}${reasonText}\n\nIf you have questions, please contact the library. You can make a new request at any time.`,
    html: wrap(
      o.library,
      html`<p>${base}</p>${o.reason ? html`<p>The reason given: ${o.reason}</p>` : ''}<p>If you have questions, please contact the library. You can make a new request at any time.</p>`,
    ),
  };
}

export function confirmNewEmailEmail(o: { library: string; link: string; expiresAt: string }): Message {
  return {
    subject: `Confirm your new email address for ${o.library}`,
    text: `A library patron asked to use this address for their library account. If that was you, confirm here:\n\n${o.link}\n\nThe link works once and expires at ${o.expiresAt}. If it was not you, press "This is not my address" on that page, or do nothing.`,
    html: wrap(
      o.library,
      html`<p>A library patron asked to use this address for their library account. If that was you, please confirm.</p>${button(o.link, 'Confirm this address')}<p>The link works once and expires at ${o.expiresAt}. If it was not you, choose "This is not my address" on that page, or do nothing.</p>`,
    ),
  };
}

/**
 * R6: to the address that was replaced, on its own: the email on the account was changed, and a
 * link undoes it. The new address is shown masked (this inbox may no longer be the patron's).
 */
export function emailReplacedEmail(o: { library: string; link: string; expiresAt: string; newEmail: string }): Message {
  const what = `The email address on your ${o.library} account was changed from this address to ${o.newEmail}, after library staff approved the request.`;
  const undo = `If you did not ask for this, undo it here: the library puts this address back and looks into it.`;
  const after = `The link works once and expires at ${o.expiresAt}. Opening it changes nothing until you press the button.`;
  return {
    subject: `The email address on your ${o.library} account was changed`,
    text: `${what}\n\n${undo} ${o.link}\n\n${after}\n\n${o.library}`,
    html: wrap(o.library, html`<p>${what}</p><p>${undo}</p>${button(o.link, 'Review and undo')}<p>${after}</p>`),
  };
}

/** R6: a patron undid a replaced email from the old address: the privacy officers look into it. Names the request only (R5). */
export function emailChangeUndoneEmail(o: { library: string; requestId: string; byHand?: string[] }): Message {
  const byHand = o.byHand ?? [];
  const manual = byHand.length
    ? ` Staff changed the address by hand in ${byHand.join(', ')}: put the previous address back there too.`
    : '';
  const what = `Request ${o.requestId}: the patron undid an email change from their previous address; that address is on the account again in every system Privacy Desk reaches.${manual} Someone else may have asked for the change: please look into it.`;
  return {
    subject: `An email change was undone: request ${o.requestId}`,
    text: what,
    html: wrap(o.library, html`<p>${what}</p>`),
  };
}

/**
 * R6, R19: the details that changed, and the systems that changed them (from the per-system
 * results): the patron reads where the correction was made, not only that it was.
 */
export function correctionAppliedEmail(o: { library: string; fields: string[]; systems?: string[] }): Message {
  const list = o.fields.join(', ');
  const systems = o.systems ?? [];
  const where = systems.length > 0 ? `\n\nThe change was made in: ${systems.join('; ')}.` : '';
  return {
    subject: `Your details at ${o.library} were updated`,
    text: `As you asked, the library updated these details on your account: ${list}.${where}\n\nIf you did not ask for this, please contact the library at once.`,
    html: wrap(
      o.library,
      html`<p>As you asked, the library updated these details on your account: <strong>${list}</strong>.</p>${
        systems.length > 0 ? html`<p>The change was made in: ${systems.join('; ')}.</p>` : ''
      }<p>If you did not ask for this, please contact the library at once.</p>`,
    ),
  };
}

/**
 * R20: the answer to an outreach opt-out: the systems that stopped outreach, and, honestly, any
 * that could not (R19: those go to the privacy officer). Never says which records matched.
 */
export function outreachOptOutEmail(o: { library: string; stopped: string[]; notStopped: string[] }): Message {
  const stopped =
    o.stopped.length > 0
      ? `The library will no longer contact you for outreach, marketing or fundraising. This was recorded in: ${o.stopped.join('; ')}.`
      : 'None of the library’s outreach systems holds you, so there was nothing to stop.';
  const notStopped =
    o.notStopped.length > 0
      ? `\n\nThese systems could not record it yet, and the library's privacy officer has been told: ${o.notStopped.join('; ')}.`
      : '';
  return {
    subject: `Your outreach opt-out at ${o.library}`,
    text: `${stopped}${notStopped}\n\nYou will still receive messages about your loans and your account. If you did not ask for this, please contact the library.`,
    html: wrap(
      o.library,
      html`<p>${stopped}</p>${
        o.notStopped.length > 0
          ? html`<p>These systems could not record it yet, and the library's privacy officer has been told: ${o.notStopped.join('; ')}.</p>`
          : ''
      }<p>You will still receive messages about your loans and your account. If you did not ask for this, please contact the library.</p>`,
    ),
  };
}

/**
 * R20, R19: to the privacy officer: a system marked for outreach could not record an opt-out (its
 * connector has no such setting). Names the request and the systems, never the person (R1, R5).
 */
export function outreachNotStoppedEmail(o: { library: string; requestId: string; systems: string[] }): Message {
  const list = o.systems.join('; ');
  return {
    subject: `An outreach opt-out could not be recorded in: ${list}`,
    text: `Request ${o.requestId} asked to stop outreach. These systems, marked for outreach, could not record it through their connector: ${list}. Please record the opt-out there by hand, or unmark the system if it is not used for outreach.`,
    html: wrap(
      o.library,
      html`<p>Request <code>${o.requestId}</code> asked to stop outreach. These systems, marked for outreach, could not record it through their connector: <strong>${list}</strong>.</p><p>Please record the opt-out there by hand, or unmark the system if it is not used for outreach.</p>`,
    ),
  };
}
