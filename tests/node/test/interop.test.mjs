// Interop tests: stock yjs + y-websocket clients (and raw y-protocols sockets) against the real
// `folio` binary, checking the WebSocket sync contract of SPEC §5 and the durability of §7:
// convergence, offline edits, restarts, read-only roles, awareness stamping and upgrade auth.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'

import {
  scope, waitFor, waitSynced, sleep,
  newUser, createProject, addMember,
  recordPermissionDenied, recordCloses,
  encodeAwarenessMessage, decodeAwarenessMessage,
  addPage, pageIds, findPage, pageText, bookJson, canonical,
  MSG_SYNC, MSG_AWARENESS, SYNC_STEP1
} from './support.mjs'

/** A project owned by a new user, plus one member per given role. */
async function projectWith (srv, title, roles = []) {
  const owner = await newUser(srv.url, 'Olive Owner')
  const project = await createProject(srv.url, owner.token, title)
  const members = []
  for (const [i, role] of roles.entries()) {
    const u = await newUser(srv.url, `Member ${i} ${role}`)
    await addMember(srv.url, owner.token, project.id, u.user.id, role)
    members.push(u)
  }
  return { owner, project, members }
}

/** The SyncStep1 message a y-websocket client sends first: an empty state vector. */
function emptySyncStep1 () {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, MSG_SYNC)
  syncProtocol.writeSyncStep1(enc, new Y.Doc())
  return encoding.toUint8Array(enc)
}

/** Asserts an awareness `user` is exactly the server-stamped {id, name, color} of `who`. */
function assertStampedUser (user, who, context) {
  assert.ok(user && typeof user === 'object', `${context}: awareness state has no user object`)
  assert.deepEqual(Object.keys(user).sort(), ['color', 'id', 'name'],
    `${context}: user must be exactly the authenticated {id, name, color}, got ${JSON.stringify(user)}`)
  assert.equal(user.id, who.user.id, `${context}: user.id must be the real user id`)
  assert.equal(user.name, who.user.name, `${context}: user.name must be the real name`)
  assert.equal(typeof user.color, 'string', `${context}: user.color must be a string`)
  assert.ok(user.color.length > 0, `${context}: user.color must not be empty`)
}

test('four providers editing concurrently converge to the same book', async (t) => {
  const s = scope(t)
  const srv = await s.server()
  const { owner, project, members } =
    await projectWith(srv, 'Concurrent book', ['editor', 'editor', 'editor'])
  const users = [owner, ...members]
  const clients = await Promise.all(users.map((u) => s.connectSynced(srv, project.id, u.token)))

  // Whatever the server puts in a new book is kept; the test counts on top of it.
  const c0 = clients[0]
  const initialPages = pageIds(c0.doc)
  // A shared page with one caption that everyone types into, and meta, seeded by the owner.
  c0.doc.transact(() => {
    const meta = c0.doc.getMap('meta')
    meta.set('schema', 1)
    meta.set('title', 'Concurrent book')
  })
  const sharedPage = addPage(c0.doc, owner.user.id, { withTextItem: true })
  await waitFor(() => clients.every((c) => pageText(c.doc, sharedPage) !== undefined), 10_000,
    'every client to receive the seeded page')

  // Rounds of concurrent edits: each client inserts pages (appending and at the same index),
  // types fixed-width tokens at token boundaries of the shared caption, and overwrites the
  // same map keys (meta.title, the caption's box, the shared page background).
  const ROUNDS = 6
  const token = (i, r) => `[${i}:${String(r).padStart(2, '0')}]`
  const TOKEN_LEN = token(0, 0).length
  const expectedPages = new Set([...initialPages, sharedPage])
  const expectedTokens = []
  for (let r = 0; r < ROUNDS; r++) {
    clients.forEach((c, i) => {
      const uid = users[i].user.id
      const id = addPage(c.doc, uid, { index: r % 2 === 0 ? undefined : 1, withTextItem: r === 0 })
      expectedPages.add(id)
      const text = pageText(c.doc, sharedPage)
      const slots = text.length / TOKEN_LEN
      const at = Math.floor(Math.random() * (slots + 1)) * TOKEN_LEN
      text.insert(at, token(i, r))
      expectedTokens.push(token(i, r))
      c.doc.getMap('meta').set('title', `Title by ${i} in round ${r}`)
      c.doc.transact(() => {
        const page = findPage(c.doc, sharedPage)
        page.set('background', { color: `#00000${i}`, flip: r % 2 === 1 })
        const item = [...page.get('items').values()][0]
        item.set('box', [i / 10, r / 10, 0.5, 0.2, 0])
      })
    })
    await sleep(5 + Math.floor(Math.random() * 20))
  }

  const complete = (doc) => {
    const ids = pageIds(doc)
    if (ids.length !== expectedPages.size || !ids.every((id) => expectedPages.has(id))) return false
    const text = pageText(doc, sharedPage).toString()
    if (text.length !== expectedTokens.length * TOKEN_LEN) return false
    return true
  }
  await waitFor(() => {
    if (!clients.every((c) => complete(c.doc))) return false
    const first = canonical(bookJson(clients[0].doc))
    return clients.every((c) => canonical(bookJson(c.doc)) === first)
  }, 30_000, () => 'all four replicas to hold every edit and be identical; page counts ' +
    JSON.stringify(clients.map((c) => pageIds(c.doc).length)) + ` of ${expectedPages.size}`)

  const reference = bookJson(clients[0].doc)
  for (const [i, c] of clients.entries()) {
    assert.deepStrictEqual(bookJson(c.doc), reference, `client ${i} differs from client 0`)
  }
  // Every token arrived whole: the caption is exactly the tokens, each once.
  const caption = pageText(clients[0].doc, sharedPage).toString()
  const chunks = caption.match(new RegExp(`.{${TOKEN_LEN}}`, 'g'))
  assert.deepStrictEqual([...chunks].sort(), [...expectedTokens].sort())
  assert.equal(reference.pages.length, initialPages.length + 1 + ROUNDS * clients.length)
  assert.match(reference.meta.title, /^Title by \d in round 5$/)

  // The server holds the same: a brand-new client syncs to the identical book.
  const fresh = await s.connectSynced(srv, project.id, owner.token)
  assert.deepStrictEqual(bookJson(fresh.doc), reference, 'a fresh client differs')
})

