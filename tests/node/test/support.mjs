// Test support for the Node interop suite: starts the real `folio` binary on a temp data dir,
// calls the HTTP API (signup, projects, members) with fetch, connects stock yjs +
// y-websocket providers (and raw `ws` sockets speaking y-protocols), and tracks every
// resource a test opens so that it is torn down with bounded waits, pass or fail.

import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as authProtocol from 'y-protocols/auth'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import WebSocket from 'ws'

const here = path.dirname(fileURLToPath(import.meta.url))

export const FOLIO_BIN = process.env.FOLIO_BIN ||
  path.resolve(here, '../../../target/debug/folio')

// y-protocols message types (SPEC §5).
export const MSG_SYNC = 0
export const MSG_AWARENESS = 1
export const MSG_AUTH = 2
export const MSG_QUERY_AWARENESS = 3
export const SYNC_STEP1 = syncProtocol.messageYjsSyncStep1
export const SYNC_STEP2 = syncProtocol.messageYjsSyncStep2
export const SYNC_UPDATE = syncProtocol.messageYjsUpdate

const STARTUP_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 20_000
const LOG_LINES_KEPT = 400

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Servers still alive when this process exits are killed, so a crashed test leaves no orphans.
const liveProcs = new Set()
process.on('exit', () => {
  for (const proc of liveProcs) {
    try { proc.kill('SIGKILL') } catch {}
  }
})

/** Puts another child process (e.g. the S3 server) under the same kill-on-exit guard. */
export function trackProcess (proc) {
  liveProcs.add(proc)
  proc.once('exit', () => liveProcs.delete(proc))
  return proc
}

/**
 * Polls `predicate` until it returns a truthy value, and returns that value.
 * Throws after `timeoutMs` with `what` (a string or a function giving one) in the message.
 */
