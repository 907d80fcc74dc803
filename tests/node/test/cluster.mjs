// Multi-node support for the Node suite (SPEC §2, §8): several real `folio` processes on their
// own ports and data dirs, sharing a fresh PostgreSQL database, the Redis server and an
// S3-compatible server (s3s-fs in a child process), the way the Rust tests do it in
// tests/support/{cluster,db,s3}.rs. Everything started here is registered with the test's
// scope (support.mjs), so it is torn down with bounded waits, pass or fail: nodes first, then
// the S3 server, then the database (DROP ... WITH (FORCE), so no leftover pool can hold it).

import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import net from 'node:net'
import { homedir } from 'node:os'
import path from 'node:path'

import pg from 'pg'

import { startServer, trackProcess, collectLines, exitPromise, withTimeout } from './support.mjs'

// The same fixed credentials and bucket as tests/support/s3.rs.
export const S3_ACCESS_KEY = 'folio-test-access'
export const S3_SECRET_KEY = 'folio-test-secret'
export const S3_BUCKET = 'folio-test'

const S3_STARTUP_TIMEOUT_MS = 30_000
const NODE_STOP_TIMEOUT_MS = 20_000
const PG_TIMEOUT_MS = 15_000

const inCi = () => process.env.CI === 'true'

/**
 * The PostgreSQL server the test database is created on: `FOLIO_TEST_POSTGRES`, else a
 * postgres:// `DATABASE_URL`, else the local default (as tests/support/db.rs). Its own
 * database is only used to connect; each run gets a new one beside it.
 */
export function postgresAdminUrl () {
  if (process.env.FOLIO_TEST_POSTGRES) return process.env.FOLIO_TEST_POSTGRES
  const url = process.env.DATABASE_URL
  if (url && /^postgres(ql)?:/.test(url)) return url
  return 'postgres://postgres@127.0.0.1:5432/test'
}

/** The shared Redis: `FOLIO_TEST_REDIS`, else `REDIS_URL`, else the local default. */
export function redisUrl () {
  return process.env.FOLIO_TEST_REDIS || process.env.REDIS_URL || 'redis://127.0.0.1:6379'
}

/** The s3s-fs binary: `FOLIO_S3S_BIN`, else where `scripts/s3-server install` puts it. */
export function s3sBin () {
  if (process.env.FOLIO_S3S_BIN) return process.env.FOLIO_S3S_BIN
  const cache = process.env.FOLIO_CACHE || path.join(process.env.HOME || homedir(), '.cache/folio')
  return path.join(cache, 's3s-fs/bin/s3s-fs')
}

/** `url` with its database name replaced by `name` (query string kept). */
function withDatabase (url, name) {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** {host, port} of a URL, with the scheme's usual port when it names none. */
function hostPort (url, defaultPort) {
  const u = new URL(url)
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || defaultPort) }
}

/** Whether a TCP port answers within `timeoutMs` (to tell a missing service from a broken one). */
export function reachable ({ host, port }, timeoutMs = 2_000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok) => { socket.destroy(); resolve(ok) }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Why the scale-out tests cannot run here (PostgreSQL or Redis not answering, s3s-fs not
 * installed), or `null` when everything is there. Under `CI=true` a missing service is a
 * failure, never a skip (SPEC §1), so this throws instead of returning a reason.
 */
export async function missingServices () {
  const missing = []
  const pgAddr = hostPort(postgresAdminUrl(), 5432)
  if (!await reachable(pgAddr)) {
    missing.push(`PostgreSQL is not reachable at ${pgAddr.host}:${pgAddr.port} ` +
      '(set FOLIO_TEST_POSTGRES or DATABASE_URL, or start it; scripts/test does)')
  }
  const redisAddr = hostPort(redisUrl(), 6379)
  if (!await reachable(redisAddr)) {
    missing.push(`Redis is not reachable at ${redisAddr.host}:${redisAddr.port} ` +
      '(set FOLIO_TEST_REDIS or REDIS_URL, or start it; scripts/test does)')
  }
  const bin = s3sBin()
  if (!existsSync(bin)) {
    missing.push(`s3s-fs is missing at ${bin}: run \`scripts/s3-server install\` ` +
      '(scripts/test does) or set FOLIO_S3S_BIN')
  }
  if (missing.length === 0) return null
  const reason = missing.join('; ')
  if (inCi()) throw new Error(`${reason} (CI=true makes a missing service fatal)`)
  return reason
}

/** Runs one statement on a short-lived admin connection. */
async function adminQuery (adminUrl, sql) {
  const client = new pg.Client({
    connectionString: adminUrl,
    connectionTimeoutMillis: PG_TIMEOUT_MS,
    query_timeout: PG_TIMEOUT_MS
  })
  await client.connect()
  try {
    return await client.query(sql)
  } finally {
    await withTimeout(client.end(), 5_000)
  }
}

/**
 * Creates a fresh database `folio_node_<random>` and returns {url, name, drop}. `drop()`
 * removes it WITH (FORCE), so connections of a node that was SIGKILLed cannot keep it alive.
 */
