export { createEventRelay, type EventRelay, type EventRelayOptions } from './event-relay.js'
export { StoreTimeoutError, withStoreTimeout } from './store-timeout.js'
