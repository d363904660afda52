// 我的信息: organisation, user (masked as the API returns it) and certificates.
import { initPage, api, el, clear, buildTable, formatDate, certStatusText, daysLeftNode, label, MEDIA, showError } from '/assets/app.js';
import { CREDENTIAL_TYPES } from '/assets/orderform.js';

function fill(dl, pairs) {
  clear(dl);
  for (const [name, value, testid] of pairs) {
    dl.append(el('div', { class: 'info-item' },
      el('dt', null, name),
      el('dd', { dataset: testid ? { testid } : undefined }, value === undefined || value === null || value === '' ? '—' : String(value))));
  }
}

function credentialLabel(value) {
  const hit = CREDENTIAL_TYPES.find(([code]) => code === value);
  return hit ? hit[1] : value;
}

async function main() {
  await initPage({ requireAuth: true });
  const status = document.getElementById('me-content');
  try {
    const me = await api.get('/me');
    status.hidden = true;
    const o = me.organisation || {};
    const u = me.subscriber || {};
    fill(document.getElementById('org-info'), [
      ['机构名称', o.name, 'org-name'],
      ['法人代表', o.legal_representative],
      ['机构证件类型', o.credential_type_label || credentialLabel(o.credential_type)],
      ['机构证件号码', o.credential_number],
      ['机构电话', o.phone],
      ['机构传真', o.fax],
    ]);
    fill(document.getElementById('user-info'), [
      ['用户标识', u.user_identifier],
      ['用户名', u.name, 'user-name-value'],
      ['联系电话', u.phone_masked, 'phone-masked'],
      ['身份证号码', u.id_card_masked, 'id-card-masked'],
      ['电子邮箱', u.email],
      ['地址/部门', u.department],
      ['联系地址', u.contact_address],
    ]);
    const table = document.getElementById('cert-table');
    clear(table);
    const certs = me.certificates || [];
    if (!certs.length) {
      table.append(el('p', { class: 'muted' }, '您名下暂无证书。'));
      return;
    }
    table.append(buildTable([
      { title: '证书序列号', class: 'mono', render: (c) => c.serial },
      { title: '证书主题', class: 'wrap-anywhere', render: (c) => c.subject },
      { title: '颁发者', class: 'wrap-anywhere', render: (c) => c.issuer },
      { title: '生效时间', render: (c) => formatDate(c.not_before) },
      { title: '到期时间', render: (c) => formatDate(c.not_after) },
      { title: '剩余天数', render: (c) => daysLeftNode(c.days_left) },
      { title: '状态', render: (c) => certStatusText(c) },
      { title: '介质', render: (c) => c.medium_label || label(MEDIA, c.medium) },
      {
        title: '操作',
        render: (c) => c.renewable
          ? el('a', { class: 'btn btn-primary btn-small', href: '/apply/renew?serial=' + encodeURIComponent(c.serial) }, '立即申请')
          : '—',
      },
    ], certs, { caption: '我的证书', testid: 'me-certs' }));
  } catch (e) {
    status.hidden = true;
    showError(document.getElementById('page-error'), e);
  }
}

main();
