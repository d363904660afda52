// 国资CA数字证书服务平台 — shared page code (ES2020 module).
//
// Every page script imports from here. Rules the whole site keeps:
//  - data from the API is rendered with textContent / DOM nodes only, never innerHTML;
//  - every POST/PUT/DELETE carries X-CSRF-Token (from GET /api/platform/session);
//  - errors are {code, message, fields?}: messages go to an alert box, field errors under fields;
//  - a 401 sends the visitor to /login?next=<this page>.

export const API = '/api/platform';

export const ORDER_TYPES = {
  new: '证书申请',
  renew: '证书延期',
  reissue: '证书补办',
  revoke: '证书吊销',
  unlock: 'USBKey密钥',
};

export const ORDER_STATES = {
  draft: '待打印申请表',
  materials: '待上传资料',
  awaiting_payment: '待支付',
  in_review: '审核中',
  approved: '审核通过',
  ready: '待下载证书',
  completed: '已完成',
  rejected: '已驳回',
  cancelled: '已取消',
};

export const CERT_STATUS = {
  valid: '正常',
  good: '正常',
  revoked: '已吊销',
  expired: '已过期',
  superseded: '已更新',
  unknown: '未知',
};

export const REVOCATION_REASONS = {
  unspecified: '未指明原因',
  keyCompromise: '密钥泄露',
  affiliationChanged: '单位或用户信息变更',
  superseded: '证书已被替代',
  cessationOfOperation: '停止使用',
};

export const MEDIA = { usbkey: 'USBKey', shield: '手机盾', mobile: '手机盾', soft: '软证书' };

// ---------------------------------------------------------------------------------------------
// DOM helpers (text only).

// el('a', {href: '/x', class: 'btn', dataset: {testid: 'y'}}, '文字', childNode, …)
// Attribute values and text children are set as plain strings: nothing is parsed as HTML.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') {
        node.addEventListener(key.slice(2), value);
      } else if (value === true) node.setAttribute(key, '');
      else node.setAttribute(key, String(value));
    }
  }
  append(node, ...children);
  return node;
}

export function append(node, ...children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function setText(selectorOrNode, text) {
  const node = typeof selectorOrNode === 'string' ? document.querySelector(selectorOrNode) : selectorOrNode;
  if (node) node.textContent = text === undefined || text === null ? '' : String(text);
  return node;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $$(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}

export function show(node, visible = true) {
  if (node) node.hidden = !visible;
}

// ---------------------------------------------------------------------------------------------
// Formatting.

function pad(n) {
  return String(n).padStart(2, '0');
}

// ISO 8601 → "2025-03-01 14:05" in the browser's time zone; '—' when absent.
export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// Fen (integer) → "300.00 元".
export function formatFen(fen) {
  if (fen === undefined || fen === null || Number.isNaN(Number(fen))) return '—';
  return `${(Number(fen) / 100).toFixed(2)} 元`;
}

export function formatSize(bytes) {
  if (bytes === undefined || bytes === null) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

export function label(map, key) {
  return (key && map[key]) || key || '—';
}

// ---------------------------------------------------------------------------------------------
// The API.

export class ApiError extends Error {
  constructor(status, data) {
    super((data && data.message) || `请求失败（HTTP ${status}）`);
    this.status = status;
    this.code = (data && data.code) || 'http_' + status;
    this.fields = (data && data.fields) || null;
    this.data = data || {};
  }
}

let sessionPromise = null;
let sitePromise = null;

// GET /api/platform/session, once per page load (refresh: true after login/logout).
export function session({ refresh = false } = {}) {
  if (!sessionPromise || refresh) {
    sessionPromise = request('GET', '/session', { noRedirect: true });
    sessionPromise.catch(() => { sessionPromise = null; });
  }
  return sessionPromise;
}

// GET /api/platform/site, once per page load.
export function site() {
  if (!sitePromise) {
    sitePromise = request('GET', '/site', { noRedirect: true });
    sitePromise.catch(() => { sitePromise = null; });
  }
  return sitePromise;
}

export async function csrfToken() {
  const s = await session();
  return s.csrf_token || '';
}

export function loginUrl(next = location.pathname + location.search) {
  return '/login?next=' + encodeURIComponent(next);
}

export function redirectToLogin() {
  location.assign(loginUrl());
}

function isStateChanging(method) {
  return method === 'POST' || method === 'PUT' || method === 'DELETE' || method === 'PATCH';
}

// request(method, path, {json, body, headers, noRedirect, base}) → parsed JSON (or null).
// `path` is relative to /api/platform unless `base` is given ('' for absolute paths).
// Throws ApiError for non-2xx answers; a 401 also starts the redirect to /login unless
// noRedirect is set.
export async function request(method, path, options = {}) {
  const { json, body, headers = {}, noRedirect = false, base = API } = options;
  // The first request of a visitor without a session cookie gets one set. Requests sent in
  // parallel before it would each be given a different session (and the CSRF token would belong
  // to only one of them), so everything waits for GET /session first.
  if (!(base === API && path === '/session')) await session().catch(() => {});
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  if (isStateChanging(method)) init.headers['X-CSRF-Token'] = await csrfToken();
  let response;
  try {
    response = await fetch(base + path, init);
  } catch (e) {
    throw new ApiError(0, { code: 'network', message: '网络连接失败，请检查网络后重试。' });
  }
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('application/json')) {
    try { data = await response.json(); } catch (e) { data = null; }
  }
  if (!response.ok) {
    if (response.status === 401 && !noRedirect) redirectToLogin();
    throw new ApiError(response.status, data);
  }
  return data;
}

export const api = {
  get: (path, options) => request('GET', path, options),
  post: (path, json, options = {}) => request('POST', path, { ...options, json: json === undefined ? {} : json }),
  put: (path, json, options = {}) => request('PUT', path, { ...options, json }),
  del: (path, options) => request('DELETE', path, options),
};

// PUT/POST a File as the raw body with upload progress. onProgress(fraction 0..1).
// Resolves with the parsed JSON; rejects with ApiError.
export async function uploadFile(method, path, file, { headers = {}, onProgress, base = API } = {}) {
  const token = await csrfToken();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, base + path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.setRequestHeader('X-CSRF-Token', token);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    if (onProgress) {
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      });
    }
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        if (xhr.status === 401) redirectToLogin();
        reject(new ApiError(xhr.status, data));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { code: 'network', message: '网络连接失败，上传未完成。' })));
    xhr.send(file);
  });
}

