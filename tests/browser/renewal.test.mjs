// 证书延期 as the seed walks it, through the pages: the demo subscriber (created by `gzca serve`,
// 张三 13800138000, holding one certificate) logs in by SMS code, presses 立即申请 on 首页,
// agrees, submits the form, prints, uploads the three files, submits, pays in the sandbox, an
// operator approves with the CLI, and the new certificate downloads as PEM, DER and chain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url, settle, screenshot, loginBySms, gzca, apiGet } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\nxref\n0 4\n0000000000 65535 f \ntrailer<</Size 4/Root 1 0 R>>\n%%EOF\n');

test('renewal: login, order, print, uploads, sandbox payment, approval, download', async () => {
  const { context, page, problems } = await openPage(browser);
  await loginBySms(page, '13800138000', { next: '/' });
  await settle(page);
  const renew = page.locator('a[data-testid^="renew-"]').first();
  assert.equal(await renew.count(), 1, '首页 lists a renewable certificate with 立即申请');
  const serial = (await renew.getAttribute('data-testid')).slice('renew-'.length);
  await renew.click();
  await page.waitForURL((u) => u.pathname === '/apply/renew');
  await settle(page);
  assert.equal(await page.inputValue('[name="certificate_serial"]'), serial);
  await page.locator('[data-testid="agree"]').check();
  await page.locator('[data-testid="apply-submit"]').click();
  await page.waitForURL(/\/orders\/[^/]+$/, { timeout: 15000 });
  const orderNo = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
  const state = () => page.locator('[data-testid="order-state"]').getAttribute('data-state');
  await page.waitForSelector('[data-testid="printed-next"]');
  assert.equal(await state(), 'draft');
  const form = await context.request.get(url(`/api/platform/orders/${orderNo}/form.pdf`));
  assert.equal(form.status(), 200);
  assert.equal((await form.body()).subarray(0, 5).toString(), '%PDF-');
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
  await screenshot(page, 'renewal-uploaded');
  await page.locator('[data-testid="submit-order"]').click();
  await page.waitForSelector('[data-testid="pay-online"]');
  assert.equal(await state(), 'awaiting_payment');
  await page.locator('[data-testid="pay-online"]').click();
  await page.waitForURL(/\/pay\/sandbox\//);
  await page.waitForSelector('[data-testid="sandbox-confirm"]:not([disabled])');
  assert.equal(await page.textContent('[data-testid="pay-order"]'), orderNo);
  await screenshot(page, 'renewal-sandbox');
  await page.locator('[data-testid="sandbox-confirm"]').click();
  await page.waitForURL((u) => u.pathname === `/orders/${orderNo}`, { timeout: 20000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="order-state"]').dataset.state);
  assert.equal(await state(), 'in_review');

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
  await screenshot(page, 'renewal-ready');
  for (const format of ['pem', 'der', 'chain']) {
    const href = await page.getAttribute(`[data-testid="download-${format}"]`, 'href');
    const r = await context.request.get(url(href));
    assert.equal(r.status(), 200, format);
    assert.match(r.headers()['content-disposition'] || '', /attachment/);
  }
  assert.deepEqual(problems(), []);
  await context.close();
});
