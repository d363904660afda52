// Pages whose content is static (指南, 材料说明, 常见问题, 下载): header and footer only.
import { initPage } from '/assets/app.js';

initPage();
