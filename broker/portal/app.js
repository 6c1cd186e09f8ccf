// SPDX-License-Identifier: Apache-2.0
// deskpool portal: log in, list "my desktops" with live state, connect (.rdp download),
// reset and restart. Talks only to the broker's /api/v1 (docs/API.md, "Self-service").
'use strict';
(() => {
  const API = '/api/v1';
  const POLL_MS = 2000;
  const PROGRESS_LIMIT_MS = 5 * 60 * 1000;
  const $ = (id) => document.getElementById(id);
  // The CSRF token lives for the tab only; the session itself is an HttpOnly cookie.
  let csrf = sessionStorage.getItem('deskpool_csrf') || '';
  let pollTimer = null;
  const cards = new Map(); // pool name -> card

  const STATE_TEXT = {
    none: 'Not assigned yet', provisioning: 'Being created', stopped: 'Off',
    starting: 'Starting', ready: 'Ready', assigned: 'Ready for you', in_use: 'In use',
    disconnected: 'Disconnected', refreshing: 'Resetting', stopping: 'Shutting down',
    error: 'Needs attention', deleting: 'Being removed', restarting: 'Restarting',
  };
  // How far a reset or restart has got, out of 3, by the state the desktop is in.
  const STEP = { stopping: 1, stopped: 1, refreshing: 1, provisioning: 1, starting: 2 };
  const BUSY = new Set(Object.keys(STEP));

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  class SessionEnded extends Error {}

  async function call(method, path, body) {
    const opt = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') opt.headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(API + path, opt);
    } catch (e) {
      return { status: 0, data: null };
    }
    let data = null;
    if ((res.headers.get('Content-Type') || '').startsWith('application/json'))
      data = await res.json().catch(() => null);
    if (res.status === 401 && path !== '/portal/login') {
      sessionEnded('Your session has ended. Please log in again.');
      throw new SessionEnded();
    }
    return { status: res.status, data };
  }

  function errorText(r) {
    if (r.status === 0) return 'The broker cannot be reached. Check your network and try again.';
    if (r.data && r.data.error && r.data.error.message) return r.data.error.message;
    return `The broker answered with status ${r.status}. Try again.`;
  }

  function announce(text) {
    const a = $('announce');
    a.textContent = '';
    setTimeout(() => { a.textContent = text; }, 50);
  }

  // ---- views -----------------------------------------------------------------------------

  function showLogin(message) {
    stopPolling();
    $('desktops-view').hidden = true;
    $('who').hidden = true;
    $('login-view').hidden = false;
    $('login-error').textContent = message || '';
    $('user').focus();
  }

  function showDesktops(user) {
    $('login-view').hidden = true;
    $('who-name').textContent = user;
    $('who').hidden = false;
    $('desktops-view').hidden = false;
    const h = $('desktops-title');
    h.tabIndex = -1;
    h.focus();
    startPolling();
  }

  function sessionEnded(message) {
    csrf = '';
    sessionStorage.removeItem('deskpool_csrf');
    for (const c of cards.values()) c.el.remove();
    cards.clear();
    showLogin(message);
  }

  // ---- login and logout ------------------------------------------------------------------

  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const user = $('user').value.trim();
    const password = $('password').value;
    $('user').removeAttribute('aria-invalid');
    $('password').removeAttribute('aria-invalid');
    if (!user || !password) {
      const missing = user ? $('password') : $('user');
      missing.setAttribute('aria-invalid', 'true');
      $('login-error').textContent = 'Enter your user name and your password.';
      missing.focus();
      return;
    }
    const btn = $('login-submit');
    btn.disabled = true;
    btn.textContent = 'Logging in…';
    const r = await call('POST', '/portal/login', { user, password });
    btn.disabled = false;
    btn.textContent = 'Log in';
    $('password').value = '';
    if (r.status === 200) {
      csrf = r.data.csrf_token;
      sessionStorage.setItem('deskpool_csrf', csrf);
      $('login-error').textContent = '';
      showDesktops(r.data.user);
      return;
    }
    $('password').setAttribute('aria-invalid', 'true');
    $('login-error').textContent = errorText(r);
    $('password').focus();
  });

  $('logout').addEventListener('click', async () => {
    try {
      await call('POST', '/logout', {});
    } catch (e) { /* gone already */ }
    sessionEnded('You are logged out.');
  });

  // ---- the desktop list ------------------------------------------------------------------

  function startPolling() {
    stopPolling();
    const tick = async () => {
      if (!document.hidden) {
        try {
          await refresh();
        } catch (e) {
          if (e instanceof SessionEnded) return;
        }
      }
      pollTimer = setTimeout(tick, POLL_MS);
    };
    tick();
  }

  function stopPolling() {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
  }

  async function refresh() {
    const asked = Date.now();
    const r = await call('GET', '/me/desktops');
    if (r.status !== 200) return;
    const items = r.data.items;
    $('empty').hidden = items.length > 0;
    const seen = new Set();
    for (const it of items) {
      seen.add(it.pool);
      let c = cards.get(it.pool);
      if (!c) {
        c = makeCard(it.pool);
        cards.set(it.pool, c);
        $('desktops').append(c.el);
      }
      update(c, it, asked);
    }
    for (const [pool, c] of cards) {
      if (!seen.has(pool)) {
        c.el.remove();
        cards.delete(pool);
      }
    }
  }

  function makeCard(pool) {
    const el = $('desktop-tpl').content.firstElementChild.cloneNode(true);
    const q = (s) => el.querySelector(s);
    const id = `d-${pool.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    el.id = id;
    q('.desktop-name').id = `${id}-name`;
    const c = {
      el, item: null, progress: null,
      name: q('.desktop-name'), state: q('.state'), pool: q('.f-pool'), vm: q('.f-vm'),
      session: q('.f-session'), bar: q('.progress'), meter: q('progress'),
      barText: q('.progress-text'), error: q('.desktop-error'),
      connect: q('.a-connect'), restart: q('.a-restart'), reset: q('.a-reset'),
    };
    // Every button names its desktop, so a screen reader's button list makes sense.
    for (const b of [c.connect, c.restart, c.reset]) {
      b.setAttribute('aria-describedby', `${id}-name`);
    }
    c.connect.addEventListener('click', () => connect(c));
    c.restart.addEventListener('click', () => askRestart(c));
    c.reset.addEventListener('click', () => askReset(c));
    return c;
  }

  // asked: when the list was requested; a list asked for before a reset began says nothing
  // about that reset.
  function update(c, it, asked) {
    c.item = it;
    c.name.textContent = it.pool;
    c.pool.textContent = `${it.pool} (${it.pool_type === 'personal' ? 'personal' : 'pooled'})`;
    c.vm.textContent = it.vm || '—';
    c.session.textContent = it.session ? it.session.state : 'none';
    let state = it.state;
    if (c.progress && asked !== undefined && asked >= c.progress.started) state = track(c, it);
    else if (c.progress) state = c.progress.kind === 'reset' ? 'refreshing' : 'restarting';
    c.state.className = `state s-${state}`;
    c.state.textContent = STATE_TEXT[state] || state;
    const busy = !!c.progress || c.connecting;
    c.connect.disabled = busy;
    const canAct = it.allow_reset && it.id !== null;
    c.reset.hidden = !it.allow_reset;
    c.restart.hidden = !it.allow_reset;
    c.reset.disabled = busy || !canAct;
    c.restart.disabled = busy || !canAct;
  }

  // Follows a reset or restart through the states the poll shows; returns the state to show.
  function track(c, it) {
    const p = c.progress;
    const verb = p.kind === 'reset' ? 'Resetting' : 'Restarting';
    if (BUSY.has(it.state)) p.sawBusy = true;
    const done = p.sawBusy && (it.state === 'ready' || it.state === 'none' ||
                               it.state === 'assigned' || it.state === 'in_use');
    if (it.state === 'error') {
      endProgress(c, `${verb} failed: the desktop needs attention. Try again, or ask your administrator.`);
      return it.state;
    }
    if (done) {
      c.meter.value = 3;
      c.barText.textContent = `${verb}: done`;
      const what = it.state === 'none'
        ? 'Your fresh desktop is ready: press Connect to get it.'
        : `Your desktop ${it.vm} is ready again.`;
      endProgress(c, null);
      announce(what);
      c.barText.textContent = what;
      c.bar.hidden = false;
      setTimeout(() => { if (!c.progress) c.bar.hidden = true; }, 8000);
      return it.state;
    }
    if (Date.now() - p.started > PROGRESS_LIMIT_MS) {
      endProgress(c, `${verb} is taking long. It goes on in the background; check again later.`);
      return it.state;
    }
    const step = STEP[it.state] || (p.sawBusy ? 3 : 0);
    c.meter.value = step;
    c.meter.setAttribute('aria-valuetext', `step ${step} of 3`);
    c.barText.textContent = `${verb} ${p.vm}: step ${step} of 3 (${STATE_TEXT[it.state] || it.state})…`;
    return p.sawBusy ? it.state : (p.kind === 'reset' ? 'refreshing' : 'restarting');
  }

  function beginProgress(c, kind, sawBusy) {
    c.progress = { kind, vm: c.item.vm, sawBusy, started: Date.now() };
    c.error.textContent = '';
    c.bar.hidden = false;
    c.meter.value = sawBusy ? 1 : 0;
    c.barText.textContent = `${kind === 'reset' ? 'Resetting' : 'Restarting'} ${c.item.vm}…`;
    update(c, c.item);
  }

  function endProgress(c, error) {
    c.progress = null;
    if (error) {
      c.bar.hidden = true;
      c.error.textContent = error;
    }
  }

  // ---- actions ---------------------------------------------------------------------------

  function confirmDialog(title, text, okLabel) {
    const d = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = okLabel;
    d.returnValue = '';
    d.showModal();
    return new Promise((resolve) => {
      d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    });
  }

  async function askReset(c) {
    const it = c.item;
    const text = it.pool_type === 'personal'
      ? `Resetting ${it.vm} logs you off and replaces its disk with a fresh copy of the ` +
        'template. Your files on this desktop will be erased. This cannot be undone.'
      : `Resetting ${it.vm} logs you off and gives you a fresh desktop. Anything left on ` +
        'this one is discarded.';
    const ok = await confirmDialog(`Reset ${it.vm}?`, text, 'Reset and erase');
    c.reset.focus();
    if (!ok) return;
    try {
      const r = await call('POST', `/desktops/${it.id}/reset`, { confirm: true });
      if (r.status === 202) {
        beginProgress(c, 'reset', true);
        announce(`Resetting ${it.vm}. This takes a minute.`);
      } else {
        c.error.textContent = errorText(r);
      }
    } catch (e) { /* session ended: the login view is up */ }
  }

  async function askRestart(c) {
    const it = c.item;
    const ok = await confirmDialog(`Restart ${it.vm}?`,
      `Restarting ${it.vm} logs you off (unsaved work is lost) and starts it again. Your files stay.`,
      'Restart');
    c.restart.focus();
    if (!ok) return;
    try {
      const r = await call('POST', `/desktops/${it.id}/restart`, {});
      if (r.status === 202) {
        beginProgress(c, 'restart', false);
        announce(`Restarting ${it.vm}.`);
      } else {
        c.error.textContent = errorText(r);
      }
    } catch (e) { /* session ended */ }
  }

  function download(text, name) {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/x-rdp' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async function connect(c) {
    c.connecting = true;
    c.error.textContent = '';
    c.connect.textContent = 'Connecting…';
    update(c, c.item);
    try {
      for (let i = 0; i < 60; i++) {
        const r = await call('POST', '/desktops/connect', { pool: c.item.pool });
        if (r.status === 200) {
          download(r.data.rdp_file, `${c.item.pool}.rdp`);
          c.bar.hidden = false;
          c.meter.value = 3;
          c.barText.textContent = `Downloaded ${c.item.pool}.rdp: open it within a minute.`;
          announce(`Your connection file for ${r.data.vm} was downloaded. Open it within a minute.`);
          break;
        }
        if (r.status === 202) {
          c.bar.hidden = false;
          c.meter.removeAttribute('value');
          c.barText.textContent = 'Starting your desktop…';
          await sleep(((r.data && r.data.retry_after_s) || 2) * 1000);
          continue;
        }
        c.error.textContent = errorText(r);
        break;
      }
    } catch (e) { /* session ended */ }
    c.connecting = false;
    c.connect.textContent = 'Connect';
    if (c.item) update(c, c.item);
  }

  // ---- start -----------------------------------------------------------------------------

  (async () => {
    if (!csrf) {
      showLogin('');
      return;
    }
    try {
      const r = await call('GET', '/me');
      if (r.status === 200) showDesktops(r.data.user);
      else showLogin('');
    } catch (e) { /* session ended: the login view is up */ }
  })();
})();
