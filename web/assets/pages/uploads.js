// 身份信息上传: orders that still need the form printed or materials uploaded.
import { initPage, api, el, clear, buildTable, formatTime, label, ORDER_STATES, ORDER_TYPES, showError } from '/assets/app.js';

const WAITING = ['draft', 'materials', 'rejected'];

async function main() {
  await initPage({ requireAuth: true });
  const container = document.getElementById('uploads-list');
  try {
    const data = await api.get('/orders?limit=100');
    const orders = ((data && data.orders) || []).filter((o) => WAITING.includes(o.state));
    clear(container);
    if (!orders.length) {
      container.append(el('div', { class: 'empty' },
        el('p', null, '没有需要上传资料的订单。'),
        el('p', null, '办理新业务请从', el('a', { href: '/' }, '首页'), '的“证书服务”开始。')));
      return;
    }
    container.append(buildTable([
      { title: '订单号', class: 'mono', render: (o) => o.order_no },
      { title: '业务类型', render: (o) => o.type_label || label(ORDER_TYPES, o.type) },
      { title: '状态', render: (o) => el('span', { class: `badge badge-${o.state}` }, o.state_label || label(ORDER_STATES, o.state)) },
      { title: '创建时间', render: (o) => formatTime(o.created_at) },
      {
        title: '操作',
        render: (o) => el('a', { class: 'btn btn-primary btn-small', href: '/orders/' + encodeURIComponent(o.order_no), dataset: { testid: 'upload-continue-' + o.order_no } },
          o.state === 'draft' ? '打印申请表' : o.state === 'rejected' ? '修改后重新提交' : '上传资料'),
      },
    ], orders, { caption: '待上传资料的订单', testid: 'uploads' }));
  } catch (e) {
    clear(container);
    showError(document.getElementById('page-error'), e);
  }
}

main();