test('offline edits are pulled on reconnect and both sides converge', async (t) => {
  const s = scope(t)
  const srv = await s.server()
  const { owner, project, members: [bob] } = await projectWith(srv, 'Offline book', ['editor'])
  const a = await s.connectSynced(srv, project.id, owner.token)
  const b = await s.connectSynced(srv, project.id, bob.token)

  const seed = addPage(a.doc, owner.user.id, { withTextItem: true })
  await waitFor(() => pageText(b.doc, seed) !== undefined, 10_000, 'B to receive the seed page')

  a.provider.disconnect()
  assert.equal(a.provider.wsconnected, false)

  // A edits offline; B edits meanwhile.
  const offlinePage = addPage(a.doc, owner.user.id, { withTextItem: true })
  pageText(a.doc, offlinePage).insert(0, 'written offline by A')
  pageText(a.doc, seed).insert(0, 'A-offline ')
  a.doc.getMap('meta').set('title', 'Renamed offline by A')
  const bobPage = addPage(b.doc, bob.user.id)
  pageText(b.doc, seed).insert(0, 'B-online ')

  // B really does not see A's offline edits while A is away.
  await sleep(500)
  assert.ok(!pageIds(b.doc).includes(offlinePage), 'B saw an edit made while A was offline')

  a.provider.connect()
  await waitSynced(a.provider)
  await waitFor(() => pageIds(b.doc).includes(offlinePage) && pageIds(a.doc).includes(bobPage),
    15_000, "A's offline page to reach B (the server must send SyncStep1 on connect) and B's page to reach A")
  await waitFor(() => canonical(bookJson(a.doc)) === canonical(bookJson(b.doc)), 10_000,
    'A and B to converge')

  assert.deepStrictEqual(bookJson(b.doc), bookJson(a.doc))
  assert.equal(pageText(b.doc, offlinePage).toString(), 'written offline by A')
  const seedText = pageText(b.doc, seed).toString()
  assert.ok(seedText.includes('A-offline ') && seedText.includes('B-online '), seedText)
  assert.equal(b.doc.getMap('meta').get('title'), 'Renamed offline by A')

  const fresh = await s.connectSynced(srv, project.id, bob.token)
  assert.deepStrictEqual(bookJson(fresh.doc), bookJson(a.doc), 'the server lacks some edits')
})

