import { html, type SafeHtml } from '../lib/html.ts';

/**
 * The shell of every server-rendered page (the emailed-link pages `/act/{token}`, "request
 * received", error pages). Pages must work with no JavaScript and on a phone, so the shell is
 * plain HTML that uses the same `/styles.css` as the static site.
 */
export interface PageOptions {
  title: string;
  libraryName?: string;
  body: SafeHtml;
  /**
   * The HTTP status the caller will send. It is not rendered; it is accepted here so one object
   * describes the response, and so error pages can be told apart in tests.
   */
  status?: number;
}

/**
 * The first lines of the head of every page and report. no-referrer: pages live at URLs that carry
 * one-time tokens, which must not leak to anything a page loads. noindex: nothing here belongs in
 * a search engine.
 */
export const HEAD_META = html`<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">`;

export const renderPage = (opts: PageOptions): string => {
  const site = opts.libraryName ? `${opts.libraryName} Privacy Desk` : 'Privacy Desk';
  return `<!doctype html>\n${html`<html lang="en">
<head>
${HEAD_META}
<title>${opts.title} &ndash; ${site}</title>
<link rel="stylesheet" href="/styles.css">
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header"><p class="site-name"><a href="/">${site}</a></p></header>
<main id="main" tabindex="-1">
<h1>${opts.title}</h1>
${opts.body}
</main>
<footer class="site-footer"><p>${site}. Your library records are confidential.</p></footer>
</body>
</html>
`}`;
};

export type NoticeKind = 'info' | 'success' | 'error';

// A word as well as a colour, so the kind of notice does not depend on seeing colour.
const NOTICE_LABEL: Record<NoticeKind, string> = { info: 'Note', success: 'Done', error: 'Problem' };

/** A boxed message. Errors use role="alert" so screen readers announce them at once. */
export const renderNotice = (kind: NoticeKind, text: string): SafeHtml =>
  html`<div class="notice notice-${kind}" role="${kind === 'error' ? 'alert' : 'status'}"><p><strong>${NOTICE_LABEL[kind]}:</strong> ${text}</p></div>`;

export interface DecisionButton {
  /** The `decision` value the server acts on: confirm, approve, reject, consent, decline, done. */
  decision: string;
  label: string;
  primary?: boolean;
}

export interface DecisionFormOptions {
  action: string;
  question: string;
  details: SafeHtml;
  buttons: DecisionButton[];
  reasonField?: { label: string; required?: boolean };
}

/**
 * A question with one submit button per possible answer. A GET of an emailed link only shows this
 * form (mail scanners follow links); the POST it sends is what acts.
 */
export const renderDecisionForm = (opts: DecisionFormOptions): SafeHtml => {
  const reason = opts.reasonField
    ? html`<div class="field">
<label for="reason">${opts.reasonField.label}${opts.reasonField.required ? ' (required)' : ' (optional)'}</label>
<textarea id="reason" name="reason" rows="4" maxlength="2000"${opts.reasonField.required ? html` required` : ''}></textarea>
</div>`
    : '';
  const buttons = opts.buttons.map(
    (b) =>
      html`<button type="submit" name="decision" value="${b.decision}" class="${b.primary ? 'button button-primary' : 'button'}">${b.label}</button>`,
  );
  return html`<form method="post" action="${opts.action}" class="decision-form" aria-labelledby="decision-question">
<h2 id="decision-question">${opts.question}</h2>
<div class="decision-details">${opts.details}</div>
${reason}
<div class="actions">${buttons}</div>
</form>`;
};
