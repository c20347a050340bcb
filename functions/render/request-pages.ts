import type { InvalidInputError } from '../domain/errors.ts';
import type { RequestKind } from '../domain/request.ts';
import { html } from '../lib/html.ts';
import { renderNotice, renderPage } from './layout.ts';

/** The page a browser gets after submitting the public form (202). */
export function receivedPage(statusUrl: string, kind: RequestKind, byDonorEmail = false): string {
  // R14: the same words whether or not the card matched; nothing says who is a patron.
  // R20: nor, for a donor without a card, whether a donation record holds the address.
  const next = byDonorEmail
    ? 'Thank you. If our donation records hold this email address, we will email a confirmation link to it. Nothing happens until that link is opened.'
    : kind === 'third-party'
      ? 'Thank you. If the card number and last name match our records, we ask the card holder for written permission through the contact details on their own record. You hear from us by email when there is an outcome; nothing about the card holder is shared without their permission.'
      : 'Thank you. If the card number and last name match our records, we will email a confirmation link to the email address on file for that card (not to any address typed into the form). Patrons without an email on file are asked to visit the library.';
  return renderPage({
    title: 'We received your request',
    status: 202,
    body: html`<p>${next}</p>
<p>Keep this address to check progress or cancel: <a href="${statusUrl}">${statusUrl}</a></p>`,
  });
}

/** A form that failed validation (400): which fields and why, never what was typed. */
export function formErrorPage(e: InvalidInputError): string {
  return renderPage({
    title: 'Please check the form',
    status: 400,
    body: html`<div class="notice notice-error" role="alert"><p>${e.message}. Please go back and correct:</p><ul>${e.issues.map((i) => html`<li><strong>${i.path}</strong>: ${i.message}</li>`)}</ul></div><p>Use your browser's Back button to return to the form; what you typed is still there.</p>`,
  });
}

/** A download link that never was one (404). */
export const downloadNotFoundPage = (): string =>
  renderPage({ title: 'Link not found', body: renderNotice('error', 'This download link is not valid.') });

/** A download link past its time (410): the file went with it (R8a). */
export const downloadExpiredPage = (): string =>
  renderPage({
    title: 'This download has expired',
    body: renderNotice('info', 'Files are deleted when their link expires. You can make a new request at any time.'),
  });
