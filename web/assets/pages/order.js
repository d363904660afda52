// /orders/{order_no}: the step bar and the step the order is at.
//   draft             打印申请表 (form.pdf), 修改信息, 下一步 (→ materials)
//   materials         上传资料: samples, notes, the three required files, 提交订单
//   rejected          the review's reason and comment, then 上传资料 / 修改信息 again
//   awaiting_payment  在线支付 (provider checkout) or 线下支付 (voucher)
//   in_review/approved  waiting for review, with the due date
//   ready             下载证书
//   completed/cancelled  shown plainly
import {
  initPage, api, el, clear, append, pathSegment, renderStepBar, formatTime, formatFen, formatSize, formatDate,
  label, ORDER_STATES, ORDER_TYPES, REVOCATION_REASONS, showError, showNotice, hideMessage, reportFormError,
  confirmDialog, uploadFile, site, API,
} from '/assets/app.js';
import { buildOrderForm, CREDENTIAL_TYPES, MEDIA_OPTIONS } from '/assets/orderform.js';
import { MESSAGES } from '/assets/validate.js';

const orderNo = pathSegment(1);
const base = `/orders/${encodeURIComponent(orderNo)}`;
const body = document.getElementById('order-body');
const notice = document.getElementById('order-notice');
const errorBox = document.getElementById('page-error');
const MAX_BYTES = 10 * 1024 * 1024;
const ACCEPT = '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png';

const MATERIAL_LABELS = {
  application_form: '业务申请单',
  business_licence: '有效营业执照',
  id_copy: '联系人身份证复印件',
  payment_voucher: '支付凭证',
};
const REQUIRED_KINDS = ['application_form', 'business_licence', 'id_copy'];
const REVIEW_REASONS = {
  missing_materials: '材料缺失',
  wrong_information: '信息有误',
  payment_not_received: '未收到款项',
  other: '其他',
};
const FORM_LABELS = [
  ['org_name', '机构名称'], ['legal_representative', '法人代表'], ['credential_type', '机构证件类型'],
  ['credential_number', '机构证件号码'], ['org_phone', '机构电话'], ['org_fax', '机构传真'],
  ['user_identifier', '用户标识'], ['department', '地址/部门'], ['user_name', '用户名'], ['phone', '联系电话'],
  ['id_card_masked', '身份证号码'], ['email', '电子邮箱'], ['contact_address', '联系地址'],
  ['certificate_serial', '证书序列号'], ['medium', '证书介质'], ['revocation_reason', '吊销原因'],
];

let order = null;
let view = null;  // null: the state's own view; 'print': back at 打印申请表; 'edit': 修改信息

function has(action) {
  return (order.actions || []).includes(action);
}

function panel(title, testid, ...children) {
  return el('section', { class: 'panel', dataset: testid ? { testid } : undefined, 'aria-label': title },
    el('h2', { class: 'panel-title' }, title), ...children);
}

function button(text, attrs, onClick) {
  const b = el('button', { type: 'button', class: 'btn', ...attrs }, text);
  if (onClick) b.addEventListener('click', onClick);
  return b;
}

// Runs an API call with the button disabled; the order is replaced by the answer's order.
async function act(btn, call) {
  btn.disabled = true;
  hideMessage(errorBox);
  try {
    const r = await call();
    if (r && r.order) {
      order = r.order;
      view = null;
      render();
    }
    return r;
  } catch (e) {
    showError(errorBox, e);
    errorBox.scrollIntoView({ block: 'center' });
    return null;
  } finally {
    btn.disabled = false;
  }
}

// ------------------------------------------------------------------ header, notices, timeline
function renderHeader() {
  const typeLabel = order.type_label || label(ORDER_TYPES, order.type);
  document.getElementById('order-title').textContent = `${typeLabel}订单`;
  document.title = `${typeLabel}订单 ${order.order_no} - 国资CA数字证书服务平台`;
  document.getElementById('order-no').textContent = order.order_no;
  const state = document.getElementById('order-state');
  state.textContent = order.state_label || label(ORDER_STATES, order.state);
  state.className = `badge badge-${order.state}`;
  state.dataset.state = order.state;
  renderStepBar(document.getElementById('step-bar'), order.step || 1);
}

