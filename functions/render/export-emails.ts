import { html } from '../lib/html.ts';
import { button, DESK_LINK_TEXT, wrap, type Message, type StaffTaskMail } from './email-frame.ts';

/**
 * The emails of an export request (R8a), in the style of render/emails.ts: absolute links, what
 * the file is, and when the link stops working. Staff emails name the request, not the patron (R1).
 */
const WHAT =
  'It is one zip file: export.json holds everything in one machine-readable document, and there is one CSV file per kind of record, which opens in any spreadsheet.';

export function exportReadyEmail(o: { library: string; link: string; expiresAt: string }): Message {
  return {
    subject: `Your data export from ${o.library} is ready`,
    text: `The copy of your data that you asked ${o.library} for is ready. ${WHAT}\n\nDownload it here: ${o.link}\n\nThe link works until ${o.expiresAt}; then the file is deleted. Keep the file somewhere safe: it contains your personal information.`,
    html: wrap(
      o.library,
      html`<p>The copy of your data that you asked ${o.library} for is ready. ${WHAT}</p>${button(o.link, 'Download your data')}<p>The link works until ${o.expiresAt}; then the file is deleted. Keep the file somewhere safe: it contains your personal information.</p>`,
    ),
  };
}

export function exportForDeskEmail(o: StaffTaskMail): Message {
  const hand = `The patron of request ${o.requestId} has no email on file. After checking their identity again, give them the export in person: copy the zip file onto a storage device they bring, or print the CSV files. Do not keep a copy.`;
  return {
    subject: `Hand over in person: data export for request ${o.requestId}`,
    text: `${hand}\n\n${o.link}\n\n${DESK_LINK_TEXT(o.expiresAt)}`,
    html: wrap(
      o.library,
      html`<p>The patron of request <code>${o.requestId}</code> has no email on file. After checking their identity again, give them the export in person: copy the zip file onto a storage device they bring, or print the CSV files. Do not keep a copy.</p>${button(o.link, 'Download the export')}<p>${DESK_LINK_TEXT(o.expiresAt)}</p>`,
    ),
  };
}
