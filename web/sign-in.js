// Staff sign-in, shared by the signed-in pages (staff.html, counsel.html) so that both sign in, keep
// the token and sign out the same way.
//
// - In the Library's deployment the site serves /auth-config.json: OAuth 2.0 authorization code with
//   PKCE (S256) against the Cognito hosted sign-in. The web client is public (no secret), so PKCE and
//   the checked `state` are what tie the returning code to this tab's own sign-in.
// - On a local runtime (`npm start`) that file does not exist (404): staff of the demo data get a
//   token from POST /_local/token without a password.
//
// The ID token is kept for this browser tab only (sessionStorage), never a refresh token. Its payload
// is read for display and expiry only: the API checks the token itself on every call.
// Every value from the sign-in page, the API or the user is set as text, never as markup.
/* global window, document, fetch, sessionStorage, location, history, crypto, TextEncoder, TextDecoder, URL, URLSearchParams, atob, btoa, setTimeout, clearTimeout */
(() => {
  'use strict';
  const TOKEN_KEY = 'privacy-desk-staff-token';
  const FLOW_KEY = 'privacy-desk-sign-in-flow';
  const RETURN_PARAMS = ['code', 'state', 'error', 'error_description', 'error_uri'];
  const ROLES = {
    'privacy-officer': 'Privacy officer',
    director: 'Director',
    counsel: 'Counsel',
    circulation: 'Circulation',
  };
  const EXPIRED = 'Your sign-in has expired. Please sign in again.';
  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- page helpers (also used by the pages)

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  /** A message in a live region; errors are alerts and take focus so they are not missed. */
  function show(region, kind, lines, focus) {
    region.textContent = '';
    const box = el('div', null, { class: `notice notice-${kind}` });
    if (kind === 'error') box.setAttribute('role', 'alert');
    const label = { info: 'Note', success: 'Done', error: 'Problem' }[kind];
    lines.forEach((text, i) => {
      const p = el('p');
      if (i === 0) p.appendChild(el('strong', `${label}: `));
      p.appendChild(document.createTextNode(text));
      box.appendChild(p);
    });
    region.appendChild(box);
    if (focus || kind === 'error') {
      box.setAttribute('tabindex', '-1');
      box.focus();
    }
  }

  async function problemOf(res) {
    let body;
    try {
      body = (await res.json()) || {};
    } catch {
      body = {};
    }
    return {
      status: res.status,
      title: body.title || 'Problem',
      detail: body.detail || 'The request was refused.',
      errors: Array.isArray(body.errors) ? body.errors : [],
    };
  }

  /** Clears a form's field errors. */
  function clearErrors(form) {
    for (const e of form.querySelectorAll('.field-error')) e.remove();
    for (const input of form.querySelectorAll('[aria-invalid]')) {
      input.removeAttribute('aria-invalid');
      const ids = (input.getAttribute('aria-describedby') || '')
        .split(' ')
        .filter((id) => id && !id.endsWith('-error'));
      if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
      else input.removeAttribute('aria-describedby');
    }
  }

  /** Ties each error to its field (aria-describedby, aria-invalid) and focuses the first one. */
  function fieldErrors(form, errors, fieldFor) {
    let first = null;
    const unplaced = [];
    for (const e of errors) {
      const input = fieldFor(e.path);
      if (!input) {
        unplaced.push(`${e.path}: ${e.message}`);
        continue;
      }
      const id = `${input.id}-error`;
      if (!document.getElementById(id)) {
        const msg = el('span', e.message, { class: 'field-error', id });
        const anchor = input.closest('.choice') || input;
        anchor.insertAdjacentElement('afterend', msg);
        input.setAttribute('aria-invalid', 'true');
        const ids = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
        input.setAttribute('aria-describedby', [...ids, id].join(' '));
      }
      first = first || input;
    }
    if (first) first.focus();
    return unplaced;
  }

  // ---------------------------------------------------------------- the token

  const b64url = (bytes) =>
    btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

  /** The token's claims, for display and expiry only (the API verifies the signature). */
  function claimsOf(jwt) {
    try {
      const part = String(jwt).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
      return claims && typeof claims === 'object' ? claims : null;
    } catch {
      return null;
    }
  }

  const expired = (claims) => !claims || typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now();

  function whoOf(claims) {
    const roles = [].concat(claims['cognito:groups'] || []).filter((r) => typeof r === 'string');
    return {
      email: typeof claims.email === 'string' ? claims.email : '',
      roles,
      expiresAt: new Date(claims.exp * 1000),
    };
  }

  let config = null; // { mode: 'aws', signInUrl, clientId, scopes } | { mode: 'local' } | { mode: 'broken' }
  let handlers = { onSignedIn() {}, onSignedOut() {} };
  let current = '';
  let expiryTimer;

  function forget() {
    current = '';
    sessionStorage.removeItem(TOKEN_KEY);
    clearTimeout(expiryTimer);
  }

  function showSignedOut() {
    $('signed-in').hidden = true;
    $('signed-out').hidden = false;
  }

  /** Signs out in this tab only (an expired or refused token): the page stays, with the message. */
  function signOut(message) {
    forget();
    showSignedOut();
    $('signin-result').textContent = '';
    if (message) show($('signin-result'), 'error', [message]);
    handlers.onSignedOut(message);
  }

  /** The current token, or '' once it has expired (then the page is signed out, saying why). */
  function token() {
    if (current && expired(claimsOf(current))) signOut(EXPIRED);
    return current;
  }

  async function signedIn(jwt, interactive) {
    const claims = claimsOf(jwt);
    if (expired(claims)) return signOut(EXPIRED);
    current = jwt;
    sessionStorage.setItem(TOKEN_KEY, jwt);
    const who = whoOf(claims);
    clearTimeout(expiryTimer);
    // setTimeout's limit is about 24 days; an ID token lasts an hour.
    expiryTimer = setTimeout(
      () => {
        if (current === jwt) signOut(EXPIRED);
      },
      Math.min(who.expiresAt.getTime() - Date.now(), 2 ** 31 - 1),
    );
    if (interactive) $('signin-result').textContent = '';
    // The page checks the token against the API first, and may sign out (401) before anything shows.
    await handlers.onSignedIn(jwt, who, interactive);
    if (current !== jwt) return;
    $('who').textContent = `Signed in as ${who.email || 'unknown'} (${who.roles.join(', ') || 'no role'}).`;
    $('signed-out').hidden = true;
    $('signed-in').hidden = false;
  }

  /** An authorised call to the API; a 401 signs out (and throws 'signed out', which callers ignore). */
  async function api(method, path, body) {
    const jwt = token();
    if (!jwt) throw new Error('signed out');
    const headers = { authorization: `Bearer ${jwt}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (res.status === 401) {
      signOut('Your sign-in has expired or is not valid. Please sign in again.');
      throw new Error('signed out');
    }
    return res;
  }

  // ---------------------------------------------------------------- the Library's sign-in (Cognito, PKCE)

  async function loadConfig() {
    let res;
    try {
      res = await fetch('/auth-config.json', { cache: 'no-store' });
    } catch {
      return {
        mode: 'broken',
        message: 'The sign-in settings could not be loaded; check the connection and reload the page.',
      };
    }
    if (res.status === 404) return { mode: 'local' };
    try {
      const c = await res.json();
      if (
        !res.ok ||
        typeof c.clientId !== 'string' ||
        !c.clientId ||
        typeof c.signInUrl !== 'string' ||
        !/^https:\/\/[^/?#]+\/?$/.test(c.signInUrl)
      )
        throw new Error('incomplete');
      return {
        mode: 'aws',
        clientId: c.clientId,
        signInUrl: c.signInUrl.replace(/\/$/, ''),
        scopes: typeof c.scopes === 'string' && c.scopes ? c.scopes : 'openid email profile',
      };
    } catch {
      return {
        mode: 'broken',
        message:
          'This site’s sign-in settings (/auth-config.json) could not be read. Please tell the Library’s IT team.',
      };
    }
  }

  async function startSignIn() {
    if (!crypto.subtle)
      return show($('signin-result'), 'error', ['Signing in needs a secure (https) connection to this page.']);
    // 48 random bytes: a 64-character verifier (RFC 7636 asks for 43 to 128).
    const flow = { state: random(24), verifier: random(48), redirectUri: location.origin + location.pathname };
    sessionStorage.setItem(FLOW_KEY, JSON.stringify(flow));
    const challenge = b64url(
      new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(flow.verifier))),
    );
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: config.clientId,
      redirect_uri: flow.redirectUri,
      scope: config.scopes,
      state: flow.state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    location.assign(`${config.signInUrl}/oauth2/authorize?${query}`);
  }

  /** Back from the sign-in page with `?code=&state=` (or `?error=`): finish in this tab, or say why not. */
  async function finishSignIn(params) {
    let flow;
    try {
      flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) || 'null');
    } catch {
      flow = null;
    }
    // A code is single-use and the flow is too: neither stays in the address bar, the history or storage.
    sessionStorage.removeItem(FLOW_KEY);
    const url = new URL(location.href);
    for (const p of RETURN_PARAMS) url.searchParams.delete(p);
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);

    const result = $('signin-result');
    if (params.has('error')) {
      // Only the error code is shown, never error_description: anyone can put words in a link to this page.
      const code = /^[a-z_]{1,40}$/.test(params.get('error')) ? params.get('error') : 'unknown';
      const why =
        code === 'access_denied'
          ? 'the sign-in was cancelled or refused'
          : `the sign-in page reported a problem (${code})`;
      return show(result, 'error', [`You are not signed in: ${why}. Please try again.`]);
    }
    const code = params.get('code');
    if (!flow || !code || params.get('state') !== flow.state || typeof flow.verifier !== 'string') {
      return show(result, 'error', [
        'You are not signed in: this answer from the sign-in page does not belong to a sign-in started in this browser tab (it may be old, or come from another tab or site). Nothing was used. Please sign in again.',
      ]);
    }
    let res;
    try {
      res = await fetch(`${config.signInUrl}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: config.clientId,
          code,
          redirect_uri: flow.redirectUri,
          code_verifier: flow.verifier,
        }).toString(),
      });
    } catch {
      return show(result, 'error', ['You are not signed in: the sign-in page could not be reached. Please try again.']);
    }
    let body;
    try {
      body = (await res.json()) || {};
    } catch {
      body = {};
    }
    if (!res.ok || typeof body.id_token !== 'string' || !claimsOf(body.id_token)) {
      const reason = typeof body.error === 'string' && /^[a-z_]{1,40}$/.test(body.error) ? ` (${body.error})` : '';
      return show(result, 'error', [
        `You are not signed in: the sign-in could not be completed${reason}. Please sign in again.`,
      ]);
    }
    await signedIn(body.id_token, true);
  }

  // ---------------------------------------------------------------- the local runtime's sign-in

  function localForm(defaults) {
    const form = el('form', null, { id: 'local-form', novalidate: '' });
    const email = el('div', null, { class: 'field' });
    const emailLabel = el('label', 'Staff email ', { for: 'local-email' });
    emailLabel.appendChild(el('span', '(required)', { class: 'req' }));
    email.appendChild(emailLabel);
    email.appendChild(
      el('input', null, {
        type: 'email',
        id: 'local-email',
        name: 'email',
        required: '',
        autocomplete: 'username',
        value: defaults.email || 'privacy@library.example',
      }),
    );
    const role = el('div', null, { class: 'field' });
    const roleLabel = el('label', 'Role ', { for: 'local-role' });
    roleLabel.appendChild(el('span', '(required)', { class: 'req' }));
    role.appendChild(roleLabel);
    const select = el('select', null, { id: 'local-role', name: 'role', required: '' });
    for (const [value, text] of Object.entries(ROLES)) select.appendChild(el('option', text, { value }));
    select.value = defaults.role || 'privacy-officer';
    role.appendChild(select);
    const actions = el('div', null, { class: 'actions' });
    actions.appendChild(el('button', 'Get a local token', { type: 'submit', class: 'button button-primary' }));
    form.append(email, role, actions);

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const value = $('local-email').value.trim();
      if (!value)
        return fieldErrors(form, [{ path: 'email', message: 'Give your staff email.' }], () => $('local-email'));
      try {
        const res = await fetch('/_local/token', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: value, groups: [select.value] }),
        });
        if (res.status === 404)
          return show($('signin-result'), 'error', [
            'This Privacy Desk is not a local one: use the Library’s sign-in.',
          ]);
        if (!res.ok) {
          const p = await problemOf(res);
          return show($('signin-result'), 'error', [`${p.title} (${p.status}): ${p.detail}`]);
        }
        await signedIn((await res.json()).token, true);
      } catch {
        show($('signin-result'), 'error', ['The network request failed; try again.']);
      }
    });
    return form;
  }

  // ---------------------------------------------------------------- start

  function renderControls(local) {
    const box = $('sign-in-controls');
    box.textContent = '';
    if (config.mode === 'aws') {
      box.appendChild(
        el(
          'p',
          'Sign in on the Library’s staff sign-in page, with your password and authenticator app; it brings you back here. The sign-in lasts one hour, in this browser tab only.',
        ),
      );
      const actions = el('div', null, { class: 'actions' });
      const button = el('button', 'Sign in', { type: 'button', id: 'sign-in-start', class: 'button button-primary' });
      button.addEventListener('click', () =>
        startSignIn().catch(() =>
          show($('signin-result'), 'error', ['The sign-in could not start; reload the page and try again.']),
        ),
      );
      actions.appendChild(button);
      box.appendChild(actions);
    } else if (config.mode === 'local') {
      box.appendChild(
        el(
          'p',
          'On a Privacy Desk running on this computer (npm start), staff of its demo data sign in without a password. This does not exist in the Library’s deployment.',
        ),
      );
      box.appendChild(localForm(local || {}));
    } else {
      show($('signin-result'), 'error', [config.message]);
    }
  }

  /**
   * Starts sign-in on the page. `onSignedIn(token, who, interactive)` (may be async: the page's first
   * API call) runs before "signed in" shows; `interactive` is false when a reload found the token.
   * `onSignedOut(message)` runs whenever the page must hide what needs the sign-in.
   * `local: { email, role }` pre-fills the local runtime's form.
   */
  async function init(opts) {
    handlers = { ...handlers, ...opts };
    $('sign-out').addEventListener('click', () => {
      forget();
      if (config && config.mode === 'aws') {
        location.assign(
          `${config.signInUrl}/logout?${new URLSearchParams({ client_id: config.clientId, logout_uri: `${location.origin}/` })}`,
        );
        return;
      }
      signOut();
      $('signin-title').focus();
    });
    config = await loadConfig();
    renderControls(opts.local);
    const params = new URLSearchParams(location.search);
    if (config.mode === 'aws' && (params.has('code') || params.has('error'))) {
      await finishSignIn(params);
      if (current) return;
    }
    // A refused return leaves an earlier sign-in of this tab as it was.
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (!saved) return;
    if (expired(claimsOf(saved))) {
      forget();
      if (!$('signin-result').textContent) show($('signin-result'), 'info', [EXPIRED]);
      return;
    }
    await signedIn(saved, false);
  }

  window.PrivacyDeskSignIn = { init, token, signOut, api, ui: { el, show, problemOf, clearErrors, fieldErrors } };
})();