// ---------------------------------------------------------------------------------------------
// Messages and field errors.

// Shows `error` (ApiError, Error or string) in `box` (an element with class "alert").
export function showError(box, error) {
  if (!box) return;
  let message = typeof error === 'string' ? error : (error && error.message) || '操作失败，请稍后重试。';
  if (error && error.code === 'rate_limited' && error.data && error.data.retry_after_seconds) {
    message += `（请 ${error.data.retry_after_seconds} 秒后再试）`;
  }
  box.className = 'alert alert-error';
  box.setAttribute('role', 'alert');
  box.textContent = message;
  box.hidden = false;
}

export function showNotice(box, message, kind = 'info') {
  if (!box) return;
  box.className = `alert alert-${kind}`;
  box.setAttribute('role', 'status');
  box.textContent = message;
  box.hidden = false;
}

export function hideMessage(box) {
  if (!box) return;
  box.hidden = true;
  box.textContent = '';
}

// The element that shows the error of field `name` inside `root`: [data-error-for=name].
function errorSlot(root, name) {
  return root.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
}

export function setFieldError(root, name, message) {
  const slot = errorSlot(root, name);
  const input = root.querySelector(`[name="${CSS.escape(name)}"]`);
  if (slot) {
    slot.textContent = message || '';
    slot.hidden = !message;
  }
  if (input) {
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  return Boolean(slot);
}

export function clearFieldErrors(root) {
  for (const slot of $$('[data-error-for]', root)) {
    slot.textContent = '';
    slot.hidden = true;
  }
  for (const input of $$('[aria-invalid]', root)) input.removeAttribute('aria-invalid');
}

// Puts each {field: message} under its field; messages for fields that have no slot are
// returned joined, for the general alert.
export function showFieldErrors(root, fields) {
  const rest = [];
  let first = null;
  for (const [name, message] of Object.entries(fields || {})) {
    if (!setFieldError(root, name, message)) rest.push(message);
    else if (!first) first = root.querySelector(`[name="${CSS.escape(name)}"]`);
  }
  if (first && typeof first.focus === 'function') first.focus();
  return rest.join('；');
}

// Handles an error of a form submission: field errors under the fields, the rest in `box`.
export function reportFormError(form, box, error) {
  if (error && error.fields) {
    const rest = showFieldErrors(form, error.fields);
    showError(box, rest || error.message || '请检查标红的项目。');
  } else {
    showError(box, error);
  }
}

// ---------------------------------------------------------------------------------------------
// Dialogs.

// A modal confirm built on <dialog>; resolves true for 确定.
export function confirmDialog(message, { ok = '确定', cancel = '取消', danger = false } = {}) {
  return new Promise((resolve) => {
    const text = el('p', { class: 'dialog-text', id: 'confirm-dialog-text' }, message);
    const okButton = el('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary', dataset: { testid: 'confirm-ok' } }, ok);
    const cancelButton = el('button', { type: 'button', class: 'btn', dataset: { testid: 'confirm-cancel' } }, cancel);
    const dialog = el('dialog', { class: 'dialog', 'aria-labelledby': 'confirm-dialog-text' },
      text, el('div', { class: 'dialog-actions' }, cancelButton, okButton));
    let result = false;
    okButton.addEventListener('click', () => { result = true; dialog.close(); });
    cancelButton.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => { dialog.remove(); resolve(result); });
    document.body.append(dialog);
    dialog.showModal();
    cancelButton.focus();
  });
}

// ---------------------------------------------------------------------------------------------
// Layout: header user area, active menu item, footer contacts.

