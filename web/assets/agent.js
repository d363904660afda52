// The USBKey control (gzca-agent) as seen from the pages.
//
// The control is not released yet. This module is the one place pages ask for it, so the
// USBKey work only has to fill it in: detect() will find the agent on loopback (the page's CSP
// must then allow it in connect-src) and readCertificate() will read the certificate on the
// inserted key. Until then both report that no control is present, without any request.

export async function detect() {
  return null;
}

// → {serial, subject} of the certificate on the inserted USBKey, or null when there is no agent.
export async function readCertificate() {
  const agent = await detect();
  if (!agent) return null;
  return null;
}

export const NOT_DETECTED = '未检测到USBKey控件，请从列表中选择证书或手工输入';
