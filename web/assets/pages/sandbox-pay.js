// The SANDBOX payment provider's checkout page (/pay/sandbox/{payment_ref}). It talks to the
// provider's API (/api/sandbox-pay/…), not the platform's; same origin, so POSTs still carry
// the session's X-CSRF-Token. After 确认支付 it waits (≤ 10 s) for the platform to see the
// provider's notification, then returns to the platform.
import { request, pathSegment, formatFen, showError, hideMessage } from '/assets/app.js';

const ref = pathSegment(2);
const providerPath = `/${encodeURIComponent(ref)}`;
const confirmButton = document.getElementById('sandbox-confirm');
const status = document.getElementById('sandbox-status');
const errorBox = document.getElementById('sandbox-error');
let payment = null;

const provider = (method, path, options = {}) => request(method, providerPath + path, { ...options, base: '/api/sandbox-pay', noRedirect: true });

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitForPlatform(orderNo) {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    try {
      const r = await request('GET', `/orders/${encodeURIComponent(orderNo)}`, { noRedirect: true });
      if (r && r.order && r.order.state !== 'awaiting_payment') return;
    } catch (e) { /* keep waiting; the return page shows the truth */ }
    await sleep(800);
  }
}

confirmButton.addEventListener('click', async () => {
  hideMessage(errorBox);
  confirmButton.disabled = true;
  confirmButton.textContent = '正在支付…';
  try {
    const r = await provider('POST', '/confirm', { json: {} });
    status.textContent = '支付成功，正在返回…';
    status.className = 'sandbox-status ok';
    confirmButton.textContent = '支付成功';
    if (payment && payment.order_no) await waitForPlatform(payment.order_no);
    location.assign((r && r.return_url) || (payment ? `/orders/${encodeURIComponent(payment.order_no)}` : '/orders'));
  } catch (e) {
    confirmButton.disabled = false;
    confirmButton.textContent = '确认支付';
    showError(errorBox, e);
  }
});

async function main() {
  try {
    payment = await provider('GET', '');
    document.getElementById('pay-merchant').textContent = payment.merchant || '—';
    document.getElementById('pay-order').textContent = payment.order_no || '—';
    document.getElementById('pay-ref').textContent = payment.payment_ref || ref;
    document.getElementById('pay-amount').textContent = formatFen(payment.amount);
    if (payment.order_no) document.getElementById('sandbox-cancel').href = `/orders/${encodeURIComponent(payment.order_no)}`;
    if (payment.state === 'paid') {
      status.textContent = '该笔款项已支付，无需重复支付。';
      status.className = 'sandbox-status ok';
      confirmButton.textContent = '已支付';
    } else {
      confirmButton.disabled = false;
    }
  } catch (e) {
    showError(errorBox, e.status === 404 ? '支付流水不存在或已失效。' : e);
  }
}

main();
