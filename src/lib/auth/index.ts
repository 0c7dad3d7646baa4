export { AccountStateCache } from './account-state.js'
export type { AccountState } from './account-state.js'
export { passwordWeakness } from './password-policy.js'
export { hashPassword, verifyPassword } from './password.js'
