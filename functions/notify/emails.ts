import { html, type SafeHtml } from '../lib/html.ts';
import type { Email } from './mailer.ts';

/**
 * Every email the system sends. Links are absolute (`{BASE_URL}/act/{token}`); bodies say what is
 * asked and what happens if nothing is done. Staff emails name the request, not the patron: the
 * patron's details are shown only on the signed link's page, where the read is audited (R1).
 */
type Message = Omit<Email, 'to'>;

const wrap = (library: string, body: SafeHtml): string =>
  html`<!doctype html><html lang="en"><body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:40rem">${body}<hr><p style="color:#555;font-size:.9em">${library} · Privacy Desk</p></body></html>`.value;

const button = (href: string, label: string): SafeHtml =>
  html`<p><a href="${href}" style="display:inline-block;padding:.6em 1.2em;background:#14532d;color:#fff;text-decoration:none;border-radius:4px">${label}</a></p><p style="font-size:.9em">Or open this address: ${href}</p>`;

export function verificationEmail(o: { library: string; link: string; kind: string; expiresAt: string }): Message {
  const what = o.kind === 'access' ? 'see the records the library holds about you' : `make a ${o.kind} request about your records`;
  return {
    subject: `Please confirm your privacy request to ${o.library}`,
    text: `Someone asked to ${what}, using your library card.\n\nIf it was you, confirm here: ${o.link}\n\nThe link works once and expires at ${o.expiresAt}. If it was not you, do nothing: the request will expire and nothing will be shared.\n\n${o.library}`,
    html: wrap(
      o.library,
      html`<p>Someone asked to ${what}, using your library card.</p><p>If it was you, please confirm:</p>${button(o.link, 'Review and confirm')}<p>The link works once and expires at ${o.expiresAt}. If it was not you, do nothing: the request will expire and nothing will be shared.</p>`,
    ),
  };
}

export function inPersonVerificationEmail(o: { library: string; link: string; requestId: string; expiresAt: string }): Message {
  return {
    subject: `In-person verification needed: request ${o.requestId}`,
    text: `A patron with no email on file made a privacy request (${o.requestId}). When they come to the desk, open the link to see who they are, check their identity and record how you checked. Do not copy or keep their document.\n\n${o.link}\n\nThe link works once and expires at ${o.expiresAt}.`,
    html: wrap(
      o.library,
      html`<p>A patron with no email on file made a privacy request (<code>${o.requestId}</code>).</p><p>When they come to the desk, open the task to see who they are, check their identity and record how you checked. Do not copy or keep their document.</p>${button(o.link, 'Open the verification task')}<p>The link works once and expires at ${o.expiresAt}.</p>`,
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

export function reportForDeskEmail(o: { library: string; link: string; requestId: string; expiresAt: string }): Message {
  return {
    subject: `Print and hand over: records report for request ${o.requestId}`,
    text: `The patron of request ${o.requestId} has no email on file. Print the report and hand it to them in person, after checking their identity again.\n\n${o.link}\n\nThe link works until ${o.expiresAt}; then the file is deleted.`,
    html: wrap(
      o.library,
      html`<p>The patron of request <code>${o.requestId}</code> has no email on file. Print the report and hand it to them in person, after checking their identity again.</p>${button(o.link, 'Download the report')}<p>The link works until ${o.expiresAt}; then the file is deleted.</p>`,
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