function renderReview() {
  hideMessage(notice);
  if (order.state !== 'rejected' || !order.review) return;
  clear(notice);
  notice.className = 'alert alert-error review-reject';
  notice.setAttribute('role', 'alert');
  notice.dataset.testid = 'review-reject';
  append(notice,
    el('strong', null, '审核未通过：', label(REVIEW_REASONS, order.review.reason)),
    order.review.comment ? el('p', { class: 'review-comment' }, '审核意见：', order.review.comment) : null,
    el('p', null, '请按审核意见修改信息或重新上传资料，然后点击“提交订单”。'));
  notice.hidden = false;
}

function renderTimeline() {
  const list = document.getElementById('timeline');
  clear(list);
  const events = order.timeline || [];
  document.getElementById('timeline-panel').hidden = !events.length;
  for (const ev of events) {
    list.append(el('li', { class: 'timeline-item' },
      el('time', { datetime: ev.at }, formatTime(ev.at)),
      el('span', { class: 'timeline-label' }, ev.label || ev.event),
      ev.detail ? el('span', { class: 'timeline-detail' }, ev.detail) : null,
      ev.actor ? el('span', { class: 'timeline-actor' }, ev.actor) : null));
  }
}

function cancelButton() {
  if (!has('cancel')) return null;
  return button('取消订单', { class: 'btn btn-danger-outline', dataset: { testid: 'cancel-order' } }, async (e) => {
    const yes = await confirmDialog(`确定取消订单 ${order.order_no} 吗？取消后不能恢复，需要时请重新申请。`, { ok: '取消订单', cancel: '不取消', danger: true });
    if (yes) act(e.target, () => api.post(`${base}/cancel`, {}));
  });
}

// ------------------------------------------------------------------ 打印申请表 / 修改信息
function formSummary() {
  const f = order.form || {};
  const dl = el('dl', { class: 'info-grid', dataset: { testid: 'form-summary' } });
  for (const [key, name] of FORM_LABELS) {
    let value = f[key];
    if (value === undefined || value === null || value === '') continue;
    if (key === 'credential_type') value = f.credential_type_label || (CREDENTIAL_TYPES.find(([c]) => c === value) || [null, value])[1];
    if (key === 'medium') value = f.medium_label || (MEDIA_OPTIONS.find(([c]) => c === value) || [null, value])[1];
    if (key === 'revocation_reason') value = label(REVOCATION_REASONS, value);
    dl.append(el('div', { class: 'info-item' }, el('dt', null, name), el('dd', null, String(value))));
  }
  return dl;
}

function printLink(text = '打印申请表') {
  return el('a', { class: 'btn', href: `${API}${base}/form.pdf`, target: '_blank', rel: 'noopener', dataset: { testid: 'print-form' } }, text);
}

function renderPrint() {
  const actions = el('div', { class: 'form-actions' });
  actions.append(printLink());
  if (has('edit')) actions.append(button('修改信息', { dataset: { testid: 'edit-form' } }, () => { view = 'edit'; render(); }));
  if (order.state === 'draft') {
    actions.append(button('下一步', { class: 'btn btn-primary', dataset: { testid: 'printed-next' } },
      (e) => act(e.target, () => api.post(`${base}/printed`, {}))));
  } else {
    actions.append(button('返回上传资料', { class: 'btn btn-primary', dataset: { testid: 'back-to-upload' } }, () => { view = null; render(); }));
  }
  body.append(panel('打印申请表', 'step-print',
    el('p', null, '请核对下面的信息，点击“打印申请表”打印《国资CA数字证书服务受理表》，由使用人签字并加盖单位公章后扫描，下一步上传。信息有误请点击“修改信息”。'),
    formSummary(),
    actions,
    el('p', { class: 'muted small' }, '申请表为PDF文件，如浏览器没有直接打开，请在下载后打印。')));
}

