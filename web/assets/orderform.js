// The order form (机构信息, 用户信息, 证书信息) shared by /apply/{type} and the 修改信息 step of
// /orders/{no}: built from one field list, filled from /me or from an order, read back into the
// API's `form` object, and checked as the server checks it.

import { el, $$, setFieldError, clearFieldErrors, REVOCATION_REASONS, CERT_STATUS, label, formatDate } from '/assets/app.js';
import { usccValid, idCardValid, mobileValid, emailValid, fixedPhoneValid, otherCredentialValid, csrPemValid, MESSAGES } from '/assets/validate.js';
import * as agent from '/assets/agent.js';

export const CREDENTIAL_TYPES = [
  ['business_licence', '工商营业执照'],
  ['institution_licence', '事业单位法人证'],
  ['other', '其他'],
];

export const MEDIA_OPTIONS = [
  ['usbkey', 'USBKey'],
  ['shield', '“国资CA”手机盾'],
];

const ORG_FIELDS = [
  { name: 'org_name', label: '机构名称', required: true, maxlength: 128, autocomplete: 'organization' },
  { name: 'legal_representative', label: '法人代表', required: true, maxlength: 128 },
  { name: 'credential_type', label: '机构证件类型', required: true, kind: 'radio', options: CREDENTIAL_TYPES },
  { name: 'credential_number', label: '机构证件号码', required: true, maxlength: 64, hint: '工商营业执照填写18位统一社会信用代码' },
  { name: 'org_phone', label: '机构电话', maxlength: 20, inputmode: 'tel' },
  { name: 'org_fax', label: '机构传真', maxlength: 20, inputmode: 'tel' },
];

const USER_FIELDS = [
  { name: 'user_identifier', label: '用户标识', required: true, maxlength: 128, hint: '统一用户系统中的登录标识' },
  { name: 'department', label: '地址/部门', required: true, maxlength: 128 },
  { name: 'user_name', label: '用户名', required: true, maxlength: 64, autocomplete: 'name', hint: '证书使用人姓名' },
  { name: 'phone', label: '联系电话', required: true, maxlength: 20, inputmode: 'tel', autocomplete: 'tel', hint: '手机号码，用于接收审核结果短信' },
  { name: 'id_card', label: '身份证号码', required: true, maxlength: 18, autocomplete: 'off' },
  { name: 'email', label: '电子邮箱', maxlength: 100, inputmode: 'email', autocomplete: 'email', type: 'email' },
  { name: 'contact_address', label: '联系地址', required: true, maxlength: 256, wide: true, autocomplete: 'street-address' },
];

// Which certificate fields each order type has.
function certFields(type) {
  const fields = [];
  if (type === 'new') fields.push({ name: 'medium', label: '证书介质', required: true, kind: 'radio', options: MEDIA_OPTIONS, wide: true });
  if (type !== 'new') fields.push({ name: 'certificate_serial', label: '证书序列号', required: true, kind: 'serial', wide: true });
  if (type === 'new' || type === 'reissue') fields.push({ name: 'csr_pem', label: '证书请求(PKCS#10 PEM)', required: true, kind: 'textarea', wide: true, hint: '安装国资CA USBKey控件后，证书请求将由控件在USBKey内生成密钥后自动填写；目前请粘贴以 -----BEGIN CERTIFICATE REQUEST----- 开头的证书请求。' });
  if (type === 'revoke') fields.push({ name: 'revocation_reason', label: '吊销原因', required: true, kind: 'select', options: Object.entries(REVOCATION_REASONS) });
  return fields;
}

function fieldId(prefix, name) {
  return `${prefix}-${name}`;
}

function requiredMark(field) {
  return field.required ? el('span', { class: 'required', 'aria-hidden': 'true' }, '*') : null;
}

function errorSlot(name, id) {
  return el('p', { class: 'field-error reserve', id, 'data-error-for': name, hidden: true, 'aria-live': 'polite' });
}