/** Edits by A that B has received; returns the book as B saw it. */
async function editAndWaitRelayed (a, b, userId) {
  const initialPages = pageIds(a.doc).length
  a.doc.getMap('meta').set('schema', 1)
  a.doc.getMap('meta').set('title', 'Durable book')
  const ids = []
  for (let i = 0; i < 3; i++) {
    const id = addPage(a.doc, userId, { withTextItem: true })
    pageText(a.doc, id).insert(0, `caption ${i}`)
    ids.push(id)
  }
  pageText(a.doc, ids[0]).insert(0, 'edited ')
  findPage(a.doc, ids[1]).set('background', { color: '#123456', flip: true })
  await waitFor(() => canonical(bookJson(b.doc)) === canonical(bookJson(a.doc)), 10_000,
    'the second client to receive every edit')
  const book = bookJson(b.doc)
  assert.equal(book.pages.length, initialPages + 3)
  return book
}

test('a SIGTERM restart on the same data dir loses nothing', async (t) => {
  const s = scope(t)
  const dataDir = await s.dataDir()
  const srv = await s.server({ dataDir })
  const { owner, project, members: [bob] } = await projectWith(srv, 'Restart book', ['editor'])
  const a = await s.connectSynced(srv, project.id, owner.token)
  const b = await s.connectSynced(srv, project.id, bob.token)
  const seen = await editAndWaitRelayed(a, b, owner.user.id)

  const exit = await srv.stop()
  assert.equal(exit.timedOut, false, 'folio did not exit after SIGTERM')

  const srv2 = await s.server({ dataDir })
  const fresh = await s.connectSynced(srv2, project.id, bob.token)
  assert.deepStrictEqual(bookJson(fresh.doc), seen, 'content was lost across the restart')
})

test('an update relayed to another client survives kill -9', async (t) => {
  const s = scope(t)
  const dataDir = await s.dataDir()
  const srv = await s.server({ dataDir })
  const { owner, project, members: [bob] } = await projectWith(srv, 'Crash book', ['editor'])
  const a = await s.connectSynced(srv, project.id, owner.token)
  const b = await s.connectSynced(srv, project.id, bob.token)
  const seen = await editAndWaitRelayed(a, b, owner.user.id)

  await srv.kill9()

  const srv2 = await s.server({ dataDir })
  const fresh = await s.connectSynced(srv2, project.id, bob.token)
  assert.deepStrictEqual(bookJson(fresh.doc), seen,
    'an update that a client had seen was lost in a crash (SPEC §7)')
})

test('SIGTERM closes live sync sockets with 1012', async (t) => {
  const s = scope(t)
  const srv = await s.server()
  const { owner, project } = await projectWith(srv, 'Shutdown book')
  const a = await s.connectSynced(srv, project.id, owner.token)
  const closes = recordCloses(a.provider)

  const exit = await srv.stop()
  assert.equal(exit.timedOut, false, 'folio did not exit after SIGTERM')
  await waitFor(() => closes.length > 0, 10_000, 'the provider to see its socket close')
  assert.equal(closes[0].code, 1012,
    `expected close code 1012 (server restart), got ${JSON.stringify(closes[0])}`)
})

for (const role of ['viewer', 'commenter']) {
  test(`a ${role} is read-only: edits are refused with PermissionDenied and never relayed`, async (t) => {
    const s = scope(t)
    const srv = await s.server()
    const { owner, project, members: [reader] } = await projectWith(srv, 'Read-only book', [role])
    const o = await s.connectSynced(srv, project.id, owner.token)
    const initialPages = pageIds(o.doc)
    o.doc.getMap('meta').set('title', 'Owner title')
    const ownerPage = addPage(o.doc, owner.user.id, { withTextItem: true })

    const v = s.connect(srv, project.id, reader.token)
    const denied = recordPermissionDenied(v.provider)
    const closes = recordCloses(v.provider)
    await waitSynced(v.provider)
    // The reader can open the book.
    await waitFor(() => pageIds(v.doc).includes(ownerPage), 10_000, `the ${role} to see the book`)
    // Its SyncStep2 answers carry nothing new, which is not a write (SPEC §5).
    await sleep(500)
    assert.deepStrictEqual(denied, [], 'PermissionDenied for a sync that carried nothing new')

    const readerPage = addPage(v.doc, reader.user.id, { withTextItem: true })
    v.doc.getMap('meta').set('title', `Hijacked by the ${role}`)
    await waitFor(() => denied.length > 0, 10_000, `a PermissionDenied answer to the ${role}'s edit`)
    assert.equal(typeof denied[0], 'string')
    assert.ok(denied[0].length > 0, 'PermissionDenied must carry a reason')

    // The connection stays open and keeps receiving.
    const laterPage = addPage(o.doc, owner.user.id)
    await waitFor(() => pageIds(v.doc).includes(laterPage), 10_000,
      `the ${role} to keep receiving after the refusal`)
    assert.equal(v.provider.wsconnected, true, `the ${role}'s connection was closed`)
    assert.deepStrictEqual(closes, [], `the ${role}'s connection was closed`)

    // The edit reached no one.
    await sleep(1_000)
    assert.ok(!pageIds(o.doc).includes(readerPage), `the owner received the ${role}'s page`)
    assert.equal(o.doc.getMap('meta').get('title'), 'Owner title')
    const fresh = await s.connectSynced(srv, project.id, owner.token)
    assert.deepStrictEqual(pageIds(fresh.doc), [...initialPages, ownerPage, laterPage],
      `the server kept the ${role}'s page`)
    assert.equal(fresh.doc.getMap('meta').get('title'), 'Owner title')
  })
}