async function renderEdit() {
  const form = el('form', { novalidate: true, dataset: { testid: 'edit-form-panel' } });
  const sections = el('div');
  const box = el('div', { class: 'alert', hidden: true });
  const save = el('button', { type: 'submit', class: 'btn btn-primary', dataset: { testid: 'save-form' } }, '保存修改');
  const back = button('取消', null, () => { view = null; render(); });
  form.append(sections, box, el('div', { class: 'form-actions' }, back, save));
  body.append(panel('修改信息', 'step-edit', form));
  let certificates = [];
  try {
    const me = await api.get('/me');
    certificates = me.certificates || [];
  } catch (e) { /* the serial can still be typed */ }
  const f = buildOrderForm(sections, { type: order.type, certificates, prefix: 'edit' });
  f.fillFromOrder(order.form);
  f.attachLiveChecks();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideMessage(box);
    if (!f.validate()) {
      showError(box, '请按提示修改标红的项目。');
      return;
    }
    save.disabled = true;
    try {
      const r = await api.put(`${base}/form`, { form: f.values() });
      order = r.order;
      view = null;
      render();
      showNotice(errorBox, '信息已保存。如已打印申请表，请重新打印。', 'success');
    } catch (err) {
      reportFormError(form, box, err);
    } finally {
      save.disabled = false;
    }
  });
}

// ------------------------------------------------------------------ 上传资料
function materialOf(kind) {
  return (order.materials || []).find((m) => m.kind === kind) || { kind, label: MATERIAL_LABELS[kind], required: REQUIRED_KINDS.includes(kind), uploaded: false };
}

function materialUrl(m) {
  return `${API}${base}/materials/${encodeURIComponent(m.kind)}?v=${encodeURIComponent(m.uploaded_at || m.size || '')}`;
}

function renderPreview(previewBox, m) {
  clear(previewBox);
  if (!m.uploaded) return;
  const url = materialUrl(m);
  const type = m.media_type || '';
  if (type.startsWith('image/')) {
    previewBox.append(el('a', { href: url, target: '_blank', rel: 'noopener', class: 'preview-link' },
      el('img', { src: url, alt: `${m.label || MATERIAL_LABELS[m.kind]}预览`, class: 'preview-image', dataset: { testid: `preview-${m.kind}` } })));
  } else {
    const frameBox = el('div', { class: 'preview-frame', hidden: true });
    const toggle = button('预览', { class: 'btn btn-small', dataset: { testid: `preview-${m.kind}` } }, () => {
      if (!frameBox.firstChild) frameBox.append(el('iframe', { src: url, title: `${m.label || MATERIAL_LABELS[m.kind]}预览` }));
      frameBox.hidden = !frameBox.hidden;
      toggle.textContent = frameBox.hidden ? '预览' : '收起预览';
    });
    previewBox.append(el('div', { class: 'row-actions' }, toggle,
      el('a', { class: 'btn btn-small', href: url, target: '_blank', rel: 'noopener' }, '在新窗口打开')), frameBox);
  }
}

