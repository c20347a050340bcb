// The staff desk (web/staff.html) over the signed-in staff API (CONTRACT.md, "Counsel and staff").
// Every value from the API or the user is set as text, never as markup. Signing in, the token and
// `Authorization: Bearer …` are web/sign-in.js's.
/* global window, document, URL, Blob, URLSearchParams, setTimeout */
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const auth = window.PrivacyDeskSignIn;
  const { el, show, problemOf, clearErrors, fieldErrors } = auth.ui;
  const api = auth.api;
  let current = null; // the request on screen
  // R1, R12: what the signed-in role may do (the API says, with the queue); the page offers only that.
  let actions = [];
  const may = (action) => actions.includes(action);

  const KIND_NAMES = {
    access: 'See records',
    export: 'Copy of data',
    correction: 'Correction',
    deletion: 'Deletion',
    'guardian-access': 'Guardian access',
    'third-party': 'Third party',
    'court-order': 'Court order',
    'outreach-opt-out': 'Outreach opt-out',
  };
  const STATUS_NAMES = {
    received: 'Received',
    verifying: 'Verifying',
    'awaiting-staff': 'Waiting on staff',
    'awaiting-consent': 'Waiting for consent',
    'awaiting-approval': 'Waiting for approval',
    'in-progress': 'In progress',
    waiting: 'Waiting on a system',
    completed: 'Completed',
    denied: 'Denied',
    cancelled: 'Cancelled',
    expired: 'Expired',
    failed: 'Failed',
  };
  const PURPOSES = {
    'verify-identity': 'the patron to confirm by email',
    'verify-in-person': 'staff to verify the patron at the desk',
    approve: 'a staff decision',
    'confirm-email': 'the new email address to be confirmed',
    'confirm-phone': 'the desk to confirm a new phone number by calling it',
    consent: 'the data subject’s consent',
    'guardian-link': 'the desk to record a guardian’s link',
    'system-task': 'staff to work in a library system',
  };
  const DESK_CHECKS = {
    'second-staff': 'a second staff member',
    'patron-email': 'the patron, by the email on their record',
  };
  const SYSTEM_RESULTS = {
    done: 'done',
    'not-held': 'holds nothing',
    'could-not': 'could not be done',
    waiting: 'waiting',
  };
  // R19: the library systems a waiting request still waits on, by name.
  const waitingSystems = (systems) =>
    (systems || [])
      .filter((s) => s.result === 'waiting')
      .map((s) => s.system)
      .join(', ');
  const name = (map, key) => map[key] || key;
  const day = (iso) => (iso ? String(iso).slice(0, 10) : '');
  const when = (iso) => {
    try {
      return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
    } catch {
      return String(iso);
    }
  };

  // ---------------------------------------------------------------- queue

  function daysText(r) {
    if (r.overdue) return `${Math.abs(r.daysLeft)} ${Math.abs(r.daysLeft) === 1 ? 'day' : 'days'} overdue`;
    if (r.daysLeft === 0) return 'Due today';
    return `${r.daysLeft} ${r.daysLeft === 1 ? 'day' : 'days'}`;
  }

  function renderQueue(body) {
    const rows = $('queue-rows');
    rows.textContent = '';
    const list = body.requests || [];
    for (const r of list) {
      const tr = el('tr');
      // The visible words are the accessible name (WCAG 2.5.3): the id's first part tells requests apart.
      const open = el('button', `Open request ${r.requestId.slice(0, 8)}`, {
        type: 'button',
        class: 'link-button',
        'data-request-id': r.requestId,
      });
      open.addEventListener('click', () => openRequest(r.requestId));
      const first = el('td', null, { 'data-label': 'Request' });
      first.appendChild(open);
      tr.appendChild(first);
      tr.appendChild(el('td', name(KIND_NAMES, r.kind), { 'data-label': 'Kind' }));
      const on = waitingSystems(r.systems);
      tr.appendChild(el('td', name(STATUS_NAMES, r.status) + (on ? `: ${on}` : ''), { 'data-label': 'Status' }));
      tr.appendChild(el('td', day(r.dueAt) + (r.extended ? ' (extended)' : ''), { 'data-label': 'Due' }));
      const left = el('td', daysText(r) + (r.paused ? ' (clock paused)' : ''), { 'data-label': 'Days left' });
      if (r.overdue) left.className = 'overdue';
      tr.appendChild(left);
      rows.appendChild(tr);
    }
    $('queue-table').hidden = list.length === 0;
    const filters = body.filters || {};
    const what = `${filters.status === 'open' ? 'open requests' : `${name(STATUS_NAMES, filters.status)} requests`}${filters.kind && filters.kind !== 'any' ? `, ${name(KIND_NAMES, filters.kind)}` : ''}`;
    $('queue-caption').textContent =
      `${list.length} ${what}, soonest due first${body.truncated ? ' (only the first shown)' : ''}`;
    if (list.length === 0) show($('queue-result'), 'info', [`No ${what}.`]);
    else $('queue-result').textContent = '';
  }

  async function loadQueue() {
    const params = new URLSearchParams();
    if ($('filter-status').value) params.set('status', $('filter-status').value);
    if ($('filter-kind').value) params.set('kind', $('filter-kind').value);
    try {
      const res = await api('GET', `/api/staff/requests${params.toString() ? `?${params}` : ''}`);
      if (!res.ok) {
        const p = await problemOf(res);
        return show($('queue-result'), 'error', [`${p.title} (${p.status}): ${p.detail}`]);
      }
      const body = await res.json();
      actions = Array.isArray(body.actions) ? body.actions : [];
      $('on-behalf').hidden = !may('desk-request');
      $('on-behalf-nav').hidden = !may('desk-request');
      renderQueue(body);
    } catch (e) {
      if (e.message !== 'signed out') show($('queue-result'), 'error', ['The network request failed; try again.']);
    }
  }

  $('queue-form').addEventListener('submit', (event) => {
    event.preventDefault();
    loadQueue();
  });

  // ---------------------------------------------------------------- one request

  function addTerm(dl, term, value) {
    if (value === undefined || value === null || value === '') return;
    dl.appendChild(el('dt', term));
    dl.appendChild(el('dd', value));
  }

  function renderRequest(r) {
    current = r;
    $('request-title').textContent = `Request ${r.requestId}`;
    const dl = $('request-summary');
    dl.textContent = '';
    addTerm(dl, 'Kind', name(KIND_NAMES, r.kind));
    addTerm(dl, 'Status', name(STATUS_NAMES, r.status));
    addTerm(dl, 'Received', when(r.createdAt));
    addTerm(
      dl,
      'Due',
      `${day(r.dueAt)} (${daysText(r)}${r.paused ? ', clock paused while waiting on the requester' : ''})`,
    );
    if (r.closedAt) addTerm(dl, 'Closed', when(r.closedAt));
    if (r.patron)
      addTerm(
        dl,
        'Patron',
        `${r.patron.name}, card ${r.patron.cardNumber}${r.patron.emailOnFile ? '' : ' (no email on file)'}`,
      );
    // R1: the details exist but are not this reader's to see: say so rather than leave a gap.
    if (r.patronDetails === 'not-assigned')
      addTerm(
        dl,
        'Patron',
        'Not assigned: shown to the privacy officer, the director and staff holding a task on this request.',
      );
    if (r.requester) addTerm(dl, 'Requester (guardian)', `${r.requester.name}, card ${r.requester.cardNumber}`);
    if (r.thirdParty && r.thirdParty.name)
      addTerm(
        dl,
        'Third party',
        `${r.thirdParty.name}${r.thirdParty.organization ? `, ${r.thirdParty.organization}` : ''}`,
      );
    if (r.thirdParty && r.thirdParty.categories)
      addTerm(dl, 'Categories asked for', r.thirdParty.categories.join(', '));
    if (r.changes) addTerm(dl, 'Fields to correct', r.changes.join(', '));
    if (r.verification) {
      const v = r.verification;
      addTerm(
        dl,
        'Verified',
        v.method === 'in-person'
          ? `In person by ${v.verifiedByStaffId || 'staff'} (${v.verifiedByRole || 'staff'}), ${v.documentKind || 'document'}, ${when(v.verifiedAt)}`
          : `By email link, ${when(v.verifiedAt)}`,
      );
    } else if (r.matched === false) addTerm(dl, 'Verified', 'No patron matched: the request ends quietly.');
    if (r.submittedByStaff) addTerm(dl, 'Made at the desk by', r.submittedByStaff);
    if (r.deskCheck)
      addTerm(
        dl,
        'Confirmed by',
        r.deskCheck.approvedBy
          ? `${r.deskCheck.approvedBy} (second staff member), ${when(r.deskCheck.approvedAt)}`
          : `Waiting for ${name(DESK_CHECKS, r.deskCheck.via)}`,
      );
    if (r.handOver)
      addTerm(
        dl,
        'Handed over',
        r.handOver.status === 'done'
          ? `In person by ${r.handOver.byStaffId}, ID seen: ${r.handOver.documentKind}, ${when(r.handOver.at)}`
          : 'Not yet: the printed file waits at the desk.',
      );
    if (r.extension)
      addTerm(
        dl,
        'Extended',
        `${r.extension.days} days by ${r.extension.byStaffId || r.extension.role} on ${day(r.extension.at)}${r.extension.reason ? `: ${r.extension.reason}` : ''}`,
      );
    if (r.denial) addTerm(dl, 'Denied', r.denial.code);
    if (r.failure) addTerm(dl, 'Failed', r.failure.error);

    const decisions = $('request-decisions');
    decisions.textContent = '';
    for (const d of r.decisions || [])
      decisions.appendChild(
        el(
          'li',
          `${d.step}: ${d.decision === 'approve' ? 'approved' : 'rejected'} by ${d.byStaffId} (${d.role}), ${when(d.at)}${d.reason ? `. Reason: ${d.reason}` : ''}`,
        ),
      );
    if (!decisions.children.length) decisions.appendChild(el('li', 'None yet.'));

    const pending = $('request-pending');
    pending.textContent = '';
    for (const p of r.pending || [])
      pending.appendChild(
        el(
          'li',
          `${name(PURPOSES, p.purpose)}${p.purpose === 'approve' || p.purpose === 'system-task' ? ` (${p.step})` : ''}, from ${p.waitingOn}, until ${when(p.expiresAt)}`,
        ),
      );
    // R19: each library system the request reaches, what it answered and who answered a manual one.
    for (const sys of r.systems || [])
      pending.appendChild(
        el(
          'li',
          `${sys.system}: ${name(SYSTEM_RESULTS, sys.result)}${sys.answeredBy ? `, answered by ${sys.answeredBy}` : ''}${sys.answeredAt ? ` on ${when(sys.answeredAt)}` : ''}${sys.reason ? `. Reason: ${sys.reason}` : ''}`,
        ),
      );
    if (!pending.children.length) pending.appendChild(el('li', 'Nothing: no step is waiting on anyone.'));

    $('approve-desk').hidden = !r.canApprove;
    $('approve-desk-result').textContent = '';
    $('handover').hidden = !r.canHandOver;
    $('handover-result').textContent = '';
    $('handover-form').reset();
    clearErrors($('handover-form'));
    $('extend').hidden = !may('extend-deadline');
    $('extend-form').hidden = !r.canExtend;
    $('extend-closed').hidden = r.canExtend;
    $('extend-closed-text').textContent = r.extension
      ? 'This request’s deadline was already extended once.'
      : 'Only an open request’s deadline can be extended.';
    $('extend-result').textContent = '';
    $('extend-form').reset();
    clearErrors($('extend-form'));

    const history = $('request-history');
    history.textContent = '';
    for (const h of r.history || [])
      history.appendChild(
        el(
          'li',
          `${when(h.at)}: ${h.type}${h.actor && h.actor.id ? ` (${h.actor.id})` : h.actor ? ` (${h.actor.kind})` : ''}`,
        ),
      );

    const chain = r.audit && r.audit.chain;
    $('audit-chain').textContent =
      chain && chain.ok
        ? `The audit trail is intact: ${chain.count} events, each chained to the one before.`
        : `Warning: the audit trail is broken at event ${chain && chain.firstBreak ? chain.firstBreak.seq : '?'}.`;
    const rows = $('audit-rows');
    rows.textContent = '';
    for (const e of (r.audit && r.audit.events) || []) {
      const tr = el('tr');
      tr.appendChild(el('td', e.seq, { 'data-label': '#' }));
      tr.appendChild(el('td', when(e.at), { 'data-label': 'When' }));
      tr.appendChild(
        el('td', e.type + (e.data && e.data.purpose ? ` (${e.data.purpose})` : ''), { 'data-label': 'Event' }),
      );
      tr.appendChild(
        el('td', e.actor.id ? `${e.actor.id}${e.actor.role ? ` (${e.actor.role})` : ''}` : e.actor.kind, {
          'data-label': 'By',
        }),
      );
      rows.appendChild(tr);
    }
    $('audit-result').textContent = '';
  }

  async function openRequest(requestId) {
    try {
      const res = await api('GET', `/api/staff/requests/${encodeURIComponent(requestId)}`);
      if (!res.ok) {
        const p = await problemOf(res);
        return show($('queue-result'), 'error', [`${p.title} (${p.status}): ${p.detail}`]);
      }
      renderRequest(await res.json());
      $('request').hidden = false;
      $('request-title').focus();
    } catch (e) {
      if (e.message !== 'signed out') show($('queue-result'), 'error', ['The network request failed; try again.']);
    }
  }

  $('back-to-queue').addEventListener('click', () => {
    $('request').hidden = true;
    loadQueue();
    $('queue-title').focus();
  });

  /** A desk action on the request on screen, then the request read again to show what changed. */
  async function act(path, body, result) {
    const requestId = current.requestId;
    try {
      const res = await api('POST', `/api/staff/requests/${encodeURIComponent(requestId)}/${path}`, body);
      if (!res.ok) {
        const p = await problemOf(res);
        show(result, 'error', [`${p.title} (${p.status}): ${p.detail}`]);
        return p;
      }
      await openRequest(requestId);
      show(result, 'success', [path === 'approve' ? 'Approved: the request goes on.' : 'The hand-over is recorded.']);
      return undefined;
    } catch (e) {
      if (e.message !== 'signed out') show(result, 'error', ['The network request failed; try again.']);
      return undefined;
    }
  }

  $('approve-desk-button').addEventListener('click', () => act('approve', undefined, $('approve-desk-result')));

  $('handover-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = $('handover-form');
    clearErrors(form);
    const fieldFor = () => $('handover-documentKind');
    const documentKind = $('handover-documentKind').value;
    if (!documentKind) {
      fieldErrors(form, [{ path: 'documentKind', message: 'Choose the ID you saw.' }], fieldFor);
      return;
    }
    const p = await act('hand-over', { documentKind }, $('handover-result'));
    if (p && p.errors) fieldErrors(form, p.errors, fieldFor);
  });

  $('extend-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    clearErrors(form);
    const days = $('extend-days').value.trim();
    const reason = $('extend-reason').value.trim();
    const local = [];
    if (!/^\d+$/.test(days) || Number(days) < 1 || Number(days) > 60)
      local.push({ path: 'days', message: 'Give a whole number of days from 1 to 60.' });
    if (!reason) local.push({ path: 'reason', message: 'Give the reason; the requester will read it.' });
    const fieldFor = (path) => ({ days: $('extend-days'), reason: $('extend-reason') })[path];
    if (local.length) return fieldErrors(form, local, fieldFor);
    try {
      const res = await api('POST', `/api/staff/requests/${encodeURIComponent(current.requestId)}/extend`, {
        days: Number(days),
        reason,
      });
      if (!res.ok) {
        const p = await problemOf(res);
        const rest = fieldErrors(form, p.errors, fieldFor);
        return show($('extend-result'), 'error', [`${p.title} (${p.status}): ${p.detail}`, ...rest], !p.errors.length);
      }
      const body = await res.json();
      show(
        $('extend-result'),
        'success',
        [
          `The new due date is ${day(body.dueAt)}.`,
          body.requesterNotified
            ? 'The requester was emailed the new date and the reason.'
            : 'The requester has no email on file: tell them in person.',
        ],
        true,
      );
      $('extend-form').hidden = true;
    } catch (e) {
      if (e.message !== 'signed out') show($('extend-result'), 'error', ['The network request failed; try again.']);
    }
  });

  /** Fetches a file with the token and hands it to the browser as a download. */
  async function download(path, fallbackName, region) {
    try {
      const res = await api('GET', path);
      if (!res.ok) {
        const p = await problemOf(res);
        return show(region, 'error', [`${p.title} (${p.status}): ${p.detail}`]);
      }
      const disposition = res.headers.get('content-disposition') || '';
      const match = /filename="([^"]+)"/.exec(disposition);
      const blob = await res.blob();
      const href = URL.createObjectURL(new Blob([blob], { type: 'text/csv' }));
      const a = el('a', null, { href, download: match ? match[1] : fallbackName });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
      show(region, 'success', [`Downloaded ${match ? match[1] : fallbackName}.`]);
    } catch (e) {
      if (e.message !== 'signed out') show(region, 'error', ['The download failed; try again.']);
    }
  }

  $('audit-csv').addEventListener('click', () => {
    if (current)
      download(
        `/api/staff/requests/${encodeURIComponent(current.requestId)}/audit.csv`,
        `audit-${current.requestId}.csv`,
        $('audit-result'),
      );
  });

  // ---------------------------------------------------------------- at the desk

  const obForm = $('on-behalf-form');
  // R4, R6: a report, an export or a contact change needs a second confirmation (domain/desk-checks.ts).
  const needsConfirmation = () => {
    const kind = (obForm.querySelector('input[name="kind"]:checked') || {}).value;
    if (kind === 'access' || kind === 'export') return true;
    return kind === 'correction' && ['email', 'phone'].some((f) => $(`ob-changes-${f}`).value.trim() !== '');
  };
  const syncCorrection = () => {
    $('ob-correction').hidden = !$('ob-kind-correction').checked;
    $('ob-confirmation').hidden = !needsConfirmation();
  };
  for (const radio of obForm.querySelectorAll('input[name="kind"]')) radio.addEventListener('change', syncCorrection);
  for (const f of ['email', 'phone']) $(`ob-changes-${f}`).addEventListener('input', syncCorrection);
  syncCorrection();

  obForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(obForm);
    $('on-behalf-errors').textContent = '';
    const kind = (obForm.querySelector('input[name="kind"]:checked') || {}).value;
    const body = {
      kind,
      cardNumber: $('ob-cardNumber').value.trim(),
      lastName: $('ob-lastName').value.trim(),
      documentKind: $('ob-documentKind').value,
    };
    if (kind === 'correction') {
      const changes = {};
      for (const f of ['firstName', 'lastName', 'email', 'phone', 'dateOfBirth']) {
        const v = $(`ob-changes-${f}`).value.trim();
        if (v) changes[f] = v;
      }
      body.changes = changes;
    }
    const confirmation = (obForm.querySelector('input[name="confirmation"]:checked') || {}).value;
    if (needsConfirmation() && confirmation) body.confirmation = confirmation;
    const fieldFor = (path) => {
      if (path === 'kind') return $('ob-kind-access');
      if (path === 'confirmation') return $('ob-confirmation-second-staff');
      if (path === 'changes' || path === 'changes.') return $('ob-changes-firstName');
      if (path.startsWith('changes.')) return $(`ob-changes-${path.slice(8)}`);
      return {
        cardNumber: $('ob-cardNumber'),
        lastName: $('ob-lastName'),
        documentKind: $('ob-documentKind'),
        notRetained: $('ob-notRetained'),
      }[path];
    };
    const local = [];
    if (!kind) local.push({ path: 'kind', message: 'Choose what the patron asks for.' });
    if (!/^[0-9]{6,20}$/.test(body.cardNumber))
      local.push({ path: 'cardNumber', message: 'A card number is 6 to 20 digits.' });
    if (!body.lastName) local.push({ path: 'lastName', message: 'Give the last name on the library record.' });
    if (!body.documentKind) local.push({ path: 'documentKind', message: 'Choose how you verified the patron.' });
    if (!$('ob-notRetained').checked)
      local.push({ path: 'notRetained', message: 'Confirm that no copy of the document was made.' });
    if (needsConfirmation() && !confirmation)
      local.push({ path: 'confirmation', message: 'Choose who confirms it besides you.' });
    if (kind === 'correction' && Object.keys(body.changes).length === 0)
      local.push({ path: 'changes', message: 'Fill in at least one correction.' });
    if (local.length) {
      show($('on-behalf-errors'), 'error', [
        `Please correct ${local.length === 1 ? 'one field' : `${local.length} fields`}.`,
      ]);
      fieldErrors(obForm, local, fieldFor);
      return;
    }
    try {
      const res = await api('POST', '/api/staff/requests', body);
      if (res.status !== 202) {
        const p = await problemOf(res);
        show($('on-behalf-errors'), 'error', [`${p.title} (${p.status}): ${p.detail}`]);
        const rest = fieldErrors(obForm, p.errors, fieldFor);
        if (rest.length) show($('on-behalf-errors'), 'error', [`${p.title} (${p.status}): ${p.detail}`, ...rest]);
        return;
      }
      const made = await res.json();
      obForm.reset();
      syncCorrection();
      show(
        $('on-behalf-result'),
        'success',
        [
          `The request is made and verified in person: ${made.requestId}.`,
          ...(body.confirmation === 'second-staff'
            ? ['It waits until a second staff member approves it on the desk.']
            : body.confirmation === 'patron-email'
              ? ['It waits until the patron confirms it through the email on their record.']
              : []),
          `The patron can follow it at ${new URL(made.statusUrl, document.baseURI).href} (print it for them; it shows the status only).`,
        ],
        true,
      );
      loadQueue();
    } catch (e) {
      if (e.message !== 'signed out')
        show($('on-behalf-result'), 'error', ['The network request failed; nothing was made. Try again.']);
    }
  });

  // ---------------------------------------------------------------- statistics

  const statsQuery = (format) => {
    const params = new URLSearchParams();
    if ($('stats-from').value) params.set('from', $('stats-from').value);
    if ($('stats-to').value) params.set('to', $('stats-to').value);
    if (format) params.set('format', format);
    const q = params.toString();
    return `/api/staff/stats${q ? `?${q}` : ''}`;
  };

  /** R3: a count as the report gives it: a number, "<5", or "hidden" (withheld to protect a small count). */
  const countText = (v) => (v === 'hidden' ? 'not shown' : String(v));

  function countTable(caption, head, counts, names) {
    const table = el('table', null, { class: 'data-table' });
    table.appendChild(el('caption', caption));
    const thead = el('thead');
    const hr = el('tr');
    hr.appendChild(el('th', head, { scope: 'col' }));
    hr.appendChild(el('th', 'Requests', { scope: 'col' }));
    thead.appendChild(hr);
    table.appendChild(thead);
    const tbody = el('tbody');
    for (const [k, v] of Object.entries(counts)) {
      const tr = el('tr');
      tr.appendChild(el('th', names ? name(names, k) : k, { scope: 'row' }));
      tr.appendChild(el('td', countText(v)));
      tbody.appendChild(tr);
    }
    table.appendChild(tbody);
    return table;
  }

  const statsFields = (path) => ({ from: $('stats-from'), to: $('stats-to') })[path];

  $('stats-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    clearErrors(form);
    try {
      const res = await api('GET', statsQuery());
      if (!res.ok) {
        const p = await problemOf(res);
        const rest = fieldErrors(form, p.errors, statsFields);
        return show($('stats-result'), 'error', [`${p.title} (${p.status}): ${p.detail}`, ...rest], !p.errors.length);
      }
      const s = await res.json();
      const out = $('stats-tables');
      out.textContent = '';
      const dl = el('dl', null, { class: 'summary' });
      addTerm(dl, 'Range', `${s.from} to ${s.to} (${s.timezone})`);
      addTerm(dl, 'Requests received', countText(s.total));
      addTerm(dl, 'Completed', countText(s.completed));
      addTerm(
        dl,
        'Median days to complete',
        s.medianDaysToComplete === null
          ? 'Not shown: it needs at least 5 completed in every month, with that count shown'
          : s.medianDaysToComplete,
      );
      addTerm(dl, 'Open and overdue now', countText(s.overdue));
      addTerm(dl, 'Completed after the due date', countText(s.completedLate));
      out.appendChild(dl);
      out.appendChild(countTable('By kind', 'Kind', s.byKind, KIND_NAMES));
      out.appendChild(countTable('By status', 'Status', s.byStatus, STATUS_NAMES));
      out.appendChild(countTable('By month received', 'Month', s.byMonth));
      show($('stats-result'), 'info', [
        'Counts under 5 are shown as “<5”. Each month is counted on its own; a figure over several months is shown only when every month shows its own as a number, so that no report can be subtracted from another to reveal a small count. Otherwise it is “not shown”: read the months one at a time.',
      ]);
    } catch (e) {
      if (e.message !== 'signed out') show($('stats-result'), 'error', ['The network request failed; try again.']);
    }
  });

  $('stats-csv').addEventListener('click', () =>
    download(statsQuery('csv'), 'privacy-desk-statistics.csv', $('stats-result')),
  );

  // ---------------------------------------------------------------- start

  auth.init({
    async onSignedIn(_token, _who, interactive) {
      $('desk').hidden = false;
      await loadQueue();
      if (interactive) $('queue-title').focus();
    },
    onSignedOut() {
      $('desk').hidden = true;
      $('request').hidden = true;
    },
    local: { email: 'privacy@library.example', role: 'privacy-officer' },
  });
})();
