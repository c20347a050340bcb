import { html } from '../lib/html.ts';
import { button, wrap, type Message, type StaffTaskMail } from './email-frame.ts';

/**
 * The emails of guardian requests (R9, R10, R11) and third-party requests (R14), in the style of
 * render/emails.ts. A consent request goes to the data subject's own email on file, never through
 * the guardian or the third party. Staff emails name the request, not the person (R1): who they
 * are is shown on the signed link's page, where the read is audited.
 */
const bullets = (items: string[]): string => items.map((i) => `- ${i}`).join('\n');
/** Typed by the third party: one line, no control characters, so it cannot bend a subject line or the text layout. */
const oneLine = (s: string): string => s.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
const requesterName = (r: { name: string; organization?: string }): string =>
  oneLine(r.organization ? `${r.name} (${r.organization})` : r.name);

/** R10: to the child's own email, never an inbox the guardian shares; it names the guardian who asked, as on file. */
export function guardianConsentEmail(o: {
  library: string;
  link: string;
  expiresAt: string;
  categories: string[];
  guardian: string;
}): Message {
  const guardian = oneLine(o.guardian);
  const ask = `${guardian}, a parent or guardian linked to your library card, asked ${o.library} to see your library records:`;
  const choice = `Because of your age, they can see them only if you agree. It is your choice, and only you should answer.`;
  const after = `If you say no, or do not answer by ${o.expiresAt}, nothing is shown to them, and they are told only that the request could not go ahead. We do not ask for your reasons. If you say yes, you are told when the records are released.`;
  return {
    subject: `A parent or guardian asked to see your library records`,
    text: `${ask}\n${bullets(o.categories)}\n\n${choice}\n\nAnswer here: ${o.link}\n\n${after}\n\n${o.library}`,
    html: wrap(
      o.library,
      html`<p>${ask}</p><ul>${o.categories.map((c) => html`<li>${c}</li>`)}</ul><p>${choice}</p>${button(o.link, 'Read and answer')}<p>${after}</p>`,
    ),
  };
}

/**
 * R14: to the address a third party typed in the form, before anything else happens: only whoever
 * reads this inbox can let the request go on. It names no patron and no record.
 */
export function thirdPartyAddressEmail(o: { library: string; link: string; expiresAt: string }): Message {
  const what = `Someone asked ${o.library} to release a library patron's records to this email address, with the patron's written permission.`;
  const how = `If it was you, confirm this address here. Only then is the patron asked for their permission.`;
  const after = `The link works once and expires at ${o.expiresAt}. If it was not you, do nothing: the request expires and nobody is contacted.`;
  return {
    subject: `Please confirm your email address for your request to ${o.library}`,
    text: `${what}\n\n${how} ${o.link}\n\n${after}\n\n${o.library}`,
    html: wrap(o.library, html`<p>${what}</p><p>${how}</p>${button(o.link, 'Confirm my address')}<p>${after}</p>`),
  };
}

/**
 * R14: to the patron's own email (or, for a child under 13, a guardian's): names the exact
 * recipient (name, organisation, email) and each category. The requester's free-text purpose is
 * not in the email: it is shown only behind the link, marked as their words, with links neutralised.
 */
export function thirdPartyConsentEmail(o: {
  library: string;
  link: string;
  expiresAt: string;
  requester: { name: string; organization?: string; email: string };
  categories: string[];
  /** R14: the patron is under 13, and their parent or guardian is asked. */
  forChild?: boolean;
}): Message {
  const who = requesterName(o.requester);
  const recipient = `${who}, email ${oneLine(o.requester.email)}`;
  const whose = o.forChild ? "your child's" : 'your';
  const only = 'They receive only these, and only if you give your written permission and library staff approve.';
  const after = `If you say no, or do not answer by ${o.expiresAt}, nothing is shared, and they are told only that the request could not go ahead.`;
  const intro = o.forChild
    ? `${who} asked ${o.library} for some of the library records of a child whose library card you are a parent or guardian on. The child is under 13, so the permission is yours to give.`
    : `${who} asked ${o.library} for some of your library records.`;
  return {
    subject: `Written permission asked: ${who} would like some of ${whose} library records`,
    text: `${intro}\n\nThe records would go to: ${recipient}\n\nThe records asked for:\n${bullets(o.categories)}\n\n${only}\n\nRead the request, with the reason they gave, and answer here: ${o.link}\n\n${after}\n\n${o.library}`,
    html: wrap(
      o.library,
      html`<p>${intro}</p><p>The records would go to: <strong>${recipient}</strong></p><p>The records asked for:</p><ul>${o.categories.map((c) => html`<li>${c}</li>`)}</ul><p>${only}</p>${button(o.link, 'Read the request and answer')}<p>${after}</p>`,
    ),
  };
}

