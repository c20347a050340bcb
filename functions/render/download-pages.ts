import { html } from '../lib/html.ts';
import { renderDecisionForm, renderNotice, renderPage } from './layout.ts';

/**
 * R1, R17: a staff member's own download link, opened. The GET only shows this (a mail scanner's
 * visit uses nothing up); the button's POST is the download, which uses the link and is audited.
 */
export const staffDownloadPage = (o: { action: string; requestId: string }): string =>
  renderPage({
    title: 'Download the file to hand over',
    body: renderDecisionForm({
      action: o.action,
      question: `The file for request ${o.requestId}`,
      details: html`<p>This link is yours alone and works once: downloading is recorded on the request's audit trail under your name. Print the file and hand it to the patron in person after checking their ID, then record the hand-over on the staff desk; the request completes then.</p>`,
      buttons: [{ decision: 'download', label: 'Download the file', primary: true }],
    }),
  });

/** R1: a staff download link already used, or revoked once the file was handed over (410). */
export const staffDownloadUsedPage = (): string =>
  renderPage({
    title: 'This link is no longer valid',
    status: 410,
    body: renderNotice(
      'info',
      'Each download link works once, and every link to a file stops working once the file has been handed over. The staff desk shows whether it was.',
    ),
  });