export async function waitFor (predicate, timeoutMs = 10_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs
  let lastError
  for (;;) {
    try {
      const value = await predicate()
      if (value) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      const label = typeof what === 'function' ? what() : what
      const suffix = lastError ? ` (last error: ${lastError.message})` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}${suffix}`)
    }
    await sleep(20)
  }
}

/** Resolves once the provider has received the server's SyncStep2. */
export function waitSynced (provider, timeoutMs = 10_000) {
  if (provider.synced) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      provider.off('sync', onSync)
      reject(new Error(`provider for ${provider.url} did not sync within ${timeoutMs} ms`))
    }, timeoutMs)
    const onSync = (synced) => {
      if (!synced) return
      clearTimeout(timer)
      provider.off('sync', onSync)
      resolve()
    }
    provider.on('sync', onSync)
  })
}

/** Server child process output: kept in a ring buffer for error messages, echoed with FOLIO_TEST_LOG=1. */
export function collectLines (stream, name, sink, onLine) {
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity })
  rl.on('line', (line) => {
    sink.push(`[${name}] ${line}`)
    if (sink.length > LOG_LINES_KEPT) sink.shift()
    if (process.env.FOLIO_TEST_LOG) process.stderr.write(`[folio ${name}] ${line}\n`)
    onLine?.(line)
  })
}

export function exitPromise (proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode })
  }
  return new Promise((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

/** Resolves with the promise's value, or with `null` once `ms` have passed. */
export function withTimeout (promise, ms) {
  let timer
  return Promise.race([
    promise,
    new Promise((resolve) => { timer = setTimeout(() => resolve(null), ms) })
  ]).finally(() => clearTimeout(timer))
}

/**
 * Starts `folio serve --listen 127.0.0.1:0 --data-dir <dataDir>` and waits until it printed
 * `folio listening on http://127.0.0.1:PORT` and `GET /readyz` answers 200.
 * Without `dataDir` a fresh temp dir is made; `stop()` does not remove it (the caller owns it).
 * `env` is laid over the cleaned environment (a value of `undefined` removes the variable):
 * the multi-node tests use it to switch a node to PostgreSQL, Redis and S3. `name` labels the
 * node's output lines.
 */
export async function startServer ({ dataDir, env: extraEnv = {}, name = '' } = {}) {
  if (!existsSync(FOLIO_BIN)) {
    throw new Error(`folio binary not found at ${FOLIO_BIN}; build it with ` +
      '`cargo build -p folio-server --bin folio` or set FOLIO_BIN')
  }
  dataDir ??= await mkdtemp(path.join(tmpdir(), 'folio-node-'))
  // The suite tests the embedded default (SQLite + local blobs under --data-dir, in-process
  // fan-out): a restart must find its state in that dir, so the scale-out switches are dropped.
  const env = { ...process.env }
  for (const key of Object.keys(env)) {
    if (key === 'DATABASE_URL' || key === 'REDIS_URL' || key.startsWith('S3_') ||
        key === 'FOLIO_LISTEN' || key === 'FOLIO_DATA_DIR') {
      delete env[key]
    }
  }
  for (const [key, value] of Object.entries(extraEnv)) {
    if (value === undefined) delete env[key]
    else env[key] = String(value)
  }
  const proc = spawn(FOLIO_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  trackProcess(proc)
  const logs = []
  const logTail = () => logs.slice(-60).join('\n')

  let onListening
  const listening = new Promise((resolve) => { onListening = resolve })
  const label = name ? `${name} ` : ''
  collectLines(proc.stdout, `${label}stdout`, logs, (line) => {
    const m = /folio listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(line)
    if (m) onListening({ url: m[1], port: Number(m[2]) })
  })
  collectLines(proc.stderr, `${label}stderr`, logs)

  const exited = exitPromise(proc)
  const spawnError = new Promise((resolve) => proc.once('error', (err) => resolve({ err })))
  const first = await withTimeout(Promise.race([
    listening,
    exited.then((e) => ({ exited: e })),
    spawnError
  ]), STARTUP_TIMEOUT_MS)
  if (first === null || first.exited || first.err) {
    proc.kill('SIGKILL')
    await withTimeout(exited, 5_000)
    const why = first === null
      ? `did not print "folio listening on http://127.0.0.1:PORT" within ${STARTUP_TIMEOUT_MS} ms`
      : first.err
        ? `could not be spawned: ${first.err.message}`
        : `exited early (code ${first.exited.code}, signal ${first.exited.signal})`
    throw new Error(`folio ${why}\n--- server output ---\n${logTail()}`)
  }
  const { url, port } = first
  const wsUrl = url.replace(/^http/, 'ws')

  const server = {
    url,
    wsUrl,
    port,
    proc,
    dataDir,
    logs: logTail,
    get running () { return proc.exitCode === null && proc.signalCode === null },
    /** SIGTERM, then waits up to `timeoutMs`; SIGKILLs and reports `timedOut` if it hangs. */
    async stop (timeoutMs = STOP_TIMEOUT_MS) {
      if (!server.running) return { ...(await exited), timedOut: false }
      proc.kill('SIGTERM')
      const result = await withTimeout(exited, timeoutMs)
      if (result !== null) return { ...result, timedOut: false }
      proc.kill('SIGKILL')
      return { ...(await exited), timedOut: true }
    },
    async kill9 () {
      if (server.running) proc.kill('SIGKILL')
      return exited
    },
    /** Starts a new process on the same data dir (a new port). */
    restart () {
      return startServer({ dataDir, env: extraEnv, name })
    }
  }

  try {
    await waitFor(async () => {
      if (!server.running) throw new Error('server exited')
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) })
      await res.arrayBuffer()
      return res.status === 200
    }, STARTUP_TIMEOUT_MS, `GET ${url}/readyz to answer 200`)
  } catch (err) {
    await server.kill9()
    err.message += `\n--- server output ---\n${logTail()}`
    throw err
  }
  return server
}

// ---------------------------------------------------------------------------------------------
// HTTP API (SPEC §4)