function buildField(field, prefix, ctx) {
  const id = fieldId(prefix, field.name);
  const errId = `${id}-error`;
  const hintId = field.hint ? `${id}-hint` : null;
  const describedBy = [hintId, errId].filter(Boolean).join(' ');
  const wrap = el('div', { class: field.wide ? 'field field-wide' : 'field' });
  const common = { name: field.name, id, 'aria-describedby': describedBy, required: field.required, dataset: { testid: `field-${field.name}` } };

  if (field.kind === 'radio') {
    const group = el('fieldset', { class: 'radio-group', 'aria-describedby': describedBy });
    group.append(el('legend', { class: 'field-label' }, requiredMark(field), field.label, '：'));
    const options = el('div', { class: 'radio-options' });
    field.options.forEach(([value, text], i) => {
      const rid = `${id}-${value}`;
      options.append(el('label', { class: 'radio', for: rid },
        el('input', { type: 'radio', name: field.name, id: rid, value, required: field.required && i === 0, checked: i === 0 }),
        text));
    });
    group.append(options);
    wrap.append(group, errorSlot(field.name, errId));
    return wrap;
  }

  wrap.append(el('label', { class: 'field-label', for: id }, requiredMark(field), field.label, '：'));
  let control;
  if (field.kind === 'textarea') {
    control = el('textarea', { ...common, rows: 6, spellcheck: 'false', class: 'mono' });
  } else if (field.kind === 'select') {
    control = el('select', common, el('option', { value: '' }, '请选择'),
      field.options.map(([value, text]) => el('option', { value }, text)));
  } else if (field.kind === 'serial') {
    control = el('div', { class: 'serial-row' });
    const select = el('select', { id: `${id}-list`, 'aria-label': '从我的证书中选择', dataset: { testid: 'cert-select' } },
      el('option', { value: '' }, ctx.certificates.length ? '从我的证书中选择…' : '（没有找到您名下的证书）'),
      ctx.certificates.map((c) => el('option', { value: c.serial },
        `${c.serial}（${label(CERT_STATUS, c.status)}，${formatDate(c.not_after)} 到期）`)));
    const input = el('input', { ...common, type: 'text', class: 'mono', autocomplete: 'off', spellcheck: 'false', placeholder: '证书序列号（十六进制）' });
    const readButton = el('button', { type: 'button', class: 'btn', dataset: { testid: 'read-usbkey' } }, '读取');
    const note = el('p', { class: 'field-note', id: `${id}-agent`, 'aria-live': 'polite', hidden: true });
    select.addEventListener('change', () => {
      if (select.value) input.value = select.value;
      setFieldError(wrap, field.name, '');
    });
    readButton.addEventListener('click', async () => {
      readButton.disabled = true;
      try {
        const cert = await agent.readCertificate();
        if (cert && cert.serial) {
          input.value = cert.serial;
          note.textContent = `已读取USBKey中的证书：${cert.serial}`;
        } else {
          note.textContent = agent.NOT_DETECTED;
        }
      } catch (e) {
        note.textContent = agent.NOT_DETECTED;
      } finally {
        note.hidden = false;
        readButton.disabled = false;
      }
    });
    control.append(select, input, readButton);
    wrap.append(control, note);
    if (hintId) wrap.append(el('p', { class: 'field-hint', id: hintId }, field.hint));
    wrap.append(errorSlot(field.name, errId));
    return wrap;
  } else {
    control = el('input', {
      ...common, type: field.type || 'text', maxlength: field.maxlength, inputmode: field.inputmode,
      autocomplete: field.autocomplete,
    });
  }
  wrap.append(control);
  if (hintId) wrap.append(el('p', { class: 'field-hint', id: hintId }, field.hint));
  wrap.append(errorSlot(field.name, errId));
  return wrap;
}

// Builds the three sections into `form` (a <form> or a <fieldset>). ctx: {type, certificates,
// prefix}. Returns the form helper.
export function buildOrderForm(container, { type, certificates = [], prefix = 'f' }) {
  const ctx = { certificates };
  const sections = [
    ['机构信息', ORG_FIELDS],
    ['用户信息', USER_FIELDS],
    ['证书信息', certFields(type)],
  ];
  for (const [title, fields] of sections) {
    const section = el('section', { class: 'form-section', 'aria-label': title },
      el('h3', { class: 'form-section-title' }, title));
    const grid = el('div', { class: 'form-grid' });
    for (const f of fields) grid.append(buildField(f, prefix, ctx));
    section.append(grid);
    container.append(section);
  }
  return new OrderForm(container, type);
}

export class OrderForm {
  constructor(root, type) {
    this.root = root;
    this.type = type;
    this.masked = {};  // name → masked value shown as is (kept by the server when unchanged)
  }

  input(name) {
    return this.root.querySelector(`[name="${CSS.escape(name)}"]`);
  }

  set(name, value) {
    if (value === undefined || value === null) return;
    if (name === 'credential_type' || name === 'medium') {
      const wanted = name === 'credential_type' ? normaliseCredentialType(value) : String(value);
      for (const radio of $$(`input[name="${name}"]`, this.root)) radio.checked = radio.value === wanted;
      return;
    }
    const input = this.input(name);
    if (input) input.value = String(value);
  }

  // Values from GET /me.
  fillFromMe(me, serial) {
    const o = (me && me.organisation) || {};
    const s = (me && me.subscriber) || {};
    this.set('org_name', o.name);
    this.set('legal_representative', o.legal_representative);
    this.set('credential_type', o.credential_type);
    this.set('credential_number', o.credential_number);
    this.set('org_phone', o.phone);
    this.set('org_fax', o.fax);
    this.set('user_identifier', s.user_identifier);
    this.set('department', s.department);
    this.set('user_name', s.name);
    this.set('phone', s.phone || s.phone_masked);
    if (!s.phone && s.phone_masked) this.masked.phone = s.phone_masked;
    this.set('id_card', s.id_card_masked);
    if (s.id_card_masked) this.masked.id_card = s.id_card_masked;
    this.set('email', s.email);
    this.set('contact_address', s.contact_address);
    if (serial) this.set('certificate_serial', serial);
  }