// One upload row: label, file input, state, progress, error, preview.
function uploadRow(kind, onChange) {
  let m = materialOf(kind);
  const id = `file-${kind}`;
  const name = m.label || MATERIAL_LABELS[kind];
  const required = kind !== 'payment_voucher' ? true : Boolean(m.required);
  const input = el('input', { type: 'file', id, name: kind, accept: ACCEPT, 'aria-describedby': `${id}-state ${id}-error`, dataset: { testid: `upload-${kind}` } });
  const state = el('span', { class: 'upload-state', id: `${id}-state`, 'aria-live': 'polite', dataset: { testid: `upload-state-${kind}` } });
  const progress = el('progress', { max: '100', value: '0', hidden: true, 'aria-label': `${name}上传进度` });
  const error = el('p', { class: 'field-error', id: `${id}-error`, hidden: true, 'aria-live': 'polite' });
  const preview = el('div', { class: 'upload-preview' });

  function showState() {
    state.className = m.uploaded ? 'upload-state uploaded' : 'upload-state';
    state.dataset.uploaded = m.uploaded ? 'true' : 'false';
    state.textContent = m.uploaded
      ? `已上传${m.original_name ? '：' + m.original_name : ''}${m.size ? '（' + formatSize(m.size) + '）' : ''}`
      : '未上传';
    renderPreview(preview, m);
  }

  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    error.hidden = true;
    if (!file) return;
    if (file.size > MAX_BYTES) {
      error.textContent = `${MESSAGES.file}（所选文件 ${formatSize(file.size)}）`;
      error.hidden = false;
      input.value = '';
      return;
    }
    if (!/\.(pdf|jpe?g|png)$/i.test(file.name)) {
      error.textContent = '请选择 PDF、JPG 或 PNG 格式的文件';
      error.hidden = false;
      input.value = '';
      return;
    }
    progress.hidden = false;
    progress.value = 0;
    input.disabled = true;
    state.textContent = '正在上传…';
    try {
      const material = await uploadFile('PUT', `${base}/materials/${encodeURIComponent(kind)}`, file, {
        headers: { 'X-File-Name': encodeURIComponent(file.name) },
        onProgress: (f) => { progress.value = Math.round(f * 100); },
      });
      m = { ...m, ...(material && material.material ? material.material : material), uploaded: true };
      if (!m.original_name) m.original_name = file.name;
      if (!m.size) m.size = file.size;
      if (!m.media_type) m.media_type = file.type;
      const list = order.materials || (order.materials = []);
      const i = list.findIndex((x) => x.kind === kind);
      if (i >= 0) list[i] = m; else list.push(m);
      showState();
      if (onChange) onChange();
    } catch (e) {
      showState();
      error.textContent = e.status === 413 ? MESSAGES.file : e.message;
      error.hidden = false;
    } finally {
      progress.hidden = true;
      input.disabled = false;
      input.value = '';
    }
  });

  showState();
  // The native file input is visually replaced by a 选择文件 button (its label), so the text
  // does not depend on the browser's language; the input itself stays focusable.
  input.className = 'file-input';
  return el('div', { class: 'upload-row', dataset: { testid: `upload-row-${kind}` } },
    el('label', { class: 'upload-label', for: id }, name, required ? el('span', { class: 'required', 'aria-hidden': 'true' }, '*') : null, '：'),
    el('div', { class: 'upload-control' }, input,
      el('label', { class: 'btn btn-small file-button', for: id, 'aria-hidden': 'true' }, '选择文件'),
      progress, error),
    state,
    preview);
}

function samplePanel() {
  return el('section', { class: 'panel samples', 'aria-label': '样例图', dataset: { testid: 'samples' } },
    el('h2', { class: 'panel-title' }, '样例图'),
    el('figure', { class: 'sample' },
      el('img', { src: '/assets/img/sample-licence.svg', alt: '营业执照样例：加盖单位公章的营业执照复印件', width: '320', height: '226' }),
      el('figcaption', null, '营业执照（样例）')),
    el('figure', { class: 'sample' },
      el('img', { src: '/assets/img/sample-idcard.svg', alt: '身份证复印件样例：正反面扫描在同一页并加盖公章', width: '320', height: '226' }),
      el('figcaption', null, '身份证（样例）')));
}

const UPLOAD_NOTES = [
  '上传各文件大小不超过10MB即可，格式为PDF、JPG或PNG。',
  '业务申请单在“订单管理”的订单详情中点击“打印申请表”打印，或者在“常用工具”“申请受理表下载”中下载。',
  '如果在线支付或者现场支付则不用上传“支付凭证”。',
  '如果关闭此页面，可在“身份信息上传”处重新打开进行上传操作，不必重新提交订单。',
  '所有身份材料扫描件必须加盖公司公章。',
  '身份证复印件正反面必须扫描在一起。',
];

