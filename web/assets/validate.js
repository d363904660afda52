// Client-side checks that mirror the server's (the server decides; these only save a round
// trip and put the message under the field at once). Each returns '' when fine, else a message.

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

// 统一社会信用代码, GB 32100-2015: 18 characters from the 31-character set (no I, O, Z, S, V);
// the 18th is the check character: 31 − (Σ value·weight mod 31), 31 → 0.
export function usccValid(code) {
  const s = String(code || '').trim().toUpperCase();
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(s)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(s[i]) * USCC_WEIGHTS[i];
  const check = (31 - (sum % 31)) % 31;
  return USCC_CHARS[check] === s[17];
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

// 公民身份号码, GB 11643-1999: 17 digits (6 area, 8 birth date, 3 order) and a check character
// ID_CHECK[Σ digit·weight mod 11] (ISO 7064 MOD 11-2); the birth date a real date in 1900–2100.
export function idCardValid(number) {
  const s = String(number || '').trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(s)) return false;
  const y = Number(s.slice(6, 10));
  const m = Number(s.slice(10, 12));
  const d = Number(s.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || y > 2100 || birth.getUTCFullYear() !== y || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * ID_WEIGHTS[i];
  return ID_CHECK[sum % 11] === s[17];
}

export function mobileValid(phone) {
  return /^1[3-9]\d{9}$/.test(String(phone || '').trim());
}

// Printable ASCII without spaces, one '@', local part 1–64 bytes, dot-separated domain labels
// of letters, digits and '-' (not at either end), a top-level label of two or more letters.
export function emailValid(email) {
  const s = String(email || '').trim();
  if (s.length > 254 || !/^[\x21-\x7e]+$/.test(s)) return false;
  const at = s.split('@');
  if (at.length !== 2 || at[0].length < 1 || at[0].length > 64) return false;
  const labels = at[1].split('.');
  if (labels.length < 2) return false;
  if (!labels.every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(l))) return false;
  return /^[A-Za-z]{2,}$/.test(labels[labels.length - 1]);
}

// 机构电话/传真: 7–20 characters of digits, '-', spaces and a leading '+', at least 7 digits.
export function fixedPhoneValid(phone) {
  const s = String(phone || '').trim();
  if (s.length < 7 || s.length > 20 || !/^\+?[0-9 -]+$/.test(s)) return false;
  return (s.match(/[0-9]/g) || []).length >= 7;
}

// 证件号码 other than a business licence: 1–64 printable ASCII characters without spaces.
export function otherCredentialValid(number) {
  return /^[\x21-\x7e]{1,64}$/.test(String(number || '').trim());
}

export function csrPemValid(pem) {
  const s = String(pem || '').trim();
  return /^-----BEGIN (NEW )?CERTIFICATE REQUEST-----[\s\S]+-----END (NEW )?CERTIFICATE REQUEST-----$/.test(s) && /^[\x20-\x7e\r\n\t]*$/.test(s);
}

export const MESSAGES = {
  required: '此项为必填项',
  uscc: '统一社会信用代码格式或校验位不正确（18位）',
  idCard: '身份证号码格式、出生日期或校验位不正确（18位）',
  mobile: '手机号码应为11位大陆手机号',
  phone: '电话号码格式不正确，如 010-12345678',
  credential: '证件号码应为1至64位字母、数字或符号',
  email: '电子邮箱格式不正确',
  csr: '请粘贴 PEM 格式的证书请求（以 -----BEGIN CERTIFICATE REQUEST----- 开头）',
  file: '文件大小不能超过10MB',
};
