import net from 'node:net'

export interface TcpProxy {
  port: number
  url: (scheme: string, path?: string) => string
  /** Drops every open connection and refuses new ones: the backend looks down. */
  cut: () => void
  /**
   * Keeps every connection open (and accepts new ones) but passes no byte in
   * either direction: a backend that is up at the TCP level and never answers
   * (a frozen server, a partition). What is sent meanwhile is held, as TCP
   * would hold it, and delivered by `restore()`.
   */
  blackhole: () => void
  /** Accepts connections again, or ends a blackhole (delivering what it held). */
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
  // Chunks held while blackholed, in order, each with the socket it is for.
  let held: Array<[net.Socket, Buffer]> | undefined
  const sockets = new Set<net.Socket>()
  const deliver = (to: net.Socket, chunk: Buffer, delayMs: number) => {
    if (held) held.push([to, chunk])
    else if (delayMs === 0) to.write(chunk)
    else setTimeout(() => to.writable && to.write(chunk), delayMs)
  }
  const server = net.createServer((client) => {
    if (!open) {
      // A reset, as the kernel answers a port nobody listens on: the client fails at once
      // (a plain close after accepting looks like a server hanging up, which clients retry).
      client.on('error', () => {}) // the reset can surface as ECONNRESET on this side too
      client.resetAndDestroy()
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
    client.on('data', (chunk: Buffer) => {
      if (sent.length < 1_000_000) sent += chunk.toString('latin1')
      deliver(upstream, chunk, 0)
    })
    upstream.on('data', (chunk: Buffer) => deliver(client, chunk, latencyMs))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    url: (scheme, path = '') => `${scheme}://127.0.0.1:${port}${path}`,
    cut: () => {
      open = false
      held = undefined
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    blackhole: () => { held ??= [] },
    restore: () => {
      open = true
      const pending = held ?? []
      held = undefined
      for (const [to, chunk] of pending) if (to.writable) to.write(chunk)
    },
    setLatency: (ms) => { latencyMs = ms },
    countSent: (text) => sent.split(text).length - 1,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}
