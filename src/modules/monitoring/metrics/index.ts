export { metricsModule, type MetricsModuleOptions } from './module.js'
