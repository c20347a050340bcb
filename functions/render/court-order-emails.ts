import { ORDER_TYPE_WORDS, type CourtOrder } from '../domain/court-order.ts';
import { html } from '../lib/html.ts';
import { button, wrap, type Message } from './email-frame.ts';

/**
 * The emails of a court order (R12, R13, R13a), in the style of render/emails.ts. Counsel's emails
 * name the order (court, case number) and the request, never the patron's details (R1). The
 * patron's notice names the order and what was disclosed, and is never sent when the order forbids
 * notice (the workflow skips it, and the task checks again).
 */
const orderName = (o: Pick<CourtOrder, 'orderType' | 'court' | 'caseNumber'>) =>
  `the ${ORDER_TYPE_WORDS[o.orderType]} of ${o.court}, case ${o.caseNumber}`;

const range = (o: Pick<CourtOrder, 'from' | 'to'>): string =>
  o.from && o.to ? `from ${o.from} to ${o.to}` : o.from ? `from ${o.from} on` : o.to ? `up to ${o.to}` : 'of any date';

export function disclosureReadyEmail(o: {
  library: string;
  link: string;
  expiresAt: string;
  order: CourtOrder;
  requestId: string;
}): Message {
  const what = `The disclosure under ${orderName(o.order)} (request ${o.requestId}) is ready: both approvals were given. It holds only the categories and dates the order names, with a cover sheet naming the order. It is one zip file: disclosure.json, one CSV file per category and cover-sheet.txt.`;
  return {
    subject: `Disclosure package ready: case ${o.order.caseNumber} (request ${o.requestId})`,
    text: `${what}\n\nDownload it here: ${o.link}\n\nThe link works until ${o.expiresAt}; then the file is deleted. The legal hold on the patron's records stays in place until you release it${o.order.lapsesOn ? ` or it lapses on ${o.order.lapsesOn}` : ''}.`,
    html: wrap(
      o.library,
      html`<p>${what}</p>${button(o.link, 'Download the disclosure package')}<p>The link works until ${o.expiresAt}; then the file is deleted. The legal hold on the patron's records stays in place until you release it${o.order.lapsesOn ? ` or it lapses on ${o.order.lapsesOn}` : ''}.</p>`,
    ),
  };
}

export function courtOrderClosedEmail(o: {
  library: string;
  order: CourtOrder;
  requestId: string;
  outcome: 'rejected' | 'expired';
  reason?: string;
  decidedBy?: string;
}): Message {
  const head =
    o.outcome === 'rejected'
      ? `The library did not approve disclosure under ${orderName(o.order)} (request ${o.requestId})${o.decidedBy ? `: ${o.decidedBy} rejected it` : ''}. Nothing was disclosed.`
      : `Nobody decided on ${orderName(o.order)} (request ${o.requestId}) in time, after every reminder. The request is closed as expired and nothing was disclosed.`;
  const hold = `The legal hold on the patron's records stays in place until you release it${o.order.lapsesOn ? ` or it lapses on ${o.order.lapsesOn}` : ''}. To ask again, upload the order again.`;
  return {
    subject: `Court order not approved: case ${o.order.caseNumber} (request ${o.requestId})`,
    text: `${head}${o.reason ? `\n\nThe reason given: ${o.reason}` : ''}\n\n${hold}`,
    html: wrap(
      o.library,
      html`<p>${head}</p>${o.reason ? html`<p>The reason given: ${o.reason}</p>` : ''}<p>${hold}</p>`,
    ),
  };
}

export function holdLapsedEmail(o: { library: string; order: CourtOrder; requestId: string }): Message {
  const text = `The legal hold placed with ${orderName(o.order)} (request ${o.requestId}) lapsed on ${o.order.lapsesOn ?? 'its date'}, as set when the order was uploaded. The patron's records are no longer held: a deletion they ask for may now go ahead.`;
  return {
    subject: `Legal hold lapsed: case ${o.order.caseNumber} (request ${o.requestId})`,
    text,
    html: wrap(o.library, html`<p>${text}</p>`),
  };
}

/** R13a: the patron is told what was disclosed, under which order, and when. */
export function patronDisclosureNoticeEmail(o: {
  library: string;
  order: CourtOrder;
  categories: string[];
  disclosedOn: string;
}): Message {
  const intro = `${o.library} must tell you that, on ${o.disclosedOn}, it disclosed records about you as required by ${orderName(o.order)}, issued on ${o.order.issuedOn}.`;
  const what = `Only these kinds of records were disclosed, ${range(o.order)}: ${o.categories.join('; ')}.`;
  const after =
    'Library records are confidential under Connecticut law (General Statutes §11-25) and are released only under a court order or with your written permission. If you have questions, please contact the library.';
  return {
    subject: `Notice: ${o.library} disclosed records about you under a court order`,
    text: `${intro}\n\n${what}\n\n${after}`,
    html: wrap(o.library, html`<p>${intro}</p><p>${what}</p><p>${after}</p>`),
  };
}

/** R13a for a patron with no email on file: staff send the notice by other means. */
export function noticeByOtherMeansEmail(o: { library: string; requestId: string }): Message {
  const text = `Request ${o.requestId}: records were disclosed under a court order, and the order allows the patron to be told, but the patron has no email on file. Please send them the notice by letter or tell them at the desk, and note it on the request.`;
  return {
    subject: `Tell a patron of a disclosure: request ${o.requestId}`,
    text,
    html: wrap(o.library, html`<p>${text}</p>`),
  };
}
