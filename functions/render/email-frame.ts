import { html, type SafeHtml } from '../lib/html.ts';
import type { Email } from '../domain/email.ts';

/** An email as rendered, before it is addressed. */
export type Message = Omit<Email, 'to'>;

/** The one frame every HTML email is sent in: the body, then the library's name. */
export const wrap = (library: string, body: SafeHtml): string =>
  html`<!doctype html><html lang="en"><body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:40rem">${body}<hr><p style="color:#555;font-size:.9em">${library} &middot; Privacy Desk</p></body></html>`
    .value;

/** A link shown as a button, with the address written out for a mail reader that hides links. */
export const button = (href: string, label: string): SafeHtml =>
  html`<p><a href="${href}" style="display:inline-block;padding:.6em 1.2em;background:#14532d;color:#fff;text-decoration:none;border-radius:4px">${label}</a></p><p style="font-size:.9em">Or open this address: ${href}</p>`;

/** A staff task's email: the request it is about and the signed link to its page, never the person (R1). */
export interface StaffTaskMail {
  library: string;
  link: string;
  requestId: string;
  expiresAt: string;
}

/**
 * R1, R17: what a staff member's link to a file for the desk says of itself: their own, once, and
 * the request completes on the hand-over they record, not on the download.
 */
export const DESK_LINK_TEXT = (expiresAt: string): string =>
  `This link is yours alone: it works once, until ${expiresAt}, and your download is recorded on the request's audit trail. When you have handed the file over, record the hand-over (and the kind of ID you saw) on the staff desk: the request completes then, and the other staff members' links stop working. The file is deleted when the link expires.`;