function renderUserArea(s) {
  const area = document.getElementById('user-area');
  if (!area) return;
  clear(area);
  if (s && s.logged_in && s.subscriber) {
    const name = s.subscriber.name || s.subscriber.phone_masked || '用户';
    const logout = el('button', { type: 'button', class: 'link-button', dataset: { testid: 'logout' } }, '退出');
    logout.addEventListener('click', async () => {
      logout.disabled = true;
      try { await api.post('/logout', {}, { noRedirect: true }); } catch (e) { /* gone anyway */ }
      location.assign('/');
    });
    append(area,
      el('span', { class: 'user-name', dataset: { testid: 'user-name' } }, '您好，', name),
      el('span', { class: 'sep', 'aria-hidden': 'true' }, '|'),
      logout);
  } else {
    append(area, el('a', { href: loginUrl(), class: 'login-link', dataset: { testid: 'login-link' } }, '登录'));
  }
}

function renderFooter(info) {
  for (const node of $$('[data-site]')) {
    const value = info[node.dataset.site];
    if (value === undefined || value === null) continue;
    if (node.tagName === 'A' && node.dataset.siteHref === 'tel') node.href = 'tel:' + String(value).replace(/[^0-9+]/g, '');
    if (node.tagName === 'A' && node.dataset.siteHref === 'mailto') node.href = 'mailto:' + value;
    if (node.tagName === 'A' && node.dataset.siteHref === 'url') node.href = value;
    node.textContent = String(value);
  }
}

// Call first on every page. requireAuth: redirect to /login when not logged in (checked with
// GET /session, so no 401 is ever provoked). Resolves with the session.
export async function initPage({ requireAuth = false } = {}) {
  const nav = document.body.dataset.nav;
  if (nav) {
    for (const link of $$('.main-nav a[data-nav]')) {
      if (link.dataset.nav === nav) link.setAttribute('aria-current', 'page');
    }
  }
  site().then(renderFooter).catch(() => { /* the footer keeps its placeholders */ });
  let s;
  try {
    s = await session();
  } catch (e) {
    s = { logged_in: false };
    const box = document.getElementById('page-error');
    if (box) showError(box, e);
  }
  renderUserArea(s);
  if (requireAuth && !s.logged_in) {
    redirectToLogin();
    return new Promise(() => {});  // the page is leaving
  }
  return s;
}

// A random idempotency key (hex, 128 bits).
export function randomKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The n-th path segment of the current URL, decoded: /orders/ABC → segment(1) = 'ABC'.
export function pathSegment(n) {
  const parts = location.pathname.split('/').filter(Boolean);
  return parts[n] === undefined ? '' : decodeURIComponent(parts[n]);
}

// A same-origin path from ?next=, or '/'.
export function safeNext(value) {
  if (!value || typeof value !== 'string') return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}

// The step bar 进入注册 | 打印申请表 | 上传资料 | 在线支付 | 下载证书 with `step` (1..5) current.
export const STEPS = ['进入注册', '打印申请表', '上传资料', '在线支付', '下载证书'];

export function renderStepBar(container, step) {
  clear(container);
  const list = el('ol', { class: 'step-bar', dataset: { testid: 'step-bar', step: String(step) } });
  STEPS.forEach((name, i) => {
    const n = i + 1;
    const state = n < step ? 'done' : n === step ? 'current' : 'todo';
    const item = el('li', { class: `step step-${state}` },
      el('span', { class: 'step-no', 'aria-hidden': 'true' }, String(n)),
      el('span', { class: 'step-name' }, name),
      state === 'current' ? el('span', { class: 'sr-only' }, '（当前步骤）') : null,
      state === 'done' ? el('span', { class: 'sr-only' }, '（已完成）') : null);
    if (state === 'current') item.setAttribute('aria-current', 'step');
    list.append(item);
  });
  container.append(list);
}

// A <table> from rows; columns: [{title, render(row) → Node|string, class?}].
export function buildTable(columns, rows, { caption, testid, rowAttrs } = {}) {
  const table = el('table', { class: 'data-table', dataset: testid ? { testid } : undefined });
  if (caption) table.append(el('caption', { class: 'sr-only' }, caption));
  const head = el('tr');
  for (const c of columns) head.append(el('th', { scope: 'col', class: c.class }, c.title));
  table.append(el('thead', null, head));
  const body = el('tbody');
  for (const row of rows) {
    const tr = el('tr', rowAttrs ? rowAttrs(row) : null);
    for (const c of columns) {
      const value = c.render(row);
      tr.append(el('td', { class: c.class, 'data-label': c.title }, value));
    }
    body.append(tr);
  }
  table.append(body);
  return el('div', { class: 'table-scroll' }, table);
}

export function certStatusText(cert) {
  let text = label(CERT_STATUS, cert.status);
  if (cert.status === 'revoked' && cert.revocation_reason) {
    text += `（${label(REVOCATION_REASONS, cert.revocation_reason)}）`;
  }
  return text;
}

export function daysLeftNode(days) {
  if (days === undefined || days === null) return '—';
  const n = Number(days);
  const cls = n < 0 ? 'days days-expired' : n <= 30 ? 'days days-soon' : 'days';
  return el('span', { class: cls }, n < 0 ? `已过期 ${-n} 天` : `${n} 天`);
}
