import { html, type SafeHtml } from '../lib/html.ts';
import type { Email } from '../domain/email.ts';

/**
 * The emails of an export request (R8a), in the style of notify/emails.ts: absolute links, what
 * the file is, and when the link stops working. Staff emails name the request, not the patron (R1).
 */
type Message = Omit<Email, 'to'>;

const wrap = (library: string, body: SafeHtml): string =>
  html`<!doctype html><html lang="en"><body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:40rem">${body}<hr><p style="color:#555;font-size:.9em">${library} · Privacy Desk</p></body></html>`
    .value;

const button = (href: string, label: string): SafeHtml =>
  html`<p><a href="${href}" style="display:inline-block;padding:.6em 1.2em;background:#14532d;color:#fff;text-decoration:none;border-radius:4px">${label}</a></p><p style="font-size:.9em">Or open this address: ${href}</p>`;

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

export function exportForDeskEmail(o: {
  library: string;
  link: string;
  requestId: string;
  expiresAt: string;
}): Message {
  const hand = `The patron of request ${o.requestId} has no email on file. After checking their identity again, give them the export in person: copy the zip file onto a storage device they bring, or print the CSV files. Do not keep a copy.`;
  return {
    subject: `Hand over in person: data export for request ${o.requestId}`,
    text: `${hand}\n\n${o.link}\n\nThe link works until ${o.expiresAt}; then the file is deleted.`,
    html: wrap(
      o.library,
      html`<p>The patron of request <code>${o.requestId}</code> has no email on file. After checking their identity again, give them the export in person: copy the zip file onto a storage device they bring, or print the CSV files. Do not keep a copy.</p>${button(o.link, 'Download the export')}<p>The link works until ${o.expiresAt}; then the file is deleted.</p>`,
    ),
  };
}
