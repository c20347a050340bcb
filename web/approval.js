// The signed-in approval page (R12). The emailed link is /approval.html#<secret>: a fragment never
// leaves the browser, so no server, CloudFront or access log sees the secret. The page keeps it for
// this tab only (it survives the hosted sign-in's round trip), takes it out of the address bar, and
// hands it to the signed-in API in POST bodies. The API decides who may see and decide: only the
// person the link was sent to, in the role it was sent for.
/* global window, document, sessionStorage, location, history, URL, Blob */
(() => {
  'use strict';
  const SECRET_KEY = 'privacy-desk-approval-secret';
  const auth = window.PrivacyDeskSignIn;
  const { el, show, problemOf } = auth.ui;
  const $ = (id) => document.getElementById(id);

  const fromLink = location.hash.replace(/^#/, '');
  if (/^[A-Za-z0-9_-]{32,64}$/.test(fromLink)) sessionStorage.setItem(SECRET_KEY, fromLink);
  if (location.hash) history.replaceState(history.state, '', location.pathname + location.search);
  const secret = () => sessionStorage.getItem(SECRET_KEY) || '';

  const post = (path, body) => auth.api('POST', path, { token: secret(), ...body });

  /**
   * The server's page (the same one an emailed link used to show): its HTML was escaped where it was
   * made, from the request's stored data; the site's CSP runs no script from it.
   */
  function place(title, markup) {
    $('approval-title').textContent = title;
    const doc = new window.DOMParser().parseFromString(`<div>${markup}</div>`, 'text/html');
    const body = $('approval-body');
    body.textContent = '';
    for (const node of [...doc.body.firstChild.childNodes]) body.appendChild(document.adoptNode(node));
    const form = body.querySelector('form');
    if (form) form.addEventListener('submit', submit);
    for (const a of body.querySelectorAll('a[href*="?view=order"]')) a.addEventListener('click', openDocument);
  }

  async function answered(res) {
    if (res.headers.get('content-type')?.includes('application/problem+json')) {
      const p = await problemOf(res);
      $('approval-body').textContent = res.status === 400 ? $('approval-body').textContent : '';
      show($('approval-result'), 'error', [`${p.title} (${p.status}): ${p.detail}`]);
      return;
    }
    const page = await res.json();
    place(page.title, page.html);
    if (res.ok) $('approval-title').focus();
  }

  async function load() {
    $('approval').hidden = false;
    $('approval-result').textContent = '';
    if (!secret()) {
      $('approval-body').textContent = '';
      show($('approval-result'), 'error', ['Open this page from the link in your email.']);
      return;
    }
    try {
      await answered(await post('/api/staff/approvals/open', {}));
    } catch (e) {
      if (String(e && e.message) !== 'signed out')
        show($('approval-result'), 'error', ['The network request failed; reload the page to try again.']);
    }
  }

  async function submit(event) {
    event.preventDefault();
    const form = event.target;
    const fields = Object.fromEntries(new window.FormData(form, event.submitter));
    for (const button of form.querySelectorAll('button')) button.disabled = true;
    $('approval-result').textContent = '';
    try {
      const res = await post('/api/staff/approvals/decide', fields);
      if (res.ok) sessionStorage.removeItem(SECRET_KEY);
      await answered(res);
    } catch (e) {
      if (String(e && e.message) !== 'signed out')
        show($('approval-result'), 'error', ['The network request failed; try again.']);
    } finally {
      for (const button of form.querySelectorAll('button')) button.disabled = false;
    }
  }

  /** The order's PDF: saved as a file (its bytes, locally) or opened from storage (a short-lived address, in AWS). */
  async function openDocument(event) {
    event.preventDefault();
    try {
      const res = await post('/api/staff/approvals/document', {});
      if (!res.ok) return show($('approval-result'), 'error', [(await problemOf(res)).detail]);
      if (res.headers.get('content-type')?.includes('application/json')) {
        location.assign((await res.json()).url);
        return;
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '');
      const url = URL.createObjectURL(new Blob([await res.arrayBuffer()], { type: 'application/pdf' }));
      const a = el('a', null, { href: url, download: name ? name[1] : 'court-order.pdf' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      if (String(e && e.message) !== 'signed out')
        show($('approval-result'), 'error', ['The document could not be opened; try again.']);
    }
  }

  auth.init({
    onSignedIn: () => load(),
    onSignedOut() {
      $('approval').hidden = true;
      $('approval-body').textContent = '';
    },
  });
})();
