// 订单管理: the subscriber's orders with state/type filters and per-order actions.
import { initPage, api, el, clear, buildTable, formatTime, label, ORDER_STATES, ORDER_TYPES, showError, showNotice, confirmDialog } from '/assets/app.js';

const filters = document.getElementById('filters');
const stateSelect = document.getElementById('filter-state');
const typeSelect = document.getElementById('filter-type');
const container = document.getElementById('orders-table');
const errorBox = document.getElementById('page-error');

function orderUrl(o) {
  return '/orders/' + encodeURIComponent(o.order_no);
}

async function cancelOrder(o) {
  const yes = await confirmDialog(`确定取消订单 ${o.order_no}（${o.type_label || label(ORDER_TYPES, o.type)}）吗？取消后不能恢复，需要时请重新申请。`, { ok: '取消订单', cancel: '不取消', danger: true });
  if (!yes) return;
  try {
    await api.post(`/orders/${encodeURIComponent(o.order_no)}/cancel`, {});
    showNotice(errorBox, `订单 ${o.order_no} 已取消。`, 'success');
    load();
  } catch (e) {
    showError(errorBox, e);
  }
}

function actionsFor(o) {
  const actions = new Set(o.actions || []);
  const box = el('div', { class: 'row-actions' });
  if (actions.has('edit') || actions.has('print') || actions.has('upload') || actions.has('submit')) {
    box.append(el('a', { class: 'btn btn-small btn-primary', href: orderUrl(o), dataset: { testid: 'continue-' + o.order_no } }, '继续办理'));
  }
  if (actions.has('pay')) {
    box.append(el('a', { class: 'btn btn-small btn-primary', href: orderUrl(o) + '#pay', dataset: { testid: 'pay-' + o.order_no } }, '支付'));
  }
  if (actions.has('download')) {
    box.append(el('a', { class: 'btn btn-small btn-primary', href: orderUrl(o) + '#download', dataset: { testid: 'download-' + o.order_no } }, '下载证书'));
  }
  if (actions.has('cancel')) {
    box.append(el('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'cancel-' + o.order_no }, onclick: (e) => { e.stopPropagation(); cancelOrder(o); } }, '取消'));
  }
  if (!box.childNodes.length) box.append(el('a', { class: 'btn btn-small', href: orderUrl(o) }, '查看'));
  return box;
}

async function load() {
  const params = new URLSearchParams();
  if (stateSelect.value) params.set('state', stateSelect.value);
  if (typeSelect.value) params.set('type', typeSelect.value);
  const query = params.toString();
  history.replaceState(null, '', query ? '/orders?' + query : '/orders');
  try {
    // One page of up to 100 orders (the API pages by 20 unless asked).
    const data = await api.get('/orders?' + (query ? query + '&' : '') + 'limit=100');
    clear(container);
    const orders = (data && data.orders) || [];
    if (!orders.length) {
      container.append(el('div', { class: 'empty' },
        el('p', null, query ? '没有符合条件的订单。' : '您还没有订单。'),
        el('p', null, el('a', { href: '/apply/renew', class: 'btn btn-primary' }, '办理证书延期'), ' ',
          el('a', { href: '/apply/new', class: 'btn' }, '申请新证书'))));
      return;
    }
    container.append(buildTable([
      { title: '订单号', class: 'mono', render: (o) => el('a', { href: orderUrl(o), class: 'order-link' }, o.order_no) },
      { title: '业务类型', render: (o) => o.type_label || label(ORDER_TYPES, o.type) },
      { title: '证书序列号', class: 'mono', render: (o) => o.certificate_serial || o.issued_certificate_serial || '—' },
      { title: '状态', render: (o) => el('span', { class: `badge badge-${o.state}`, dataset: { testid: 'state-' + o.order_no } }, o.state_label || label(ORDER_STATES, o.state)) },
      { title: '创建时间', render: (o) => formatTime(o.created_at) },
      { title: '操作', render: (o) => actionsFor(o) },
    ], orders, {
      caption: '我的订单',
      testid: 'orders',
      rowAttrs: (o) => ({ class: 'clickable', dataset: { href: orderUrl(o), orderNo: o.order_no } }),
    }));
  } catch (e) {
    clear(container);
    showError(errorBox, e);
  }
}

// A click anywhere on a row (not on its links or buttons) opens the order.
container.addEventListener('click', (e) => {
  if (e.target.closest('a, button')) return;
  const row = e.target.closest('tr[data-href]');
  if (row) location.assign(row.dataset.href);
});

filters.addEventListener('submit', (e) => {
  e.preventDefault();
  load();
});
stateSelect.addEventListener('change', load);
typeSelect.addEventListener('change', load);

async function main() {
  await initPage({ requireAuth: true });
  const params = new URLSearchParams(location.search);
  if (params.get('state')) stateSelect.value = params.get('state');
  if (params.get('type')) typeSelect.value = params.get('type');
  load();
}

main();
