// 《国资CA数字证书服务协议》: one text for the /agreement page and the agreement box of /apply.

import { el } from '/assets/app.js';

export const AGREEMENT_TITLE = '国资CA数字证书服务协议';

export const AGREEMENT = [
  {
    heading: '一、协议双方与适用范围',
    paragraphs: [
      '本协议由“国资CA”数字证书服务平台（以下简称“服务方”）与申请、使用“国资CA”数字证书的机构及其使用人（以下简称“用户”）共同订立，适用于证书申请、延期、补办、吊销、USBKey密钥服务等全部证书服务。',
      '用户在申请页面勾选“我已阅读并同意”并提交申请，即表示已阅读、理解并接受本协议全部条款。',
    ],
  },
  {
    heading: '二、用户的义务',
    paragraphs: [
      '1. 用户应提供真实、完整、准确的机构信息和使用人信息及相应证明材料，并在信息发生变化时及时办理变更。因信息不实造成的损失由用户承担。',
      '2. 用户应妥善保管数字证书、USBKey、手机盾及其口令，不得泄露或交付他人。初次使用USBKey时应修改默认口令，初次使用手机盾时应设置口令，口令应避免过于简单。',
      '3. 数字证书仅限用户本人（本机构）在国资监管相关业务中使用，不得转让、转借或转用。',
      '4. 发现或怀疑证书私钥泄露、USBKey或手机遗失、使用人离职等情况时，用户应立即申请吊销证书或联系客服。',
    ],
  },
  {
    heading: '三、服务方的义务',
    paragraphs: [
      '1. 服务方按照国家电子认证有关规定和本平台公布的业务规则审核申请、签发和管理证书，一般在收齐材料并确认付款后1至3个工作日内完成审核。',
      '2. 服务方对用户提交的个人信息和机构信息采取加密存储、脱敏显示等保护措施，仅用于证书服务，不向无关第三方提供，法律法规另有规定的除外。',
      '3. 服务方提供证书状态查询（CRL、OCSP）服务，并在证书到期前通过短信提醒用户办理延期。',
    ],
  },
  {
    heading: '四、证书有效期、延期与吊销',
    paragraphs: [
      '1. 证书有效期为一年。到期前办理延期的，新证书有效期自原证书到期日起延长一年；已过期的，自签发之日起计算。',
      '2. 有下列情形之一的，服务方可以吊销证书：用户申请吊销；用户提供的信息不实；证书私钥已经或可能泄露；用户违反本协议约定使用证书；法律法规规定的其他情形。证书吊销后不可恢复。',
    ],
  },
  {
    heading: '五、费用',
    paragraphs: [
      '证书服务费按本平台公布的收费标准收取，可在线支付或线下支付。审核未通过的订单，用户按提示补正材料后可重新提交，无需重复付款。',
    ],
  },
  {
    heading: '六、责任限制',
    paragraphs: [
      '因用户保管不善导致的证书盗用、冒用、伪造或篡改，以及因不可抗力、通信线路故障等非服务方原因造成的损失，服务方不承担责任。服务方因自身过错造成用户损失的，依法承担相应责任。',
    ],
  },
  {
    heading: '七、其他',
    paragraphs: [
      '本协议适用中华人民共和国法律。协议履行中发生争议的，双方应协商解决；协商不成的，提交服务方所在地人民法院诉讼解决。',
      '服务方修改本协议的，将在本平台公布；用户继续使用证书服务即视为接受修改后的协议。',
    ],
  },
];

// Appends the agreement (headings and paragraphs as text) to `container`.
export function renderAgreement(container, { headingLevel = 'h2' } = {}) {
  for (const section of AGREEMENT) {
    container.append(el(headingLevel, { class: 'agreement-heading' }, section.heading));
    for (const p of section.paragraphs) container.append(el('p', null, p));
  }
}
