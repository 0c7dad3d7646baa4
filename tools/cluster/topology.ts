import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The local two-instance topology as seen from TypeScript: every action runs
 * scripts/cluster-local.sh (the script an operator runs), so the demo and
 * the test exercise the same start, restart and stop.
 */

export const CLUSTER_SCRIPT = fileURLToPath(new URL('../../scripts/cluster-local.sh', import.meta.url))

export type InstanceId = 'a' | 'b'

export interface TopologyOptions {
  /** Run directory (pid files, logs, rendered nginx config). */
  dir: string
  /** nginx port. */
  port: number
  portA: number
  portB: number
  /** METRICS_INSTANCE_ID prefix: instances are `<name>-a` and `<name>-b`. */
  name: string
  /** Run src/ through tsx instead of building dist/ (faster to start in a test). */
  fromSource?: boolean
  /** Environment for both instances (DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX, ...). */
  env: Record<string, string>
  /** Each line the script prints (it reports each step on stderr). */
  onLine?: (line: string) => void
}

export interface Topology {
  readonly options: TopologyOptions
  /** nginx. */
  readonly url: string
  readonly instanceUrl: Record<InstanceId, string>
  readonly instanceName: Record<InstanceId, string>
  start: () => Promise<void>
  /** `restart a|b`: drained from nginx, SIGTERM, started, ready, back in nginx (`drain: false` skips the nginx steps). */
  restart: (id: InstanceId, opts?: { drain?: boolean }) => Promise<void>
  stop: () => Promise<void>
  status: () => Promise<{ ok: boolean, text: string }>
  /** The error log nginx wrote in the run directory (upstream failures and retries). */
  nginxErrors: () => Promise<string[]>
}

interface RunResult { code: number | null, output: string }

function run (opts: TopologyOptions, args: string[]): Promise<RunResult> {
  const env: Record<string, string> = {
    ...opts.env,
    CLUSTER_DIR: opts.dir,
    CLUSTER_PORT: String(opts.port),
    CLUSTER_PORT_A: String(opts.portA),
    CLUSTER_PORT_B: String(opts.portB),
    CLUSTER_NAME: opts.name,
    CLUSTER_SOURCE: opts.fromSource ? '1' : '0'
  }
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [CLUSTER_SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    let partial = ''
    const onData = (chunk: Buffer) => {
      output += chunk
      const lines = (partial + chunk).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) opts.onLine?.(line)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('error', reject)
    child.once('close', (code) => {
      if (partial) opts.onLine?.(partial)
      resolve({ code, output })
    })
  })
}

async function runOk (opts: TopologyOptions, args: string[]): Promise<void> {
  const { code, output } = await run(opts, args)
  if (code !== 0) throw new Error(`cluster-local.sh ${args.join(' ')} failed (exit ${code}):\n${output}`)
}

export function createTopology (options: TopologyOptions): Topology {
  const local = (port: number) => `http://127.0.0.1:${port}`
  return {
    options,
    url: local(options.port),
    instanceUrl: { a: local(options.portA), b: local(options.portB) },
    instanceName: { a: `${options.name}-a`, b: `${options.name}-b` },
    start: () => runOk(options, ['start']),
    restart: (id, opts = {}) => runOk(options, ['restart', id, ...(opts.drain === false ? ['--no-drain'] : [])]),
    stop: () => runOk(options, ['stop']),
    status: async () => {
      const { code, output } = await run({ ...options, onLine: undefined }, ['status'])
      return { ok: code === 0, text: output.trimEnd() }
    },
    nginxErrors: async () => {
      const text = await readFile(path.join(options.dir, 'nginx', 'error.log'), 'utf8').catch(() => '')
      return text.split('\n').filter((l) => l.trim() !== '')
    }
  }
}
