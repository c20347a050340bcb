// Legal counsel's page (web/counsel.html): a court order in the contract's three steps (R12: the
// details, the PDF straight to storage, submit), then looking an order up and releasing its legal hold
// (R13). Signing in, the token and `Authorization: Bearer …` are web/sign-in.js's.
// Every value from the API or the user is set as text, never as markup.
/* global window, document, fetch, FormData, URL, location */
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const auth = window.PrivacyDeskSignIn;
  const { el, show, problemOf, clearErrors, fieldErrors } = auth.ui;
  const api = auth.api;

  /** The storage's own limit (the S3 policy, and the local upload): checked here to spare a long upload. */
  const MAX_BYTES = 10 * 1024 * 1024;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const NO_ROLE =
    'This account does not have the counsel role, so it cannot upload court orders, look them up or release legal holds. Sign in with the counsel account the Library gave you.';
  const KEPT = 'The details you gave are kept: press “Upload the order” again.';
  const ORDER_TYPES = { subpoena: 'Subpoena', 'court-order': 'Court order', 'search-warrant': 'Search warrant' };
  const STEPS = { 'court-order-review': 'First approval', 'court-order-authorise': 'Second approval' };
  const REQUEST_STATUS = {
    received: 'received',
    'awaiting-approval': 'waiting for approval',
    'in-progress': 'being prepared',
    completed: 'completed: disclosed',
    denied: 'not approved',
    failed: 'failed',
    cancelled: 'cancelled',
  };
  const day = (iso) => (iso ? String(iso).slice(0, 10) : '');
  const when = (iso) => {
    try {
      return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
    } catch {
      return String(iso);
    }
  };
  const categoryName = (c) => {
    const label = document.querySelector(`label[for="cat-${c}"]`);
    return label ? label.textContent : c;
  };

  // ---------------------------------------------------------------- upload

  const form = $('order-create');
  const categoryBoxes = () => [...form.querySelectorAll('input[name="categories"]')];
  const fieldFor = (path) => {
    const root = String(path).split('.')[0];
    if (root === 'categories') return categoryBoxes()[0];
    return $(`order-${root}`);
  };
  /** After step 1 and until submit succeeds: the same details are not sent twice (one order, not two). */
  let pending = null;

  function collect() {
    const v = (id) => $(id).value.trim();
    const body = {
      court: v('order-court'),
      caseNumber: v('order-caseNumber'),
      orderType: $('order-orderType').value,
      issuedOn: v('order-issuedOn'),
      patronCardNumber: v('order-patronCardNumber'),
      categories: categoryBoxes()
        .filter((c) => c.checked)
        .map((c) => c.value),
      nondisclosure: $('order-nondisclosure').checked,
    };
    for (const f of ['from', 'to', 'lapsesOn', 'nondisclosureEndsOn', 'returnOn'])
      if (v(`order-${f}`)) body[f] = v(`order-${f}`);
    // A number the server checks (whole days, within bounds); anything else is sent as typed, to be named.
    const keep = v('order-documentRetentionDays');
    if (keep) body.documentRetentionDays = /^[0-9]+$/.test(keep) ? Number(keep) : keep;
    return body;
  }

  function check(body, file) {
    const errors = [];
    if (!body.court) errors.push({ path: 'court', message: 'Give the court, as printed on the order.' });
    if (!body.caseNumber) errors.push({ path: 'caseNumber', message: 'Give the case number.' });
    if (!body.orderType) errors.push({ path: 'orderType', message: 'Choose the kind of order.' });
    if (!body.issuedOn) errors.push({ path: 'issuedOn', message: 'Give the date the order was issued.' });
    if (!/^[0-9]{6,20}$/.test(body.patronCardNumber))
      errors.push({ path: 'patronCardNumber', message: 'A card number is 6 to 20 digits.' });
    if (!body.categories.length)
      errors.push({ path: 'categories', message: 'Choose at least one kind of record the order covers.' });
    if (!file) errors.push({ path: 'file', message: 'Choose the order as a PDF file.' });
    else if (file.type && !/^application\/(x-)?pdf$/.test(file.type))
      errors.push({ path: 'file', message: 'This file is not a PDF. Choose the order as a PDF file.' });
    else if (file.size > MAX_BYTES)
      errors.push({
        path: 'file',
        message: 'This file is larger than 10 MB. Scan the order at a lower resolution, or in black and white.',
      });
    else if (file.size === 0) errors.push({ path: 'file', message: 'This file is empty.' });
    return errors;
  }

  /** A refusal in plain words at the top of the form, with the field to fix marked and focused. */
  function refuse(lines, errors) {
    show($('order-errors'), 'error', lines);
    return fieldErrors(form, errors || [], fieldFor);
  }

  /** Step 1: the details (or, for the same details as a failed attempt, that order's fresh upload form). */
  async function createOrder(body) {
    const text = JSON.stringify(body);
    if (pending && pending.body === text) {
      const res = await api('GET', `/api/court-orders/${encodeURIComponent(pending.orderId)}`);
      const order = res.ok ? await res.json() : {};
      if (order.upload) return { orderId: pending.orderId, upload: order.upload };
    }
    const res = await api('POST', '/api/court-orders', body);
    if (res.status === 201) {
      const made = await res.json();
      pending = { orderId: made.orderId, body: text };
      return made;
    }
    if (res.status === 403) {
      refuse([NO_ROLE]);
      return null;
    }
    const p = await problemOf(res);
    if (res.status === 400 && p.errors.length) {
      show($('order-errors'), 'error', [
        `Please correct ${p.errors.length === 1 ? 'one field' : `${p.errors.length} fields`}: nothing was stored.`,
      ]);
      const rest = fieldErrors(form, p.errors, fieldFor);
      if (rest.length) show($('order-errors'), 'error', ['Please correct these details: nothing was stored.', ...rest]);
      return null;
    }
    refuse([`${p.title} (${p.status}): ${p.detail}`]);
    return null;
  }

  /** Step 2: the PDF straight to storage, as the upload form says (an S3 presigned POST in AWS). */
  async function uploadFile(upload, file) {
    const data = new FormData();
    for (const [k, v] of Object.entries(upload.fields || {})) data.append(k, v);
    // S3 reads the fields before the file: the file goes last.
    data.append('file', file, file.name);
    let res;
    try {
      res = await fetch(new URL(upload.url, location.href), { method: 'POST', body: data });
    } catch {
      refuse(['The PDF could not be sent: check the connection.', KEPT]);
      return false;
    }
    if (res.ok) return true;
    const text = await res.text().catch(() => '');
    if (res.status === 413 || /EntityTooLarge/.test(text))
      refuse(
        ['The file is larger than 10 MB, so storage refused it.', KEPT],
        [{ path: 'file', message: 'Larger than 10 MB: scan the order at a lower resolution, or in black and white.' }],
      );
    else
      refuse([
        `Storage refused the file (${res.status}); the upload form may have expired. A fresh one is used next time.`,
        KEPT,
      ]);
    return false;
  }

  /** Step 3: the stored file is checked by its content, the hold placed, the approvals started. */
  async function submitOrder(orderId) {
    const res = await api('POST', `/api/court-orders/${encodeURIComponent(orderId)}/submit`);
    if (res.status === 202) return res.json();
    const p = await problemOf(res);
    if (res.status === 415)
      refuse(
        ['The file you chose is not a PDF: the Library checks what is inside the file, not its name.', KEPT],
        [{ path: 'file', message: 'This file is not a PDF. Choose the order as a PDF file.' }],
      );
    else if (res.status === 413)
      refuse(
        ['The file is larger than 10 MB.', KEPT],
        [{ path: 'file', message: 'Larger than 10 MB: scan the order at a lower resolution, or in black and white.' }],
      );
    else if (res.status === 400)
      refuse(['The PDF did not arrive in storage.', KEPT], [{ path: 'file', message: 'Choose the PDF again.' }]);
    else if (res.status === 403) refuse([p.detail.includes('role') ? NO_ROLE : `${p.title}: ${p.detail}`]);
    else refuse([`${p.title} (${p.status}): ${p.detail}`]);
    return null;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    $('order-errors').textContent = '';
    $('order-result').textContent = '';
    const body = collect();
    const file = $('order-file').files[0];
    const local = check(body, file);
    if (local.length)
      return refuse([`Please correct ${local.length === 1 ? 'one field' : `${local.length} fields`}.`], local);
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    show($('order-result'), 'info', ['Sending the order…']);
    try {
      const made = await createOrder(body);
      const done = made && (await uploadFile(made.upload, file)) && (await submitOrder(made.orderId));
      if (!done) {
        $('order-result').textContent = '';
        return;
      }
      pending = null;
      form.reset();
      $('lookup-orderId').value = done.orderId;
      show(
        $('order-result'),
        'success',
        [
          'The order is received.',
          `Order id: ${done.orderId} (keep it: “Look up an order” below shows its progress).`,
          `Request id: ${done.requestId}.`,
          'The person’s records are now on legal hold: nothing of them is deleted or anonymised until the hold is released.',
          'The privacy officer and the director will each be asked by email to approve the order. Once both have, the records it names are sent to you by email as a download link.',
        ],
        true,
      );
    } catch (e) {
      $('order-result').textContent = '';
      if (e.message !== 'signed out') refuse(['The network request failed.', KEPT]);
    } finally {
      button.disabled = false;
    }
  });

  // ---------------------------------------------------------------- look up, release the hold

  let shown = null; // the order on screen

  function addTerm(dl, term, value) {
    if (value === undefined || value === null || value === '') return;
    dl.appendChild(el('dt', term));
    dl.appendChild(el('dd', value));
  }

  function holdText(hold, order) {
    if (!hold) return order.status === 'submitted' ? 'Not found' : 'None: the order was never submitted.';
    if (hold.status === 'active')
      return `In place since ${when(hold.placedAt)}${hold.lapsesOn ? `, until the end of ${hold.lapsesOn}` : ', until released'}.`;
    if (hold.status === 'released') return `Released ${when(hold.releasedAt)} by ${hold.releasedBy || 'counsel'}.`;
    return `Lapsed at the end of ${hold.lapsesOn}.`;
  }

  function render(o) {
    shown = o;
    $('order-view-title').textContent = `Order ${o.orderId}`;
    const dl = $('order-summary');
    dl.textContent = '';
    const r = o.request;
    addTerm(
      dl,
      'Status',
      o.status === 'submitted'
        ? `Submitted${r ? `; the request is ${REQUEST_STATUS[r.status] || r.status}, due ${day(r.dueAt)}` : ''}`
        : 'Waiting for its PDF: never submitted, so nothing happens with it.',
    );
    addTerm(dl, 'Legal hold', holdText(o.hold, o));
    if (r) addTerm(dl, 'Request id', r.requestId);
    addTerm(dl, 'Court', o.court);
    addTerm(dl, 'Case number', o.caseNumber);
    addTerm(dl, 'Kind of order', ORDER_TYPES[o.orderType] || o.orderType);
    addTerm(dl, 'Issued', o.issuedOn);
    addTerm(dl, 'Records it covers', (o.categories || []).map(categoryName).join('; '));
    addTerm(dl, 'Dates it covers', o.from || o.to ? `${o.from || 'any date'} to ${o.to || 'any date'}` : 'All dates');
    addTerm(
      dl,
      'Tell the person',
      !o.nondisclosure
        ? 'Yes, once the records are disclosed'
        : o.nondisclosureEndsOn
          ? `Not until the end of ${o.nondisclosureEndsOn}: then, once, of any disclosure${o.noticeSettledAt ? ` (done ${when(o.noticeSettledAt)})` : ''}`
          : 'No: the order forbids it',
    );
    addTerm(dl, 'Return date', o.returnOn);
    if (o.documents)
      addTerm(
        dl,
        'Documents kept',
        o.documents.deletedAt
          ? `Deleted ${when(o.documents.deletedAt)}, ${o.documents.retentionDays} days after the order was closed.`
          : `${o.documents.retentionDays} days after the order is closed (${o.documents.retentionSetBy === 'order' ? 'set for this order' : "the library's period"})${o.documents.deleteFrom ? `: deleted from ${when(o.documents.deleteFrom)}, unless its legal hold is still in place` : ''}.`,
      );
    addTerm(dl, 'Uploaded by', `${o.uploadedBy}, ${when(o.createdAt)}`);
    if (o.file) addTerm(dl, 'File', `${o.file.size} bytes, SHA-256 ${o.file.sha256}`);

    const decisions = $('order-decisions');
    decisions.textContent = '';
    for (const d of (r && r.decisions) || [])
      decisions.appendChild(
        el(
          'li',
          `${STEPS[d.step] || d.step}: ${d.decision === 'approve' ? 'approved' : 'rejected'} by ${d.by} (${d.role}), ${when(d.at)}${d.reason ? `. Reason: ${d.reason}` : ''}`,
        ),
      );
    if (!decisions.children.length) decisions.appendChild(el('li', 'None yet.'));

    $('release').hidden = !(o.hold && o.hold.status === 'active');
    $('release-confirm').hidden = true;
    $('release-start').hidden = false;
    $('release-result').textContent = '';
    $('order-view').hidden = false;
  }

  /** Shows an order; false (with the reason shown) when it cannot. */
  async function lookup(orderId) {
    const lookupForm = $('lookup-form');
    clearErrors(lookupForm);
    $('lookup-result').textContent = '';
    const res = await api('GET', `/api/court-orders/${encodeURIComponent(orderId)}`);
    if (res.status === 404 || res.status === 400) {
      $('order-view').hidden = true;
      fieldErrors(
        lookupForm,
        [{ path: 'orderId', message: res.status === 404 ? 'No order has this id.' : 'This is not an order id.' }],
        () => $('lookup-orderId'),
      );
      return false;
    }
    if (!res.ok) {
      $('order-view').hidden = true;
      const p = await problemOf(res);
      show($('lookup-result'), 'error', [res.status === 403 ? NO_ROLE : `${p.title} (${p.status}): ${p.detail}`]);
      return false;
    }
    render(await res.json());
    return true;
  }

  $('lookup-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const lookupForm = event.currentTarget;
    clearErrors(lookupForm);
    const orderId = $('lookup-orderId').value.trim();
    if (!UUID.test(orderId)) {
      fieldErrors(
        lookupForm,
        [
          {
            path: 'orderId',
            message: 'An order id is 36 letters, digits and dashes, as shown when the order was received.',
          },
        ],
        () => $('lookup-orderId'),
      );
      return;
    }
    try {
      if (await lookup(orderId)) $('order-view-title').focus();
    } catch (e) {
      if (e.message !== 'signed out') show($('lookup-result'), 'error', ['The network request failed; try again.']);
    }
  });

  $('release-start').addEventListener('click', () => {
    $('release-start').hidden = true;
    $('release-confirm').hidden = false;
    $('release-question').focus();
  });

  $('release-cancel').addEventListener('click', () => {
    $('release-confirm').hidden = true;
    $('release-start').hidden = false;
    $('release-start').focus();
  });

  $('release-yes').addEventListener('click', async () => {
    const orderId = shown.orderId;
    try {
      const res = await api('POST', `/api/court-orders/${encodeURIComponent(orderId)}/release-hold`);
      if (!res.ok) {
        const p = await problemOf(res);
        const why =
          res.status === 403 ? NO_ROLE : res.status === 409 ? p.detail : `${p.title} (${p.status}): ${p.detail}`;
        return show($('release-result'), 'error', [why]);
      }
      const released = await res.json();
      await lookup(orderId);
      // R13: counsel's sign-off is one of two; the privacy officer gives the other.
      if (released.hold.status !== 'released')
        return show(
          $('release-result'),
          'success',
          [
            'Your sign-off is recorded in the audit trail with your name. The hold stays in place until the privacy officer signs off too; nothing is deleted or anonymised until then.',
          ],
          true,
        );
      show(
        $('release-result'),
        'success',
        [
          `The legal hold is released (${when(released.hold.releasedAt)}), recorded in the audit trail with your name. The person’s records may be deleted or anonymised again as usual.`,
        ],
        true,
      );
    } catch (e) {
      if (e.message !== 'signed out')
        show($('release-result'), 'error', [
          'The network request failed; the hold may not be released. Look the order up again to check.',
        ]);
    }
  });

  // ---------------------------------------------------------------- start

  auth.init({
    onSignedIn(_token, who, interactive) {
      $('counsel').hidden = false;
      $('role-note').textContent = '';
      if (!who.roles.includes('counsel')) show($('role-note'), 'info', [NO_ROLE]);
      if (interactive) $('upload-title').focus();
    },
    onSignedOut() {
      $('counsel').hidden = true;
      pending = null;
    },
    local: { email: 'counsel@library.example', role: 'counsel' },
  });
})();