/** Calls the API and returns {status, body} where body is parsed JSON (or null / raw text). */
export async function api (baseUrl, method, pathname, { token, body } = {}) {
  const headers = {}
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(`${baseUrl}${pathname}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000)
  })
  const text = await res.text()
  let parsed = null
  if (text.length > 0) {
    try { parsed = JSON.parse(text) } catch { parsed = text }
  }
  return { status: res.status, body: parsed }
}

function expectStatus (res, expected, what) {
  const ok = typeof expected === 'function' ? expected(res.status) : res.status === expected
  if (!ok) {
    throw new Error(`${what}: unexpected HTTP ${res.status}: ${JSON.stringify(res.body)}`)
  }
}

/**
 * The login token of each user signed up here, by user id: `addMember` makes a user accept an
 * invite link, which needs their own token.
 */
const tokens = new Map()

/** POST /api/auth/signup -> 201 {user, token}. */
export async function signup (baseUrl, email, name, password) {
  const res = await api(baseUrl, 'POST', '/api/auth/signup', { body: { email, name, password } })
  expectStatus(res, 201, `signup ${email}`)
  if (!res.body?.user?.id || !res.body?.token) {
    throw new Error(`signup ${email}: body lacks user.id or token: ${JSON.stringify(res.body)}`)
  }
  tokens.set(res.body.user.id, res.body.token)
  return res.body
}

/** Signs up a user with a unique email. */
export function newUser (baseUrl, name) {
  const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomUUID()}@example.test`
  return signup(baseUrl, email, name, 'correct horse battery staple 42!')
}

/** POST /api/projects {title} -> 201 {project}; returns the project. */
export async function createProject (baseUrl, token, title) {
  const res = await api(baseUrl, 'POST', '/api/projects', { token, body: { title } })
  expectStatus(res, 201, `create project ${title}`)
  if (!res.body?.project?.id) {
    throw new Error(`create project: body lacks project.id: ${JSON.stringify(res.body)}`)
  }
  return res.body.project
}

/**
 * PUT /api/projects/{id}/members/{user_id} {role} -> {user, role}.
 *
 * The server adds only friends of the manager, people who already share a book with them
 * (SPEC §12). When the user is not one yet (403 `not_a_friend`), they join the real way first:
 * the manager makes a one-use invite link for `role` and the user (signed up through `signup`)
 * accepts it. Then the role is set by PUT, which now changes nothing.
 */
export async function addMember (baseUrl, token, projectId, userId, role) {
  const put = () => api(baseUrl, 'PUT', `/api/projects/${projectId}/members/${userId}`, { token, body: { role } })
  let res = await put()
  if (res.status === 403 && res.body?.error?.code === 'not_a_friend') {
    const userToken = tokens.get(userId)
    if (!userToken) throw new Error(`add member ${userId}: not a friend, and not signed up through signup() to accept an invite`)
    const invite = await api(baseUrl, 'POST', `/api/projects/${projectId}/invites`, { token, body: { role, max_uses: 1 } })
    expectStatus(invite, 201, `invite ${userId} as ${role}`)
    const accepted = await api(baseUrl, 'POST', `/api/invites/${invite.body.token}/accept`, { token: userToken })
    expectStatus(accepted, 200, `${userId} accepts an invite as ${role}`)
    res = await put()
  }
  expectStatus(res, (s) => s >= 200 && s < 300, `add member ${userId} as ${role}`)
  return res.body
}

// ---------------------------------------------------------------------------------------------
// Sync clients (SPEC §5)

/** The ws:// form of an http:// base URL (a ws:// URL is returned unchanged). */
export const toWsBase = (base) => base.replace(/^http/, 'ws')

/** A stock WebsocketProvider for the project; only ordinary options are passed. */
export function connect (wsBase, projectId, token, doc, opts = {}) {
  return new WebsocketProvider(`${toWsBase(wsBase)}/ws/projects`, projectId, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    ...opts
  })
}

/**
 * Records the reasons of y-protocols auth PermissionDenied messages the provider receives.
 * The provider itself only console.warns them; its per-instance handler table is the
 * documented extension point, so the handler for type 2 is replaced by one that records.
 */
export function recordPermissionDenied (provider) {
  const reasons = []
  provider.messageHandlers[MSG_AUTH] = (_encoder, decoder, prov) => {
    authProtocol.readAuthMessage(decoder, prov.doc, (_doc, reason) => reasons.push(reason))
  }
  return reasons
}

