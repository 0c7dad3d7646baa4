export { default as alertsPlugin, type AlertsPluginOptions } from './plugin.js'
export { alertsRoutes } from './routes.js'
export { DEFAULT_ALERT_RULES, loadAlertRules } from './rules.js'
export type { AlertRule } from './schemas.js'
