// /apply/{type}: 证书注册 — agreement, then the form; submit creates the order (draft) once.
import { initPage, api, pathSegment, renderStepBar, ORDER_TYPES, showError, hideMessage, reportFormError, randomKey } from '/assets/app.js';
import { renderAgreement } from '/assets/agreement.js';
import { buildOrderForm } from '/assets/orderform.js';

const type = pathSegment(1);
const form = document.getElementById('apply-form');
const fields = document.getElementById('apply-fields');
const agree = document.getElementById('agree');
const submit = document.getElementById('apply-submit');
const errorBox = document.getElementById('apply-error');
// One key per page load: a double click or a retry after a lost answer creates one order.
const idempotencyKey = randomKey();
let orderForm = null;
let submitting = false;

const TITLES = {
  new: '证书申请',
  renew: '证书延期',
  reissue: 'USBKey证书补办',
  revoke: '证书吊销',
};

async function main() {
  const title = TITLES[type] || ORDER_TYPES[type] || '证书注册';
  document.getElementById('apply-title').textContent = `证书注册 · ${title}`;
  document.title = `${title} - 国资CA数字证书服务平台`;
  renderStepBar(document.getElementById('step-bar'), 1);
  renderAgreement(document.getElementById('agreement-box'), { headingLevel: 'h3' });

  await initPage({ requireAuth: true });
  let me = { certificates: [] };
  try {
    me = await api.get('/me');
  } catch (e) {
    showError(document.getElementById('page-error'), e);
  }
  const certificates = (me.certificates || []).filter((c) => type !== 'renew' || c.status !== 'revoked');
  orderForm = buildOrderForm(document.getElementById('form-sections'), { type, certificates, prefix: 'apply' });
  orderForm.fillFromMe(me, new URLSearchParams(location.search).get('serial'));
  orderForm.attachLiveChecks();
  agree.addEventListener('change', () => {
    fields.disabled = !agree.checked;
    document.getElementById('agree-hint').hidden = agree.checked;
  });
  fields.disabled = !agree.checked;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (submitting || !orderForm) return;
  hideMessage(errorBox);
  if (!agree.checked) {
    showError(errorBox, '请先阅读并同意《国资CA数字证书服务协议》。');
    agree.focus();
    return;
  }
  if (!orderForm.validate()) {
    showError(errorBox, '请按提示修改标红的项目。');
    return;
  }
  submitting = true;
  submit.disabled = true;
  submit.textContent = '正在提交…';
  try {
    const r = await api.post('/orders', { type, agree: true, form: orderForm.values(), idempotency_key: idempotencyKey });
    location.assign('/orders/' + encodeURIComponent(r.order.order_no));
  } catch (e) {
    submitting = false;
    submit.disabled = false;
    submit.textContent = '下一步';
    reportFormError(form, errorBox, e);
  }
});

main();