test('awareness: the server stamps the real user, and states leave with the connection', async (t) => {
  const s = scope(t)
  const srv = await s.server()
  const { owner, project, members: [bob] } = await projectWith(srv, 'Presence book', ['viewer'])
  const early = await s.connectSynced(srv, project.id, bob.token)
  const a = await s.connectSynced(srv, project.id, owner.token)
  const aId = a.doc.clientID

  a.provider.awareness.setLocalState({ user: { name: 'Mallory', id: 'fake' }, cursor: { x: 1 } })
  const stateIn = (c) => c.provider.awareness.getStates().get(aId)
  await waitFor(() => stateIn(early)?.cursor?.x === 1, 10_000, "B to see A's awareness state")
  assertStampedUser(stateIn(early).user, owner, 'relayed state')
  assert.deepStrictEqual(stateIn(early).cursor, { x: 1 })

  // A client that connects later gets the current states on connect.
  const late = await s.connectSynced(srv, project.id, bob.token)
  await waitFor(() => stateIn(late)?.cursor?.x === 1, 10_000,
    "a late joiner to receive A's awareness state on connect")
  assertStampedUser(stateIn(late).user, owner, 'state sent on connect')

  a.provider.disconnect()
  await waitFor(() => !early.provider.awareness.getStates().has(aId) &&
    !late.provider.awareness.getStates().has(aId), 10_000, "A's state to disappear after A left")
})

test('awareness: a connection that drops without a goodbye has its states removed', async (t) => {
  const s = scope(t)
  const srv = await s.server()
  const { owner, project, members: [bob] } = await projectWith(srv, 'Dropped book', ['editor'])
  const b = await s.connectSynced(srv, project.id, bob.token)

  const { status, client: raw } = await s.raw(srv, project.id, owner.token)
  assert.equal(status, 101)
  raw.send(emptySyncStep1())
  const rawId = 424242
  raw.send(encodeAwarenessMessage([{
    clientID: rawId, clock: 1, state: { user: { name: 'Mallory', id: 'fake' }, cursor: { x: 2 } }
  }]))
  const stateOf = () => b.provider.awareness.getStates().get(rawId)
  await waitFor(() => stateOf()?.cursor?.x === 2, 10_000, "B to see the raw client's state")
  assertStampedUser(stateOf().user, owner, 'raw client state')

  // No awareness removal is sent: only the server can tell B that this client is gone.
  raw.terminate()
  await waitFor(() => !b.provider.awareness.getStates().has(rawId), 10_000,
    "the dropped connection's awareness state to be removed")
})