/** R10, R14: the subject has no email on file, so desk staff ask them in person and record the answer. */
export function inPersonConsentEmail(o: {
  library: string;
  link: string;
  requestId: string;
  expiresAt: string;
  guardian: boolean;
  /** R7, R10: the subject has an email on file, but a guarantor or the requester shares it. */
  sharedInbox?: boolean;
  /** R14: the card holder is under 13; a parent or guardian on the card, with no email on file, gives the permission. */
  forChild?: boolean;
}): Message {
  const noEmail = o.sharedInbox
    ? 'with no email of their own on file (the one on file is shared)'
    : 'with no email on file';
  const who = o.guardian
    ? `A child ${noEmail} is asked whether a parent or guardian may see their records`
    : o.forChild
      ? 'A parent or guardian of a child under 13, with no email on file, is asked for written permission to release some of the child’s records to a third party'
      : `A patron ${noEmail} is asked for written permission to release some of their records to a third party`;
  const how = o.guardian
    ? 'Ask the child in private, away from the parent or guardian, and record only their answer: no reasons.'
    : 'Show them the request, let them read it, and record only their answer.';
  return {
    subject: `In-person consent needed: request ${o.requestId}`,
    text: `${who} (request ${o.requestId}). When they come to the desk, open the task: it shows who they are and what they are asked. ${how}\n\n${o.link}\n\nThe link works once and expires at ${o.expiresAt}.`,
    html: wrap(
      o.library,
      html`<p>${who} (request <code>${o.requestId}</code>).</p><p>When they come to the desk, open the task: it shows who they are and what they are asked. ${how}</p>${button(o.link, 'Open the consent task')}<p>The link works once and expires at ${o.expiresAt}.</p>`,
    ),
  };
}

/** R11, R4: a verified patron asked as a guardian but is not linked to the card; staff may record the link. */
export function guardianLinkTaskEmail(o: StaffTaskMail): Message {
  const what = `A verified patron asked to see a child's records but is not linked to the child's card (request ${o.requestId}). They were told to come to the library with a document that shows they are the child's parent or guardian.`;
  const how =
    'When they come, open the task, look at the document, hand it back without copying it, and record the link. If the document does not show it, do nothing: the task expires.';
  return {
    subject: `Guardian link to check at the desk: request ${o.requestId}`,
    text: `${what}\n\n${how}\n\n${o.link}\n\nThe task expires at ${o.expiresAt}.`,
    html: wrap(
      o.library,
      html`<p>${what}</p><p>${how}</p>${button(o.link, 'Open the task')}<p>The task expires at ${o.expiresAt}.</p>`,
    ),
  };
}

export function guardianLinkedEmail(o: { library: string; formUrl: string }): Message {
  const text = `Library staff recorded that you are a parent or guardian on a child's library card, after looking at your document (no copy was kept). You can now make a new request to see the child's records:`;
  return {
    subject: `You are now linked to a child's library card at ${o.library}`,
    text: `${text} ${o.formUrl}\n\nIf you did not ask for this, please contact the library at once.`,
    html: wrap(
      o.library,
      html`<p>${text}</p>${button(o.formUrl, 'Make a request')}<p>If you did not ask for this, please contact the library at once.</p>`,
    ),
  };
}

/** R9, R10: to the guardian's own email on file, after approval (and the child's consent from the consent age). */
export function guardianReportReadyEmail(o: { library: string; link: string; expiresAt: string }): Message {
  const what = `The report of the child's library records that you asked ${o.library} for is ready. It holds only what the library's policy lets a parent or guardian see.`;
  const keep = `The link works until ${o.expiresAt}; then the file is deleted. The records are confidential: keep the report somewhere safe.`;
  return {
    subject: `The child's library records you asked for are ready`,
    text: `${what}\n\nDownload it here: ${o.link}\n\n${keep}`,
    html: wrap(o.library, html`<p>${what}</p>${button(o.link, 'Download the report')}<p>${keep}</p>`),
  };
}