export async function createDatabase () {
  const adminUrl = postgresAdminUrl()
  const name = `folio_node_${randomUUID().replaceAll('-', '')}`
  try {
    await adminQuery(adminUrl, `CREATE DATABASE ${name}`)
  } catch (err) {
    const { host, port } = hostPort(adminUrl, 5432)
    throw new Error(`PostgreSQL at ${host}:${port} refused CREATE DATABASE: ${err.message}`)
  }
  return {
    name,
    url: withDatabase(adminUrl, name),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
}

/**
 * Starts s3s-fs on a free port with the fixed credentials, serving `rootDir` (each folder of
 * it is a bucket, so the bucket folder is made first). Resolves once it printed
 * `server is running at http://HOST:PORT`; returns {endpoint, stop, logs}.
 */
export async function startS3 (rootDir) {
  const bin = s3sBin()
  await mkdir(path.join(rootDir, S3_BUCKET), { recursive: true })
  const proc = trackProcess(spawn(bin, [
    '--host', '127.0.0.1', '--port', '0',
    '--access-key', S3_ACCESS_KEY, '--secret-key', S3_SECRET_KEY,
    rootDir
  ], {
    env: { ...process.env, RUST_LOG: 's3s_fs=info' },
    stdio: ['ignore', 'pipe', 'pipe']
  }))
  const logs = []
  const logTail = () => logs.slice(-40).join('\n')
  let onEndpoint
  const running = new Promise((resolve) => { onEndpoint = resolve })
  // Both streams are read to the end, so a full pipe never stalls it.
  collectLines(proc.stdout, 's3s-fs stdout', logs, (line) => {
    const at = line.indexOf('server is running at ')
    if (at >= 0) onEndpoint(line.slice(at + 'server is running at '.length).trim())
  })
  collectLines(proc.stderr, 's3s-fs stderr', logs)
  const exited = exitPromise(proc)
  const spawnError = new Promise((resolve) => proc.once('error', (err) => resolve({ err })))
  const first = await withTimeout(Promise.race([
    running.then((endpoint) => ({ endpoint })),
    exited.then((e) => ({ exited: e })),
    spawnError
  ]), S3_STARTUP_TIMEOUT_MS)
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    await withTimeout(exited, 5_000)
  }
  if (first === null || !first.endpoint) {
    await stop()
    const why = first === null
      ? `did not print "server is running at" within ${S3_STARTUP_TIMEOUT_MS} ms`
      : first.err ? `could not be spawned: ${first.err.message}` : 'exited before listening'
    throw new Error(`s3s-fs (${bin}) ${why}\n--- s3s-fs output ---\n${logTail()}`)
  }
  return { endpoint: first.endpoint, stop, logs: logTail }
}

/**
 * A cluster of `n` folio nodes in the test's scope `s`: a fresh database, one S3 server with
 * a fresh root, the shared Redis, and one data dir per node. The first node starts alone (it
 * runs the migrations on the empty database), the others then start together.
 * Returns {nodes, env, addNode, logs}: `addNode()` starts one more node on the same services;
 * `logs()` is every node's recent output, for failure messages.
 */
export async function startCluster (s, n = 3) {
  const db = await createDatabase()
  s.defer(() => db.drop())
  const s3Root = await s.dataDir()
  const s3 = await startS3(s3Root)
  s.defer(() => s3.stop())

  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl(),
    S3_BUCKET,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: 'us-east-1',
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: S3_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: S3_SECRET_KEY,
    // Nothing from the surrounding environment may point a node at other credentials.
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined
  }

  const nodes = []
  // Nodes are stopped together (SIGTERM, SIGKILL after the bound), before S3 and the database.
  s.defer(async () => {
    const live = nodes.filter(Boolean)
    const results = await Promise.all(live.map((node) => node.stop(NODE_STOP_TIMEOUT_MS)))
    const hung = live.filter((_, i) => results[i].timedOut).map((node) => node.name)
    if (hung.length > 0) {
      throw new Error(`${hung.join(', ')} did not exit within ${NODE_STOP_TIMEOUT_MS} ms of SIGTERM`)
    }
  })
  let started = 0
  const addNode = async () => {
    // Named in call order (node0, node1, ...), whichever finishes starting first.
    const index = started++
    const name = `node${index}`
    const dataDir = await s.dataDir()
    const node = await startServer({ dataDir, env, name })
    node.name = name
    nodes[index] = node
    return node
  }

  await addNode()
  // allSettled, so that no node is still starting (and so unregistered) when a failure
  // reaches the teardown.
  const rest = await Promise.allSettled(Array.from({ length: n - 1 }, () => addNode()))
  const failed = rest.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
  return {
    nodes,
    env,
    addNode,
    logs: () => nodes.filter(Boolean).map((node) => `--- ${node.name} (${node.url}) ---\n${node.logs()}`).join('\n') +
      `\n--- s3s-fs ---\n${s3.logs()}`
  }
}
