// 首页: the service groups are static; logged-in users also see their certificates.
import { initPage, api, el, clear, buildTable, formatDate, certStatusText, daysLeftNode, label, MEDIA, showError } from '/assets/app.js';

async function main() {
  const s = await initPage();
  if (!s.logged_in) return;
  const panel = document.getElementById('my-certs');
  const list = document.getElementById('cert-list');
  panel.hidden = false;
  try {
    const me = await api.get('/me');
    clear(list);
    const certs = (me && me.certificates) || [];
    if (!certs.length) {
      list.append(el('p', { class: 'muted' }, '您名下暂无证书。首次办理请点击“证书申请”。'));
      return;
    }
    list.append(buildTable([
      { title: '证书序列号', class: 'mono', render: (c) => c.serial },
      { title: '介质', render: (c) => c.medium_label || label(MEDIA, c.medium) },
      { title: '有效期至', render: (c) => formatDate(c.not_after) },
      { title: '剩余天数', render: (c) => daysLeftNode(c.days_left) },
      { title: '状态', render: (c) => certStatusText(c) },
      {
        title: '操作',
        render: (c) => c.renewable
          ? el('a', { class: 'btn btn-primary btn-small', href: '/apply/renew?serial=' + encodeURIComponent(c.serial), dataset: { testid: 'renew-' + c.serial } }, '立即申请')
          : '—',
      },
    ], certs, { caption: '我的证书', testid: 'home-certs' }));
  } catch (e) {
    clear(list);
    showError(document.getElementById('page-error'), e);
  }
}

main();