function renderUpload() {
  const submitButton = button('提交订单', { class: 'btn btn-primary', dataset: { testid: 'submit-order' } },
    (e) => act(e.target, () => api.post(`${base}/submit`, {})));
  const missingNote = el('p', { class: 'field-note', 'aria-live': 'polite' });
  const refresh = () => {
    const missing = REQUIRED_KINDS.filter((k) => !materialOf(k).uploaded).map((k) => materialOf(k).label || MATERIAL_LABELS[k]);
    submitButton.disabled = missing.length > 0;
    missingNote.textContent = missing.length ? `还需上传：${missing.join('、')}` : '资料已齐全，请点击“提交订单”。';
  };
  const rows = el('div', { class: 'upload-rows' }, REQUIRED_KINDS.map((k) => uploadRow(k, refresh)));
  const notes = el('ol', { class: 'upload-notes' }, UPLOAD_NOTES.map((n) => el('li', null, n)));
  const actions = el('div', { class: 'form-actions' },
    printLink(),
    button('上一步', { dataset: { testid: 'previous-step' } }, () => { view = 'print'; render(); }),
    order.state === 'rejected' && has('edit')
      ? button('修改信息', { dataset: { testid: 'edit-form' } }, () => { view = 'edit'; render(); })
      : null,
    submitButton);
  refresh();
  body.append(el('div', { class: 'upload-layout' },
    samplePanel(),
    el('section', { class: 'panel', 'aria-label': '上传身份信息', dataset: { testid: 'step-upload' } },
      el('h2', { class: 'panel-title' }, '上传身份信息'),
      el('div', { class: 'notes-box' }, el('p', { class: 'notes-title' }, '注：'), notes),
      rows, missingNote, actions)));
}

// ------------------------------------------------------------------ 在线支付
const DEMO_BANK = [
  '开户名称：国资CA数字证书服务平台（演示）',
  '开户银行：演示银行北京分行',
  '账　　号：6200 0000 0000 0000 000（演示账号，请勿转账）',
  '汇款用途：请注明订单号',
];

function renderPayment() {
  const section = panel('在线支付', 'step-pay');
  section.id = 'pay';
  section.append(el('p', { class: 'fee' }, '证书服务费：', el('strong', { class: 'fee-amount', dataset: { testid: 'fee' } }, formatFen(order.fee))));
  if (order.payment && order.payment.method === 'online' && order.payment.state !== 'paid') {
    section.append(el('p', { class: 'alert alert-info' }, '已发起在线支付。如已完成付款，请稍候刷新本页；如未完成，可再次点击“在线支付”。'));
  }
  if (order.payment && order.payment.method === 'offline') {
    section.append(el('p', { class: 'alert alert-info' }, '已选择线下支付，等待财务人员确认到账。'));
  }
  const online = button('在线支付', { class: 'btn btn-primary btn-large', dataset: { testid: 'pay-online' } }, async (e) => {
    const r = await act(e.target, () => api.post(`${base}/payment`, { method: 'online' }));
    if (r && r.checkout_url) location.assign(r.checkout_url);
  });
  const bankText = el('div', { class: 'bank', dataset: { testid: 'bank-info' } }, DEMO_BANK.map((line) => el('p', null, line)));
  site().then((info) => {
    if (info && info.bank_transfer_text) {
      clear(bankText);
      for (const line of String(info.bank_transfer_text).split(/[；;\n]+/)) {
        if (line.trim()) bankText.append(el('p', null, line.trim()));
      }
    }
  }).catch(() => {});
  const offline = button('提交线下支付', { class: 'btn', dataset: { testid: 'pay-offline' } }, (e) => {
    if (!materialOf('payment_voucher').uploaded) {
      showError(errorBox, '请先上传支付凭证。');
      return;
    }
    act(e.target, () => api.post(`${base}/payment`, { method: 'offline' }));
  });
  section.append(el('div', { class: 'pay-options' },
    el('div', { class: 'pay-option' },
      el('h3', null, '在线支付'),
      el('p', null, '跳转到支付页面完成付款，付款成功后订单自动进入审核。'),
      online),
    el('div', { class: 'pay-option' },
      el('h3', null, '线下支付（银行转账/现场缴费）'),
      bankText,
      el('p', { class: 'muted small' }, '转账或缴费后，请上传支付凭证并点击“提交线下支付”；财务人员确认到账后进入审核。'),
      uploadRow('payment_voucher'),
      el('div', { class: 'form-actions' }, offline))));
  body.append(section);
}