/** Records close events ({code, reason}) of the provider's sockets that the server closed. */
export function recordCloses (provider) {
  const closes = []
  provider.on('connection-close', (event) => {
    if (event) closes.push({ code: event.code, reason: event.reason })
  })
  return closes
}

/**
 * Opens a raw `ws` socket. Resolves {status: 101, client} on upgrade, or {status, body}
 * when the server answers the upgrade request with another HTTP status.
 */
export function rawOpen (url, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`raw websocket to ${url}: no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    ws.on('unexpected-response', (req, res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        clearTimeout(timer)
        req.destroy()
        resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') })
      })
      res.on('error', () => {})
    })
    ws.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    const client = new RawClient(ws)
    ws.on('open', () => {
      clearTimeout(timer)
      resolve({ status: 101, client })
    })
  })
}

/** A y-protocols client over a bare socket: every binary message received is kept, decoded. */
export class RawClient {
  constructor (ws) {
    this.ws = ws
    /** @type {{type:number, sub:number|null, data:Uint8Array}[]} */
    this.messages = []
    this.closed = null
    ws.on('message', (data) => {
      const bytes = new Uint8Array(data)
      const dec = decoding.createDecoder(bytes)
      const type = decoding.readVarUint(dec)
      const sub = (type === MSG_SYNC || type === MSG_AUTH) ? decoding.readVarUint(dec) : null
      this.messages.push({ type, sub, data: bytes })
    })
    ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() } })
    ws.on('error', () => {})
  }

  send (bytes) { this.ws.send(bytes) }

  waitMessage (pred, timeoutMs = 10_000, what = 'a message') {
    return waitFor(() => this.messages.find(pred), timeoutMs,
      () => `${what}; got types ${JSON.stringify(this.messages.map((m) => [m.type, m.sub]))}`)
  }

  /** Ends the TCP connection without a close handshake or any goodbye message. */
  terminate () { this.ws.terminate() }

  close () {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate()
    }
  }
}

/** Encodes an awareness message (type 1) with the given entries [{clientID, clock, state}]. */
export function encodeAwarenessMessage (entries) {
  const inner = encoding.createEncoder()
  encoding.writeVarUint(inner, entries.length)
  for (const { clientID, clock, state } of entries) {
    encoding.writeVarUint(inner, clientID)
    encoding.writeVarUint(inner, clock)
    encoding.writeVarString(inner, JSON.stringify(state))
  }
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, MSG_AWARENESS)
  encoding.writeVarUint8Array(enc, encoding.toUint8Array(inner))
  return encoding.toUint8Array(enc)
}

/** Decodes the entries of an awareness message (type 1) as [{clientID, clock, state}]. */
export function decodeAwarenessMessage (bytes) {
  const dec = decoding.createDecoder(bytes)
  if (decoding.readVarUint(dec) !== MSG_AWARENESS) throw new Error('not an awareness message')
  const inner = decoding.createDecoder(decoding.readVarUint8Array(dec))
  const n = decoding.readVarUint(inner)
  const entries = []
  for (let i = 0; i < n; i++) {
    const clientID = decoding.readVarUint(inner)
    const clock = decoding.readVarUint(inner)
    const state = JSON.parse(decoding.readVarString(inner))
    entries.push({ clientID, clock, state })
  }
  return entries
}

// ---------------------------------------------------------------------------------------------
// The book document (SPEC §6): roots `meta` (Y.Map) and `pages` (Y.Array<Y.Map>).

/** Appends (or inserts at `index`) a page in one transaction; returns its id. */
export function addPage (doc, userId, { index, withTextItem = false } = {}) {
  const pageId = randomUUID()
  const pages = doc.getArray('pages')
  doc.transact(() => {
    const page = new Y.Map()
    if (index === undefined) pages.push([page])
    else pages.insert(index, [page])
    page.set('id', pageId)
    page.set('kind', 'page')
    page.set('layout', null)
    page.set('background', { flip: false })
    const items = new Y.Map()
    page.set('items', items)
    page.set('createdBy', userId)
    page.set('auto', false)
    if (withTextItem) addTextItem(page, userId)
  })
  return pageId
}

/** Adds a text item with an empty Y.Text to a page Y.Map (inside the caller's transaction). */
export function addTextItem (page, userId) {
  const itemId = randomUUID()
  const item = new Y.Map()
  page.get('items').set(itemId, item)
  item.set('id', itemId)
  item.set('kind', 'text')
  item.set('box', [0, 0, 0.5, 0.2, 0])
  item.set('z', 0)
  item.set('createdBy', userId)
  item.set('text', new Y.Text())
  item.set('style', { align: 'center' })
  item.set('slot', null)
  return itemId
}

export const pageIds = (doc) => doc.getArray('pages').toArray().map((p) => p.get('id'))

/** The page Y.Map with the given id, or undefined. */
export const findPage = (doc, pageId) =>
  doc.getArray('pages').toArray().find((p) => p.get('id') === pageId)

/** The Y.Text of the first text item on the page with the given id, or undefined. */
export function pageText (doc, pageId) {
  const page = findPage(doc, pageId)
  if (!page) return undefined
  for (const item of page.get('items').values()) {
    if (item.get('kind') === 'text') return item.get('text')
  }
  return undefined
}

/** The whole book as plain JSON, for comparing replicas. */
export const bookJson = (doc) => ({
  meta: doc.getMap('meta').toJSON(),
  pages: doc.getArray('pages').toJSON()
})

/** JSON with object keys sorted: replicas may hold map keys in different insertion orders. */
export function canonical (value) {
  return JSON.stringify(value, (_key, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
    }
    return v
  })
}

// ---------------------------------------------------------------------------------------------
// Per-test resource scope

/**
 * Everything a test opens goes through its scope, and `t.after` tears it all down in reverse
 * order with bounded waits: providers and docs destroyed, raw sockets terminated, servers
 * stopped (SIGKILL if SIGTERM hangs), temp dirs removed.
 */
export function scope (t) {
  const cleanups = []
  const defer = (fn) => { cleanups.push(fn) }
  t.after(async () => {
    const errors = []
    while (cleanups.length > 0) {
      const fn = cleanups.pop()
      try {
        await withTimeout(Promise.resolve().then(fn), STOP_TIMEOUT_MS + 5_000)
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length > 0) throw errors[0]
  })

  const s = {
    defer,
    /** A fresh temp data dir, removed at the end of the test. */
    async dataDir () {
      const dir = await mkdtemp(path.join(tmpdir(), 'folio-node-'))
      defer(() => rm(dir, { recursive: true, force: true }))
      return dir
    },
    /** Starts a server (on a new temp dir unless given); it is stopped at the end of the test. */
    async server (opts = {}) {
      const dataDir = opts.dataDir ?? await s.dataDir()
      const srv = await startServer({ ...opts, dataDir })
      defer(async () => {
        const r = await srv.stop()
        if (r.timedOut) throw new Error('folio did not exit within the stop timeout after SIGTERM')
      })
      return srv
    },
    /** A new Y.Doc and a connected provider for it, both destroyed at the end of the test. */
    connect (server, projectId, token, { doc = new Y.Doc(), ...opts } = {}) {
      const provider = connect(server.wsUrl, projectId, token, doc, opts)
      defer(() => { provider.destroy(); doc.destroy() })
      return { doc, provider }
    },
    /** Connects and waits for the initial sync. */
    async connectSynced (server, projectId, token, opts = {}) {
      const c = s.connect(server, projectId, token, opts)
      await waitSynced(c.provider)
      return c
    },
    /** A raw socket to the project's sync endpoint; see rawOpen. */
    async raw (server, projectId, token) {
      const q = token === undefined ? '' : `?token=${encodeURIComponent(token)}`
      const res = await rawOpen(`${server.wsUrl}/ws/projects/${projectId}${q}`)
      if (res.client) defer(() => res.client.close())
      return res
    },
    /** A standalone awareness object (its doc is destroyed at the end, which stops its timer). */
    awareness () {
      const doc = new Y.Doc()
      const aw = new awarenessProtocol.Awareness(doc)
      defer(() => { aw.destroy(); doc.destroy() })
      return aw
    }
  }
  return s
}