test('awareness: a connection cannot set or clear the state of a client id it does not own', async (t) => {
  const s = scope(t)
  const srv = await s.server()
  const { owner, project, members: [bob, carol] } =
    await projectWith(srv, 'Spoof book', ['editor', 'viewer'])
  const a = await s.connectSynced(srv, project.id, owner.token)
  const watcher = await s.connectSynced(srv, project.id, carol.token)
  a.provider.awareness.setLocalState({ cursor: { x: 1 } })
  const aId = a.doc.clientID
  const stateOf = (id) => watcher.provider.awareness.getStates().get(id)
  await waitFor(() => stateOf(aId)?.cursor?.x === 1, 10_000, "the watcher to see A's state")

  const { client: raw } = await s.raw(srv, project.id, bob.token)
  raw.send(emptySyncStep1())
  const rawId = 777777
  // A forged state for A's client id, then a genuine one for the raw client's own id. One
  // connection's messages are handled in order, so once the genuine state shows up the forged
  // one has been dealt with.
  raw.send(encodeAwarenessMessage([{ clientID: aId, clock: 1000, state: { cursor: { x: 666 } } }]))
  raw.send(encodeAwarenessMessage([{ clientID: rawId, clock: 1, state: { cursor: { x: 7 } } }]))
  await waitFor(() => stateOf(rawId)?.cursor?.x === 7, 10_000, "the raw client's own state")
  assertStampedUser(stateOf(rawId).user, bob, "the raw client's own state")
  assert.deepStrictEqual(stateOf(aId)?.cursor, { x: 1 }, "A's state was overwritten by another connection")
  assertStampedUser(stateOf(aId).user, owner, "A's state")

  // A forged removal of A's state.
  raw.send(encodeAwarenessMessage([{ clientID: aId, clock: 1001, state: null }]))
  raw.send(encodeAwarenessMessage([{ clientID: rawId, clock: 2, state: { cursor: { x: 8 } } }]))
  await waitFor(() => stateOf(rawId)?.cursor?.x === 8, 10_000, "the raw client's second state")
  assert.deepStrictEqual(stateOf(aId)?.cursor, { x: 1 }, "A's state was removed by another connection")
})

test('on connect the server sends SyncStep1 and the current awareness states unprompted', async (t) => {
  const s = scope(t)
  const srv = await s.server()
  const { owner, project, members: [bob] } = await projectWith(srv, 'Handshake book', ['viewer'])
  const a = await s.connectSynced(srv, project.id, owner.token)
  addPage(a.doc, owner.user.id)
  a.provider.awareness.setLocalState({ cursor: { x: 3 } })
  const aId = a.doc.clientID
  await sleep(200)

  // The raw client sends nothing at all.
  const { status, client: raw } = await s.raw(srv, project.id, bob.token)
  assert.equal(status, 101)
  await raw.waitMessage((m) => m.type === MSG_SYNC && m.sub === SYNC_STEP1, 10_000,
    'a SyncStep1 from the server')
  const aw = await raw.waitMessage((m) => m.type === MSG_AWARENESS &&
    decodeAwarenessMessage(m.data).some((e) => e.clientID === aId && e.state?.cursor?.x === 3),
  10_000, "an awareness message with A's state")
  const entry = decodeAwarenessMessage(aw.data).find((e) => e.clientID === aId)
  assertStampedUser(entry.state.user, owner, 'awareness on connect')
})

test('upgrade auth: bad or missing token gets 401, a non-member 403, before the upgrade', async (t) => {
  const s = scope(t)
  const srv = await s.server()
  const { owner, project } = await projectWith(srv, 'Private book')
  const outsider = await newUser(srv.url, 'Oscar Outsider')

  const bad = await s.raw(srv, project.id, 'not-a-real-token')
  assert.equal(bad.status, 401, `bad token: ${JSON.stringify(bad)}`)
  const missing = await s.raw(srv, project.id, undefined)
  assert.equal(missing.status, 401, `missing token: ${JSON.stringify(missing)}`)
  const nonMember = await s.raw(srv, project.id, outsider.token)
  assert.equal(nonMember.status, 403, `non-member: ${JSON.stringify(nonMember)}`)

  // Control: the same URL form upgrades for a member.
  const ok = await s.raw(srv, project.id, owner.token)
  assert.equal(ok.status, 101)
})

test('upgrade refusals carry the API error body', async (t) => {
  const s = scope(t)
  const srv = await s.server()
  const { project } = await projectWith(srv, 'Private book')
  const outsider = await newUser(srv.url, 'Oscar Outsider')
  for (const [token, status] of [['not-a-real-token', 401], [outsider.token, 403]]) {
    const res = await s.raw(srv, project.id, token)
    assert.equal(res.status, status)
    let body
    assert.doesNotThrow(() => { body = JSON.parse(res.body) }, `body is not JSON: ${res.body}`)
    assert.equal(typeof body?.error?.code, 'string', `no error.code in ${res.body}`)
    assert.match(body.error.code, /^[a-z0-9_]+$/)
    assert.equal(typeof body.error.message, 'string', `no error.message in ${res.body}`)
  }
})
