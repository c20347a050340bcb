import { html, type SafeHtml } from '../lib/html.ts';
import type { Email } from '../domain/email.ts';

/** An email as rendered, before it is addressed. */
export type Message = Omit<Email, 'to'>;

/** The one frame every HTML email is sent in: the body, then the library's name. */
export const wrap = (library: string, body: SafeHtml): string =>
  html`<!doctype html><html lang="en"><body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:40rem">${body}<hr><p style="color:#555;font-size:.9em">${library} · Privacy Desk</p></body></html>`
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