/** R10: to the child's own email, after their records went to the guardian they agreed could see them. */
export function childToldEmail(o: { library: string; guardian: string; categories: string[] }): Message {
  const guardian = oneLine(o.guardian);
  const what = `As you agreed, ${o.library} released these library records of yours to ${guardian}, the parent or guardian who asked:`;
  const after = 'Nothing else was shown to them. If you did not agree to this, please contact the library.';
  return {
    subject: `Your library records were released to your parent or guardian`,
    text: `${what}\n${bullets(o.categories)}\n\n${after}\n\n${o.library}`,
    html: wrap(o.library, html`<p>${what}</p><ul>${o.categories.map((c) => html`<li>${c}</li>`)}</ul><p>${after}</p>`),
  };
}

/**
 * R10: the child has no email of their own (none, or one a guardian shares): the privacy officers
 * tell them. It names the request and the kinds of records only (R5).
 */
export function childToldByOtherMeansEmail(o: { library: string; requestId: string; categories: string[] }): Message {
  const what = `Request ${o.requestId}: with the child's consent, these records of theirs were released to the parent or guardian who asked:`;
  const ask =
    'The child has no email of their own on file (any email on the card is shared with a parent or guardian, so it was not used). Please tell the child in private, when they next come in, or by a letter addressed to them, and note it on the request.';
  return {
    subject: `Tell a child their records were released: request ${o.requestId}`,
    text: `${what}\n${bullets(o.categories)}\n\n${ask}`,
    html: wrap(o.library, html`<p>${what}</p><ul>${o.categories.map((c) => html`<li>${c}</li>`)}</ul><p>${ask}</p>`),
  };
}

/** R14: to the third party, only after written permission and approval. */
export function disclosurePackageEmail(o: { library: string; link: string; expiresAt: string }): Message {
  const what = `The card holder gave written permission and library staff approved your request. The file holds only the kinds of records the card holder agreed to release.`;
  const keep = `The link works until ${o.expiresAt}; then the file is deleted. Use the records only for the purpose you stated.`;
  return {
    subject: `The records you asked ${o.library} for are ready`,
    text: `${what}\n\nDownload them here: ${o.link}\n\n${keep}`,
    html: wrap(o.library, html`<p>${what}</p>${button(o.link, 'Download the records')}<p>${keep}</p>`),
  };
}

/** R14: the patron is told what went to whom. */
export function disclosureSentEmail(o: {
  library: string;
  requester: { name: string; organization?: string };
  categories: string[];
  expiresAt: string;
}): Message {
  const who = requesterName(o.requester);
  const what = `As you permitted, ${o.library} sent ${who} these records of yours:`;
  const after = `They received nothing else. Their download link stops working at ${o.expiresAt}. If you did not give this permission, please contact the library at once.`;
  return {
    subject: `Your library records were sent, as you permitted`,
    text: `${what}\n${bullets(o.categories)}\n\n${after}`,
    html: wrap(o.library, html`<p>${what}</p><ul>${o.categories.map((c) => html`<li>${c}</li>`)}</ul><p>${after}</p>`),
  };
}

/**
 * R14: the patron gave written permission at the desk and has no email on file; staff tell them
 * that their records were sent, as the email would. It names the request and the kinds of records
 * only (R5): the patron knows whom they permitted, and the third party's contact is erased (R16).
 */
export function disclosureSentByOtherMeansEmail(o: {
  library: string;
  requestId: string;
  categories: string[];
}): Message {
  const what = `Request ${o.requestId}: with the written permission the patron gave at the desk, these records of theirs were sent to the third party they named:`;
  const ask =
    'The patron has no email on file. Please tell them, by letter or when they next come in, that this was sent and nothing else, and note it on the request.';
  return {
    subject: `Tell a patron their records were sent: request ${o.requestId}`,
    text: `${what}\n${bullets(o.categories)}\n\n${ask}`,
    html: wrap(o.library, html`<p>${what}</p><ul>${o.categories.map((c) => html`<li>${c}</li>`)}</ul><p>${ask}</p>`),
  };
}
