import net from 'node:net'

/**
 * Who a request counts against: the authenticated user, else the client
 * address. Never derived from headers a client can change freely (a key of
 * `hash(user_agent)` lets a client escape its limit by changing its agent).
 */
export type ClientKind = 'user' | 'ip' | 'whitelisted'

export interface ClientIdentity {
  kind: ClientKind
  /** Rate-limit bucket key: `user:<id>` or `ip:<address>` (IPv6 grouped by /64). */
  key: string
  /** Normalised client address (`request.ip` with IPv4-mapped IPv6 unwrapped). */
  ip: string
  userId?: number
}

// One IPv6 customer usually owns a whole /64 and can rotate addresses inside it at will,
// so per-address IPv6 buckets would be no limit at all.
const IPV6_BUCKET_PREFIX_BITS = 64
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

/** `::ffff:1.2.3.4` → `1.2.3.4`; other addresses unchanged (lower-cased). */
export function normalizeIp (ip: string): string {
  const mapped = IPV4_MAPPED.exec(ip)
  if (mapped) return mapped[1]
  return ip.includes(':') ? ip.toLowerCase() : ip
}

/** Expands an IPv6 address (with `::` and an optional dotted IPv4 tail) into 8 hextets. */
function ipv6Hextets (ip: string): number[] | undefined {
  let text = ip.split('%')[0]
  const v4Tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (v4Tail) {
    const [a, b, c, d] = v4Tail.slice(1).map(Number)
    text = `${text.slice(0, v4Tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] ? halves[0].split(':') : []
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  const hextets = groups.map((g) => Number.parseInt(g, 16))
  return hextets.some((h) => Number.isNaN(h) || h < 0 || h > 0xffff) ? undefined : hextets
}

/** The rate-limit bucket of an address: IPv4 as is, IPv6 as its /64 network (`2001:db8:0:1::/64`). */
export function ipBucket (ip: string): string {
  if (net.isIPv6(ip)) {
    const hextets = ipv6Hextets(ip)
    if (hextets) return `${hextets.slice(0, IPV6_BUCKET_PREFIX_BITS / 16).map((h) => h.toString(16)).join(':')}::/${IPV6_BUCKET_PREFIX_BITS}`
  }
  return ip
}

export interface IpAllowList {
  /** True when the (normalised) address is listed or inside a listed CIDR. */
  has: (ip: string) => boolean
  size: number
}

/**
 * Parses a comma-separated list of IPs and CIDRs (IPv4 and IPv6) into a
 * `BlockList`. Throws naming the bad entry, so a typo fails the boot instead
 * of silently whitelisting nobody. Loopback is not special: list it to exempt it.
 */
export function parseAllowList (entries: string[], source = 'RATE_LIMIT_WHITELIST'): IpAllowList {
  const list = new net.BlockList()
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/')
    const family = net.isIP(address)
    const bits = prefix === undefined ? undefined : Number(prefix)
    const maxBits = family === 6 ? 128 : 32
    if (family === 0 || extra !== undefined || (bits !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= maxBits && /^\d+$/.test(prefix)))) {
      throw new Error(`${source}: '${entry}' is not an IP address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)`)
    }
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(address, type)
    else list.addSubnet(address, bits, type)
  }
  const size = entries.length
  return {
    size,
    has: (ip) => size > 0 && net.isIP(ip) !== 0 && list.check(ip, net.isIPv6(ip) ? 'ipv6' : 'ipv4')
  }
}

/** The identity of an authenticated user, or of an anonymous client by address. */
export function identify (ip: string, userId: number | undefined): ClientIdentity {
  if (userId !== undefined) return { kind: 'user', key: `user:${userId}`, ip, userId }
  return { kind: 'ip', key: `ip:${ipBucket(ip)}`, ip }
}

/**
 * Remembers which bearer tokens the auth plugin has already verified, so the
 * rate limiter can name the user of a public route (the catalog, browsed by
 * signed-in shoppers) without verifying the same token's signature on every
 * request: that verification was the largest single cost of the limiter in
 * the overhead benchmark. Only tokens that passed verification are stored,
 * each until its own `exp` (a token without `exp` is not stored). A JWT is
 * immutable and the secret does not change while the process runs, so a
 * stored answer is the answer verification would give again. Bounded:
 * the oldest entries go first.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { userId: number, expiresAtMs: number }>()

  constructor (private readonly maxEntries: number) {}

  /** The user id of an `Authorization` header verified before and not yet expired. */
  get (authorization: string, nowMs: number): number | undefined {
    const entry = this.entries.get(authorization)
    if (entry === undefined) return undefined
    if (entry.expiresAtMs > nowMs) return entry.userId
    this.entries.delete(authorization)
    return undefined
  }

  /** Stores a header whose token the auth plugin has just verified as `userId`. */
  set (authorization: string, userId: number): void {
    const expiresAtMs = tokenExpiryMs(authorization)
    if (expiresAtMs === undefined) return
    if (this.entries.size >= this.maxEntries && !this.entries.has(authorization)) this.entries.delete(this.entries.keys().next().value as string)
    this.entries.set(authorization, { userId, expiresAtMs })
  }
}

/** `exp` (ms) of a `Bearer <jwt>` header's payload; undefined when absent or unreadable. */
function tokenExpiryMs (authorization: string): number | undefined {
  const payload = authorization.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp
    return typeof exp === 'number' ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}
