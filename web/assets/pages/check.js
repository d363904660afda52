// 证书检测: POST /api/platform/check with a certificate file or pasted PEM.
import { initPage, request, el, clear, formatTime, daysLeftNode, label, REVOCATION_REASONS, showError, hideMessage, setFieldError, clearFieldErrors } from '/assets/app.js';

const form = document.getElementById('check-form');
const fileInput = document.getElementById('check-file');
const pem = document.getElementById('check-pem');
const submit = document.getElementById('check-submit');
const errorBox = document.getElementById('check-error');
const result = document.getElementById('check-result');

const STATUS = { good: '正常', revoked: '已吊销', expired: '已过期', unknown: '未知' };

function statusText(r) {
  if (r.status === 'revoked') return `已吊销（${label(REVOCATION_REASONS, r.revocation_reason || 'unspecified')}）`;
  if (r.status === 'unknown') return '未知（不是本平台签发的证书，或无法确定状态）';
  return label(STATUS, r.status);
}

function show(r) {
  const dl = document.getElementById('check-info');
  clear(dl);
  const items = [
    ['证书主题', r.subject, 'check-subject'],
    ['颁发者', r.issuer, 'check-issuer'],
    ['证书序列号', r.serial, 'check-serial'],
    ['有效期', `${formatTime(r.not_before)} 至 ${formatTime(r.not_after)}`, 'check-validity'],
    ['剩余天数', daysLeftNode(r.days_left), 'check-days'],
    ['密钥算法', r.key_algorithm, 'check-algorithm'],
    ['状态', el('span', { class: `badge badge-cert-${r.status}` }, statusText(r)), 'check-status'],
    ['本平台签发', r.issued_here ? '是' : '否', 'check-issued-here'],
  ];
  for (const [name, value, testid] of items) {
    dl.append(el('div', { class: 'info-item' }, el('dt', null, name),
      el('dd', { dataset: { testid }, class: 'wrap-anywhere' }, value === undefined || value === null || value === '' ? '—' : value)));
  }
  result.hidden = false;
  result.scrollIntoView({ block: 'start' });
}

fileInput.addEventListener('change', () => {
  if (fileInput.files && fileInput.files[0]) pem.value = '';
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  hideMessage(errorBox);
  clearFieldErrors(form);
  const file = fileInput.files && fileInput.files[0];
  const text = pem.value.trim();
  if (!file && !text) {
    setFieldError(form, 'pem', '请选择证书文件或粘贴PEM格式的证书');
    pem.focus();
    return;
  }
  if (file && file.size > 1024 * 1024) {
    showError(errorBox, '证书文件不应超过1MB，请确认选择的是证书文件。');
    return;
  }
  submit.disabled = true;
  try {
    const r = await request('POST', '/check', {
      body: file || text,
      headers: { 'Content-Type': file ? 'application/octet-stream' : 'application/x-pem-file' },
      noRedirect: true,
    });
    show(r);
  } catch (e) {
    result.hidden = true;
    showError(errorBox, e);
  } finally {
    submit.disabled = false;
  }
});

initPage();
