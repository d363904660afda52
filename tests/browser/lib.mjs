// Shared helpers for the browser tests (node:test + playwright-core, Debian's Chromium).
// run.sh starts `gzca serve` and sets the environment this module reads:
//   GZCA_BASE_URL, GZCA_BIN, GZCA_DATA_DIR, GZCA_CONFIG, GZCA_ARTIFACTS, GZCA_CHROMIUM.
//
//   import { launch, openPage, screenshot, url, gzcaJson } from './lib.mjs';
//   const browser = await launch();
//   const { page, problems } = await openPage(browser);        // 1280×800 by default
//   await page.goto(url('/login'));
//   await screenshot(page, 'login');
//   assert.deepEqual(problems(), []);                            // console errors, CSP, …
//   const messages = gzcaJson('outbox', 'list');                 // `gzca outbox list --json`

import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this test through tests/browser/run.sh`);
  return value;
}

export const BASE_URL = need('GZCA_BASE_URL');
export const ARTIFACTS = process.env.GZCA_ARTIFACTS || path.resolve('browser-artifacts');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// Absolute URL of a path on the server under test.
export function url(p = '/') {
  return new URL(p, BASE_URL).toString();
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.GZCA_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--lang=zh-CN'],
  });
}

// A new context + page that records every problem a visitor's console would show: console
// errors (CSP violations and failed loads are logged there), uncaught exceptions, and any
// request that leaves the server's origin. `allow` holds regexps matched against
// "<text> @ <url>" for problems a test provokes on purpose.
//
// → {context, page, problems(), clearProblems()}; problems() lists strings.
export async function openPage(browser, { viewport = DESKTOP, allow = [], isMobile = false } = {}) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport,
    isMobile,
    hasTouch: isMobile,
    deviceScaleFactor: 1,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const origin = new URL(BASE_URL).origin;
  let list = [];
  const record = (text) => {
    if (!allow.some((re) => re.test(text))) list.push(text);
  };
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && !/Content[- ]Security[- ]Policy/i.test(msg.text())) return;
    const where = msg.location() && msg.location().url ? ` @ ${msg.location().url}` : '';
    record(`console ${msg.type()}: ${msg.text()}${where} (page ${page.url()})`);
  });
  page.on('pageerror', (err) => record(`uncaught: ${err.message} (page ${page.url()})`));
  page.on('request', (req) => {
    // Network requests only: the browser's own PDF viewer loads chrome:// and
    // chrome-extension:// resources, which never leave the machine.
    const u = new URL(req.url());
    if (!/^(https?|wss?|ftp):$/.test(u.protocol)) return;
    if (u.origin !== origin) record(`external request: ${u.href} (page ${page.url()})`);
  });
  return {
    context,
    page,
    problems: () => list.slice(),
    clearProblems: () => { list = []; },
  };
}

// Saves a full-page PNG as ARTIFACTS/<name>.png and returns its path.
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Waits until network requests have settled and page scripts had a moment to render.
export async function settle(page) {
  await page.waitForLoadState('networkidle', { timeout: 10000 }).catch(() => {});
}

// {scrollWidth, innerWidth} of the page: the page overflows horizontally when scrollWidth is
// larger.
export async function horizontalExtent(page) {
  return page.evaluate(() => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
}

// Runs the gzca CLI on the server's data directory and configuration. → stdout (throws with
// stderr on a non-zero exit).
export function gzca(...args) {
  const bin = need('GZCA_BIN');
  const global = ['--data-dir', need('GZCA_DATA_DIR')];
  if (process.env.GZCA_CONFIG) global.push('--config', process.env.GZCA_CONFIG);
  const r = spawnSync(bin, [...global, ...args], { encoding: 'utf8', env: process.env, timeout: 60000 });
  if (r.status !== 0) {
    throw new Error(`gzca ${args.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

// gzca(...args, '--json') parsed.
export function gzcaJson(...args) {
  const out = gzca(...args, '--json');
  try {
    return JSON.parse(out);
  } catch (e) {
    throw new Error(`gzca ${args.join(' ')} --json printed no JSON: ${out.slice(0, 500)}`);
  }
}

// GET/POST the JSON API with the page's cookies (context.request shares the browser's cookie
// jar). → {status, body}.
export async function apiGet(context, p) {
  const r = await context.request.get(url(p), { headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  return { status: r.status(), body, headers: r.headers() };
}

// A subscriber the tests can log in as; createSubscriber() opens it with `gzca user create`.
// The credential and ID numbers carry valid GB 32100 / GB 11643 check characters. (`gzca serve`
// creates its own demo subscriber, 张三 13800138000; this one is another.)
export const DEMO_SUBSCRIBER = {
  orgName: '国资示例科技有限公司',
  orgCredential: '91110108MA01GYCA00',
  legalRepresentative: '张三',
  orgPhone: '010-63191000',
  name: '李四',
  phone: '13900139001',
  idCard: '110101199003070011',
  userId: 'lisi01',
  email: 'lisi@example.cn',
  department: '信息中心',
  address: '北京市西城区宣武门西大街26号',
};

// Opens a subscriber account (fields of DEMO_SUBSCRIBER, overridable); `certificate` links an
// existing certificate serial to it. → the fields used.
export function createSubscriber(overrides = {}) {
  const s = { ...DEMO_SUBSCRIBER, ...overrides };
  const args = ['user', 'create',
    '--org-name', s.orgName, '--org-credential', s.orgCredential,
    '--legal-representative', s.legalRepresentative, '--org-phone', s.orgPhone,
    '--name', s.name, '--phone', s.phone, '--id-card', s.idCard, '--user-id', s.userId,
    '--email', s.email, '--department', s.department, '--address', s.address];
  if (s.certificate) args.push('--certificate', s.certificate);
  if (s.medium) args.push('--medium', s.medium);
  gzca(...args);
  return s;
}

// The newest SMS login code sent to `phone` (from `gzca outbox list --json`), or null.
export function latestLoginCode(phone) {
  const messages = gzcaJson('outbox', 'list', '--to', phone, '--template', 'login_code', '--limit', '5');
  for (const m of messages) {
    const code = /(\d{6})/.exec(m.body || '');
    if (code) return code[1];
  }
  return null;
}

// Logs `page` in as `phone` the way a person does: reads the picture captcha's answer with
// `gzca captcha answer`, presses 点击发送, takes the code from the outbox, presses 登录, and waits
// until the page has left /login. `next` is where to land.
export async function loginBySms(page, phone, { next = '/' } = {}) {
  await page.goto(url('/login?next=' + encodeURIComponent(next)));
  const image = page.locator('[data-testid="captcha-image"]');
  await page.waitForFunction(() => document.getElementById('captcha-image').dataset.captchaId, null, { timeout: 10000 });
  const answer = gzca('captcha', 'answer', await image.getAttribute('data-captcha-id')).trim();
  await page.locator('[data-testid="login-phone"]').fill(phone);
  await page.locator('[data-testid="login-captcha"]').fill(answer);
  const before = latestLoginCode(phone);
  await page.locator('[data-testid="send-code"]').click();
  await page.waitForFunction(() => /秒后重发/.test(document.getElementById('send-code').textContent), null, { timeout: 10000 });
  let code = null;
  for (let i = 0; i < 50 && (!code || code === before); i++) {
    code = latestLoginCode(phone);
    if (!code || code === before) await page.waitForTimeout(100);
  }
  if (!code) throw new Error(`no login code for ${phone} in the outbox`);
  await page.locator('[data-testid="login-code"]').fill(code);
  await page.locator('[data-testid="login-submit"]').click();
  await page.waitForURL((u) => u.pathname !== '/login', { timeout: 10000 });
}

// Form controls on the page that have no accessible name (no <label>, aria-label or
// aria-labelledby): → a list of "tag#id[name]" strings.
export async function unlabelledControls(page) {
  return page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea'))
    .filter((c) => c.type !== 'hidden')
    .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby'))
    .map((c) => `${c.tagName.toLowerCase()}#${c.id}[${c.name}]`));
}