// ------------------------------------------------------------------ waiting, download, done
function renderWaiting() {
  const text = order.state === 'approved'
    ? '审核已通过，证书正在签发，请稍后刷新本页下载证书。'
    : '订单已提交，等待审核（一般1至3个工作日）';
  body.append(panel(order.state === 'approved' ? '审核通过' : '等待审核', 'step-review',
    el('p', { class: 'big-status' }, text),
    order.due_at ? el('p', null, '预计审核完成时间：', el('strong', { dataset: { testid: 'due-at' } }, formatDate(order.due_at))) : null,
    el('p', { class: 'muted' }, '审核结果将以短信通知您。如有材料缺失、信息有误或未收到款项，订单会被驳回，可按提示修改后重新提交。')));
}

function renderDownload() {
  const section = panel('下载证书', 'step-download');
  section.id = 'download';
  const link = (format, text) => el('a', { class: 'btn btn-primary', href: `${API}${base}/certificate?format=${format}`, download: '', dataset: { testid: `download-${format}` } }, text);
  section.append(
    el('p', { class: 'big-status' }, '证书已签发，请下载证书。'),
    order.issued_certificate_serial ? el('p', null, '新证书序列号：', el('span', { class: 'mono' }, order.issued_certificate_serial)) : null,
    el('div', { class: 'form-actions' }, link('pem', '下载证书（PEM）'), link('der', '下载证书（DER）'), link('chain', '下载证书链')),
    el('p', { class: 'alert alert-info' }, 'USBKey用户：USBKey控件发布后，点击“下载证书”即可由控件把新证书自动写入USBKey；手机盾用户请在“国资CA”手机盾的“证书管理”中点击“更新”。'));
  body.append(section);
}

function renderPlain() {
  const texts = {
    completed: '证书业务已办理完成。',
    cancelled: '订单已取消。如需办理，请重新申请。',
  };
  body.append(panel(order.state_label || label(ORDER_STATES, order.state), 'step-done',
    el('p', { class: 'big-status' }, texts[order.state] || order.state_label || order.state),
    order.issued_certificate_serial ? el('p', null, '新证书序列号：', el('span', { class: 'mono' }, order.issued_certificate_serial)) : null,
    el('p', null, el('a', { href: '/me' }, '查看我的证书'), '　', el('a', { href: '/orders' }, '返回订单管理'))));
}

// ------------------------------------------------------------------ render
function render() {
  renderHeader();
  renderReview();
  clear(body);
  if (view === 'edit' && has('edit')) {
    renderEdit();
  } else if (view === 'print' || order.state === 'draft') {
    renderPrint();
  } else if (order.state === 'materials' || order.state === 'rejected') {
    renderUpload();
  } else if (order.state === 'awaiting_payment') {
    renderPayment();
  } else if (order.state === 'in_review' || order.state === 'approved') {
    renderWaiting();
  } else if (order.state === 'ready') {
    renderDownload();
  } else {
    renderPlain();
  }
  const cancel = cancelButton();
  if (cancel) body.append(el('div', { class: 'cancel-row' }, cancel));
  renderTimeline();
  if (location.hash && !render.scrolled) {
    render.scrolled = true;
    const target = document.getElementById(location.hash.slice(1));
    if (target) target.scrollIntoView();
  }
}

async function main() {
  await initPage({ requireAuth: true });
  try {
    const r = await api.get(base);
    order = r.order;
    render();
  } catch (e) {
    clear(body);
    if (e.status === 404) {
      body.append(el('div', { class: 'empty' }, el('p', null, '订单不存在，或不属于当前账户。'), el('p', null, el('a', { href: '/orders' }, '返回订单管理'))));
    } else {
      showError(errorBox, e);
    }
  }
}

main();