  // Values from an order's `form`.
  fillFromOrder(form) {
    for (const [k, v] of Object.entries(form || {})) {
      if (k === 'id_card_masked') continue;
      this.set(k, v);
    }
    if (form && form.id_card_masked) {
      this.set('id_card', form.id_card_masked);
      this.masked.id_card = form.id_card_masked;
    }
    if (form && form.phone && /\*/.test(form.phone)) this.masked.phone = form.phone;
    const list = this.root.querySelector('select[id$="-certificate_serial-list"]');
    if (list && form && form.certificate_serial) list.value = form.certificate_serial;
  }

  // The API's `form` object.
  values() {
    const out = {};
    for (const input of $$('input[name], textarea[name], select[name]', this.root)) {
      if (input.type === 'radio') {
        if (input.checked) out[input.name] = input.value;
        continue;
      }
      out[input.name] = input.value.trim();
    }
    if (out.credential_number) out.credential_number = out.credential_number.toUpperCase();
    if (out.id_card) out.id_card = out.id_card.toUpperCase();
    if (out.certificate_serial) out.certificate_serial = out.certificate_serial.replace(/[\s:]/g, '');
    return out;
  }

  // Client-side checks; shows messages under the fields. → true when all pass.
  validate() {
    clearFieldErrors(this.root);
    const v = this.values();
    const errors = {};
    for (const input of $$('[required]', this.root)) {
      if (input.type === 'radio') {
        if (!$$(`input[name="${input.name}"]`, this.root).some((r) => r.checked)) errors[input.name] = MESSAGES.required;
      } else if (!input.value.trim()) errors[input.name] = MESSAGES.required;
    }
    const unchanged = (name) => this.masked[name] && v[name] === this.masked[name].toUpperCase();
    if (v.credential_number && !errors.credential_number) {
      if (v.credential_type === 'business_licence') {
        if (!usccValid(v.credential_number)) errors.credential_number = MESSAGES.uscc;
      } else if (!otherCredentialValid(v.credential_number)) errors.credential_number = MESSAGES.credential;
    }
    if (v.id_card && !errors.id_card && !unchanged('id_card') && !idCardValid(v.id_card)) errors.id_card = MESSAGES.idCard;
    if (v.phone && !errors.phone && !unchanged('phone') && !mobileValid(v.phone)) errors.phone = MESSAGES.mobile;
    if (v.email && !emailValid(v.email)) errors.email = MESSAGES.email;
    if (v.org_phone && !fixedPhoneValid(v.org_phone)) errors.org_phone = MESSAGES.phone;
    if (v.org_fax && !fixedPhoneValid(v.org_fax)) errors.org_fax = MESSAGES.phone;
    if (v.certificate_serial && !/^[0-9A-Fa-f]{1,64}$/.test(v.certificate_serial)) errors.certificate_serial = '证书序列号应为十六进制数字';
    if (v.csr_pem && !csrPemValid(v.csr_pem)) errors.csr_pem = MESSAGES.csr;
    let first = null;
    for (const [name, message] of Object.entries(errors)) {
      setFieldError(this.root, name, message);
      if (!first) first = this.input(name);
    }
    if (first) first.focus();
    return Object.keys(errors).length === 0;
  }

  // Checks one field as the user leaves it (only messages for what was typed).
  attachLiveChecks() {
    this.root.addEventListener('focusout', (e) => {
      const input = e.target;
      if (!input.name || !input.value) return;
      const v = input.value.trim();
      let message = '';
      const unchanged = this.masked[input.name] && v.toUpperCase() === this.masked[input.name].toUpperCase();
      if (input.name === 'id_card' && !unchanged && !idCardValid(v)) message = MESSAGES.idCard;
      if (input.name === 'phone' && !unchanged && !mobileValid(v)) message = MESSAGES.mobile;
      if (input.name === 'email' && !emailValid(v)) message = MESSAGES.email;
      if (input.name === 'credential_number') {
        const type = (this.root.querySelector('input[name="credential_type"]:checked') || {}).value;
        if (type === 'business_licence' ? !usccValid(v) : !otherCredentialValid(v)) {
          message = type === 'business_licence' ? MESSAGES.uscc : MESSAGES.credential;
        }
      }
      if ((input.name === 'org_phone' || input.name === 'org_fax') && !fixedPhoneValid(v)) message = MESSAGES.phone;
      if (['id_card', 'phone', 'email', 'credential_number', 'org_phone', 'org_fax'].includes(input.name)) setFieldError(this.root, input.name, message);
    });
  }
}

// Accepts the code or the Chinese label for the credential type.
function normaliseCredentialType(value) {
  const s = String(value || '');
  for (const [code, text] of CREDENTIAL_TYPES) {
    if (s === code || s === text) return code;
  }
  if (s.includes('营业执照')) return 'business_licence';
  if (s.includes('事业单位') || s === 'institution') return 'institution_licence';
  return s ? 'other' : 'business_licence';
}

