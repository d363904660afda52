// 用户登录: 短信验证码登录 (phone + picture captcha → SMS code) and the USBKey tab.
import { api, session, site, setFieldError, clearFieldErrors, showError, hideMessage, safeNext, $$ } from '/assets/app.js';
import { mobileValid, MESSAGES } from '/assets/validate.js';

const form = document.getElementById('sms-form');
const phone = document.getElementById('login-phone');
const captchaInput = document.getElementById('login-captcha');
const captchaImage = document.getElementById('captcha-image');
const captchaButton = document.getElementById('captcha-refresh');
const codeInput = document.getElementById('login-code');
const sendButton = document.getElementById('send-code');
const sendStatus = document.getElementById('send-status');
const submit = document.getElementById('login-submit');
const errorBox = document.getElementById('login-error');

let captchaId = '';
let countdownTimer = null;
const next = safeNext(new URLSearchParams(location.search).get('next'));

// ------------------------------------------------------------------ tabs (WAI-ARIA tabs pattern)
const tabs = $$('[role="tab"]');
function selectTab(tab, focus) {
  for (const t of tabs) {
    const selected = t === tab;
    t.setAttribute('aria-selected', String(selected));
    t.tabIndex = selected ? 0 : -1;
    document.getElementById(t.getAttribute('aria-controls')).hidden = !selected;
  }
  if (focus) tab.focus();
}
tabs.forEach((tab, i) => {
  tab.addEventListener('click', () => selectTab(tab, false));
  tab.addEventListener('keydown', (e) => {
    let j = null;
    if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
    if (e.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
    if (e.key === 'Home') j = 0;
    if (e.key === 'End') j = tabs.length - 1;
    if (j !== null) {
      e.preventDefault();
      selectTab(tabs[j], true);
    }
  });
});
if (location.hash === '#usbkey') selectTab(document.getElementById('tab-usbkey'), false);

// ------------------------------------------------------------------ captcha
async function refreshCaptcha() {
  captchaButton.disabled = true;
  try {
    const c = await api.post('/captcha', {}, { noRedirect: true });
    captchaId = c.captcha_id;
    captchaImage.src = c.image;
    captchaImage.dataset.captchaId = c.captcha_id;  // for support staff and automated tests
    captchaInput.value = '';
  } catch (e) {
    showError(errorBox, e);
  } finally {
    captchaButton.disabled = false;
  }
}
captchaButton.addEventListener('click', () => {
  refreshCaptcha();
  captchaInput.focus();
});

// ------------------------------------------------------------------ SMS code
function startCountdown(seconds) {
  clearInterval(countdownTimer);
  let left = Math.max(1, Math.round(seconds || 60));
  sendButton.disabled = true;
  sendButton.textContent = `${left}秒后重发`;
  countdownTimer = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(countdownTimer);
      sendButton.disabled = false;
      sendButton.textContent = '重新发送';
    } else {
      sendButton.textContent = `${left}秒后重发`;
    }
  }, 1000);
}

sendButton.addEventListener('click', async () => {
  hideMessage(errorBox);
  clearFieldErrors(form);
  sendStatus.hidden = true;
  const p = phone.value.trim();
  const answer = captchaInput.value.trim();
  let ok = true;
  if (!mobileValid(p)) {
    setFieldError(form, 'phone', p ? MESSAGES.mobile : '请输入手机号');
    ok = false;
  }
  if (!answer) {
    setFieldError(form, 'captcha_answer', '请先输入图形验证码');
    ok = false;
  }
  if (!ok) {
    (mobileValid(p) ? captchaInput : phone).focus();
    return;
  }
  sendButton.disabled = true;
  try {
    const r = await api.post('/login/sms-code', { phone: p, captcha_id: captchaId, captcha_answer: answer }, { noRedirect: true });
    startCountdown(r && r.retry_after_seconds);
    sendStatus.textContent = '短信验证码已发送，5分钟内有效。';
    sendStatus.hidden = false;
    codeInput.focus();
  } catch (e) {
    sendButton.disabled = false;
    if (e.code === 'captcha_invalid') {
      setFieldError(form, 'captcha_answer', e.message || '图形验证码错误或已失效，请重新输入');
      refreshCaptcha();
      captchaInput.focus();
    } else if (e.code === 'rate_limited') {
      showError(errorBox, e);
      if (e.data && e.data.retry_after_seconds) startCountdown(e.data.retry_after_seconds);
    } else if (e.fields) {
      if (e.fields.phone) setFieldError(form, 'phone', e.fields.phone);
      if (e.fields.captcha_answer) setFieldError(form, 'captcha_answer', e.fields.captcha_answer);
      if (!e.fields.phone && !e.fields.captcha_answer) showError(errorBox, e);
    } else if (e.code === 'invalid_argument') {
      setFieldError(form, 'phone', e.message || MESSAGES.mobile);
    } else {
      showError(errorBox, e);
    }
  }
});

// ------------------------------------------------------------------ login
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  hideMessage(errorBox);
  clearFieldErrors(form);
  const p = phone.value.trim();
  const code = codeInput.value.trim();
  let ok = true;
  if (!mobileValid(p)) {
    setFieldError(form, 'phone', p ? MESSAGES.mobile : '请输入手机号');
    phone.focus();
    ok = false;
  }
  if (!code) {
    setFieldError(form, 'code', '请输入短信验证码');
    if (ok) codeInput.focus();
    ok = false;
  }
  if (!ok) return;
  submit.disabled = true;
  submit.textContent = '正在登录…';
  try {
    await api.post('/login', { phone: p, code }, { noRedirect: true });
    location.assign(next);
  } catch (e) {
    submit.disabled = false;
    submit.textContent = '登录';
    if (e.code === 'code_invalid') {
      const left = e.data && e.data.attempts_left;
      setFieldError(form, 'code', left !== undefined ? `短信验证码错误，还可尝试${left}次` : (e.message || '短信验证码错误'));
      codeInput.select();
    } else if (e.code === 'code_expired') {
      setFieldError(form, 'code', '短信验证码已失效，请重新输入图形验证码并获取新的短信验证码');
      refreshCaptcha();
    } else if (e.code === 'no_account') {
      showError(errorBox, e.message || '该手机号尚未开通账户，请联系客服。');
    } else if (e.fields) {
      const rest = [];
      for (const [k, v] of Object.entries(e.fields)) if (!setFieldError(form, k, v)) rest.push(v);
      if (rest.length) showError(errorBox, rest.join('；'));
    } else {
      showError(errorBox, e);
    }
  }
});

// ------------------------------------------------------------------ start
async function main() {
  site().then((info) => {
    for (const node of $$('[data-site]')) {
      const v = info[node.dataset.site];
      if (v) {
        node.textContent = String(v);
        if (node.tagName === 'A' && node.dataset.siteHref === 'tel') node.href = 'tel:' + String(v).replace(/[^0-9+]/g, '');
        if (node.tagName === 'A' && node.dataset.siteHref === 'mailto') node.href = 'mailto:' + v;
      }
    }
  }).catch(() => {});
  try {
    const s = await session();
    if (s.logged_in) {
      location.replace(next);
      return;
    }
  } catch (e) {
    showError(errorBox, e);
  }
  refreshCaptcha();
}

main();
