// 证书延期 as the seed walks it, through the pages: the demo subscriber (created by `gzca serve`,
// 张三 13800138000, holding one certificate) logs in by SMS code, presses 立即申请 on 首页,
// agrees, submits the form, prints, uploads the three files, submits, pays in the sandbox, an
// operator approves with the CLI, and the new certificate downloads as PEM, DER and chain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, openPage, url, settle, screenshot, loginBySms, gzca, apiGet } from './lib.mjs';

// The text of a PDF, by poppler's pdftotext (-layout keeps table rows on one line).
function pdfText(bytes) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gzca-pdf-'));
  try {
    const file = path.join(dir, 'form.pdf');
    writeFileSync(file, bytes);
    const r = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `pdftotext: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\nxref\n0 4\n0000000000 65535 f \ntrailer<</Size 4/Root 1 0 R>>\n%%EOF\n');

test('renewal: login, order, print, uploads, sandbox payment, approval, download', async () => {
  const { context, page, problems } = await openPage(browser);
  await page.goto(url('/login'));
  await settle(page);
  await screenshot(page, 'renewal-01-login');
  await loginBySms(page, '13800138000', { next: '/' });
  await settle(page);
  await screenshot(page, 'renewal-02-home');
  const renew = page.locator('a[data-testid^="renew-"]').first();
  assert.equal(await renew.count(), 1, '首页 lists a renewable certificate with 立即申请');
  const serial = (await renew.getAttribute('data-testid')).slice('renew-'.length);
  await renew.click();
  await page.waitForURL((u) => u.pathname === '/apply/renew');
  await settle(page);
  assert.equal(await page.inputValue('[name="certificate_serial"]'), serial);
  await page.locator('[data-testid="agree"]').check();
  await screenshot(page, 'renewal-03-step1-form');
  await page.locator('[data-testid="apply-submit"]').click();
  await page.waitForURL(/\/orders\/[^/]+$/, { timeout: 15000 });
  const orderNo = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
  const state = () => page.locator('[data-testid="order-state"]').getAttribute('data-state');
  await page.waitForSelector('[data-testid="printed-next"]');
  assert.equal(await state(), 'draft');
  await screenshot(page, 'renewal-04-step2-print');
  // 打印申请表: the link the page offers, fetched with the page's session.
  const href = await page.getAttribute('[data-testid="print-form"]', 'href');
  const form = await context.request.get(url(href));
  assert.equal(form.status(), 200);
  const pdf = await form.body();
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  const text = pdfText(pdf);
  for (const expected of ['国资CA数字证书服务受理表', orderNo, '国资CA演示机构', '张三',
    '11010519491231002X', '证书延期', '签字', '盖章']) {
    assert.ok(text.includes(expected), `the printed form shows ${expected}`);
  }
  assert.ok(text.replace(/\s+/g, '').includes(serial), 'the printed form shows the serial');
  await page.locator('[data-testid="printed-next"]').click();
  await page.waitForSelector('[data-testid="upload-application_form"]', { state: 'attached' });
  assert.equal(await state(), 'materials');
  assert.equal(await page.locator('[data-testid="submit-order"]').isDisabled(), true);

  const png = await page.screenshot();
  const files = {
    application_form: { name: '业务申请单.pdf', mimeType: 'application/pdf', buffer: PDF },
    business_licence: { name: '营业执照.png', mimeType: 'image/png', buffer: png },
    id_copy: { name: '身份证.png', mimeType: 'image/png', buffer: png },
  };
  for (const [kind, file] of Object.entries(files)) {
    await page.setInputFiles(`[data-testid="upload-${kind}"]`, file);
    await page.waitForFunction((k) => document.querySelector(`[data-testid="upload-state-${k}"]`).dataset.uploaded === 'true', kind, { timeout: 15000 });
    assert.match(await page.textContent(`[data-testid="upload-state-${kind}"]`), new RegExp(`已上传：${file.name}`));
  }
  await settle(page);
  await screenshot(page, 'renewal-05-step3-uploaded');
  await page.locator('[data-testid="submit-order"]').click();
  await page.waitForSelector('[data-testid="pay-online"]');
  assert.equal(await state(), 'awaiting_payment');
  await screenshot(page, 'renewal-06-step4-pay');
  await page.locator('[data-testid="pay-online"]').click();
  await page.waitForURL(/\/pay\/sandbox\//);
  await page.waitForSelector('[data-testid="sandbox-confirm"]:not([disabled])');
  assert.equal(await page.textContent('[data-testid="pay-order"]'), orderNo);
  await screenshot(page, 'renewal-07-sandbox-checkout');
  await page.locator('[data-testid="sandbox-confirm"]').click();
  await page.waitForURL((u) => u.pathname === `/orders/${orderNo}`, { timeout: 20000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="order-state"]').dataset.state);
  assert.equal(await state(), 'in_review');
  await settle(page);
  assert.match(await page.textContent('main'), /等待审核/);
  await screenshot(page, 'renewal-08-step5-waiting-for-review');
  const waiting = (await apiGet(context, `/api/platform/orders/${orderNo}`)).body.order;
  assert.equal(waiting.payment.state, 'paid');
  assert.ok(waiting.due_at, 'a review due date');

  gzca('order', 'approve', orderNo);
  let order = null;
  for (let i = 0; i < 50; i++) {
    order = (await apiGet(context, `/api/platform/orders/${orderNo}`)).body.order;
    if (order.state === 'ready') break;
    await page.waitForTimeout(200);
  }
  assert.equal(order.state, 'ready');
  await page.reload();
  await page.waitForSelector('[data-testid="download-pem"]');
  await screenshot(page, 'renewal-09-ready-download');
  for (const format of ['pem', 'der', 'chain']) {
    const href = await page.getAttribute(`[data-testid="download-${format}"]`, 'href');
    const r = await context.request.get(url(href));
    assert.equal(r.status(), 200, format);
    assert.match(r.headers()['content-disposition'] || '', /attachment/);
  }
  assert.deepEqual(problems(), []);
  await context.close();
});
