// 批量申请上传: POST /api/platform/batch with the CSV/XLSX file, then the per-row report.
import { initPage, el, clear, buildTable, uploadFile, showError, hideMessage, setFieldError, clearFieldErrors } from '/assets/app.js';
import { MESSAGES } from '/assets/validate.js';

const form = document.getElementById('batch-form');
const fileInput = document.getElementById('batch-file');
const submit = document.getElementById('batch-submit');
const errorBox = document.getElementById('batch-error');
const report = document.getElementById('batch-report');

const CONTENT_TYPES = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

function showReport(result) {
  const rows = (result && result.rows) || [];
  const failed = rows.filter((r) => !r.ok).length;
  document.getElementById('batch-summary').textContent =
    `共 ${rows.length} 行：生成订单 ${result.created || 0} 张${failed ? `，${failed} 行有错误未生成订单，请修改后重新上传这些行` : ''}。`;
  const box = document.getElementById('batch-rows');
  clear(box);
  box.append(buildTable([
    { title: '行号', render: (r) => String(r.row) },
    { title: '结果', render: (r) => el('span', { class: r.ok ? 'badge badge-completed' : 'badge badge-rejected' }, r.ok ? '成功' : '失败') },
    { title: '订单号', class: 'mono', render: (r) => r.order_no ? el('a', { href: '/orders/' + encodeURIComponent(r.order_no) }, r.order_no) : '—' },
    {
      title: '错误说明',
      render: (r) => {
        const errors = Object.entries(r.errors || {});
        if (!errors.length) return '—';
        return el('ul', { class: 'error-list' }, errors.map(([field, message]) => el('li', null, `${field}：${message}`)));
      },
    },
  ], rows, { caption: '批量申请处理结果', testid: 'batch-rows' }));
  report.hidden = false;
  report.scrollIntoView({ block: 'start' });
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  hideMessage(errorBox);
  clearFieldErrors(form);
  const file = fileInput.files && fileInput.files[0];
  if (!file) {
    setFieldError(form, 'file', '请选择要上传的文件');
    fileInput.focus();
    return;
  }
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  if (!CONTENT_TYPES[ext]) {
    setFieldError(form, 'file', '请选择 .csv 或 .xlsx 文件');
    return;
  }
  if (file.size > 10 * 1024 * 1024) {
    setFieldError(form, 'file', MESSAGES.file);
    return;
  }
  submit.disabled = true;
  submit.textContent = '正在处理…';
  try {
    const typed = new File([file], file.name, { type: CONTENT_TYPES[ext] });
    const result = await uploadFile('POST', '/batch', typed, { headers: { 'X-File-Name': encodeURIComponent(file.name) } });
    showReport(result);
  } catch (e) {
    showError(errorBox, e);
  } finally {
    submit.disabled = false;
    submit.textContent = '上传并生成订单';
  }
});

initPage({ requireAuth: true });
