import { connect } from 'node:net'

/** `host:port` of an address knob such as TECHMART_DEFAULT_PG_ADDR. */
export interface HostPort { host: string, port: number }

/** Parses `host:port` (`[::1]:5432` for IPv6); throws naming `name` when malformed. */
export function parseHostPort (value: string, name: string): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value.trim())
  const port = m ? Number(m[3]) : NaN
  if (!m || port < 1 || port > 65535) throw new Error(`${name}=${JSON.stringify(value)}: expected host:port, e.g. 127.0.0.1:5432`)
  return { host: m[1] ?? m[2], port }
}

/** The host and port a postgres:// or redis:// URL connects to, with the scheme's default port. */
export function urlHostPort (url: string, defaultPort: number): HostPort | undefined {
  const u = new URL(url)
  // A URL without a host (a Unix socket in the query string) is left to the driver.
  if (!u.hostname) return undefined
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : defaultPort }
}

/**
 * True when something accepts a TCP connection at `host:port` within
 * `timeoutMs`. Only says that a server listens there, not which one: the
 * step that connects for real reports anything else, naming the URL.
 */
export function answers ({ host, port }: HostPort, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
