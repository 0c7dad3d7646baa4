import { dictionary } from '@zxcvbn-ts/language-common'

/**
 * Registration and password-change policy beyond length (NIST SP 800-63B §5.1.1.2: check
 * new passwords against commonly used, expected or compromised values; no composition
 * rules). The list is zxcvbn-ts' common-password dictionary (~49,000 passwords from public
 * breach corpora), installed from npm with the app, never fetched at run time.
 */
let common: ReadonlySet<string> | undefined

/** Built on first use (~25 ms, a few MB), then kept. */
function commonPasswords (): ReadonlySet<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()))
  return common
}

/** Number of passwords in the list (for the docs and tests). */
export function commonPasswordCount (): number {
  return commonPasswords().size
}

// One to four characters repeated to the end: aaaaaaaa, abababab, 12341234.
const REPEATED = /^([\s\S]{1,4})\1+$/u

function isSequence (password: string): boolean {
  const codes = [...password].map((c) => c.codePointAt(0) as number)
  const step = codes[1] - codes[0]
  return (step === 1 || step === -1) && codes.every((c, i) => i === 0 || c - codes[i - 1] === step)
}

/**
 * Why `password` is too easy to guess, or undefined when it is acceptable. `context`
 * holds words the password must not be (the email, its local part, the username).
 */
export function passwordWeakness (password: string, context: string[] = []): string | undefined {
  const lower = password.toLowerCase()
  if (commonPasswords().has(lower)) return 'is one of the most common passwords'
  if (REPEATED.test(password)) return 'repeats a short pattern'
  if (isSequence(password)) return 'is a simple sequence'
  if (context.some((word) => word.length > 0 && word.toLowerCase() === lower)) return 'is the account\'s email or username'
  return undefined
}
