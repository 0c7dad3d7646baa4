import net from 'node:net'

export interface TcpProxy {
  port: number
  url: (scheme: string, path?: string) => string
  /** Drops every open connection and refuses new ones: the backend looks down. */
  cut: () => void
  /** Accepts connections again. */
  restore: () => void
  /** Delays every chunk from the backend by `ms` (0 turns it off): a slow backend. */
  setLatency: (ms: number) => void
  /** How often `text` has appeared in what clients sent (e.g. Redis `PING` commands). */
  countSent: (text: string) => number
  close: () => Promise<void>
}

/**
 * A TCP proxy in front of a real PostgreSQL or Redis, so a test can make the
 * backend "go down" and come back without stopping the shared server.
 */
export async function startTcpProxy (targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let open = true
  let latencyMs = 0
  let sent = ''
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy()
      return
    }
    const upstream = net.connect(targetPort, targetHost)
    sockets.add(client)
    sockets.add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    client.on('data', (chunk: Buffer) => { if (sent.length < 1_000_000) sent += chunk.toString('latin1') })
    upstream.on('data', (chunk) => {
      if (latencyMs === 0) client.write(chunk)
      else setTimeout(() => client.writable && client.write(chunk), latencyMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    url: (scheme, path = '') => `${scheme}://127.0.0.1:${port}${path}`,
    cut: () => {
      open = false
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    restore: () => { open = true },
    setLatency: (ms) => { latencyMs = ms },
    countSent: (text) => sent.split(text).length - 1,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}
