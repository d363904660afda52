// 联系我们: every contact comes from GET /api/platform/site (nothing is hard-coded here).
import { initPage, site, el, clear, showError } from '/assets/app.js';

initPage();

async function load() {
  const list = document.getElementById('help-lines');
  try {
    const info = await site();
    // initPage fills every [data-site] element; the address card shows only when there is one.
    document.getElementById('address-card').hidden = !info.address;
    clear(list);
    const lines = Array.isArray(info.help_lines) ? info.help_lines : [];
    if (!lines.length) list.append(el('li', { class: 'muted' }, '暂无'));
    for (const line of lines) {
      const phone = String(line.phone || '');
      list.append(el('li', { dataset: { testid: 'help-line' } },
        el('span', { class: 'help-label' }, line.label || ''),
        el('a', { href: 'tel:' + phone.replace(/[^0-9+]/g, ''), class: 'help-phone' }, phone)));
    }
  } catch (e) {
    clear(list);
    showError(document.getElementById('page-error'), e);
  }
}

load();
