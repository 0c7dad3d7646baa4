export { createEventRelay } from './event-relay.js'
export { StoreTimeoutError, withStoreTimeout } from './store-timeout.js'
