// 证书服务协议.
import { initPage } from '/assets/app.js';
import { renderAgreement } from '/assets/agreement.js';

initPage();
renderAgreement(document.getElementById('agreement-text'));
