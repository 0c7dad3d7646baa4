import { createServer } from 'node:net'

/** Listens on `port` (127.0.0.1) and closes again: true when it was free. */
function tryListen (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/**
 * A port of [from, to] with nothing listening on it right now, starting at a
 * per-process offset so parallel test processes rarely pick the same one.
 * Used both for servers a test starts and as a "nothing answers here" address.
 */
export async function freePort (from: number, to: number, skip: readonly number[] = []): Promise<number> {
  const span = to - from + 1
  const start = process.pid % span
  for (let i = 0; i < span; i++) {
    const port = from + ((start + i) % span)
    if (!skip.includes(port) && await tryListen(port)) return port
  }
  throw new Error(`no free port in ${from}-${to}`)
}
