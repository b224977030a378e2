export { allDashboards, renderDashboards, tenantOverview, sharedResources, self } from './dashboards.js';
