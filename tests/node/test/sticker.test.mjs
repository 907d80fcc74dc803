// Nothing a person made is lost to a machine (SPEC §15, issue 18 finding 1), end to end with
// stock yjs + y-websocket clients against the real binary: a contributor puts a sticker on a
// page of a proactive book that automix designed, and the sticker stays exactly as it was, on
// the same page, through a second automix, a proactive redesign and restores of versions
// from before it: the oldest (which lacks the sticker's page, so the page is kept whole), then
// one of the designed book (which has the page, so the page is edited back around the
// sticker). The stock clients see it all live, and neither socket is closed. The Rust twin of this scenario, with yrs clients, is
// `a_contributors_sticker_survives_automix_again_a_proactive_redesign_and_a_restore` in
// tests/rust/hardening.rs.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import * as Y from 'yjs'

import {
  scope, waitFor, waitSynced, newUser, addMember, api,
  recordPermissionDenied, recordCloses, findPage
} from './support.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '../../..')

/** shared/testdata, as the Rust suites find it: FOLIO_TESTDATA, else next to the repo. */
const TESTDATA = process.env.FOLIO_TESTDATA || path.resolve(repoRoot, '../shared/testdata')
const JPG_DIR = path.join(TESTDATA, 'exif-samples', 'jpg')

/** The user id server-side workers write as (SPEC §6.3 rule 5). */
const SYSTEM = '00000000-0000-0000-0000-000000000000'
/** A group of this many photos gets a proactive book; every upload below stays under it. */
const PROACTIVE_MIN = 6
/** A hang guard for jobs, designs and live documents, never a performance bound. */
const WAIT_MS = 90_000

// ---------------------------------------------------------------------------------------------
// HTTP helpers

/** `n` camera JPEGs from exif-samples/jpg (never the corrupted one), sorted by name. */
function samplePhotos (n) {
  const names = readdirSync(JPG_DIR, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.jpe?g$/i.test(e.name) && e.name !== 'corrupted.jpg')
    .map((e) => e.name)
    .sort()
  assert.ok(names.length >= n, `need ${n} JPEGs in ${JPG_DIR} (set FOLIO_TESTDATA), found ${names.length}`)
  return names.slice(0, n).map((name) => ({ name, bytes: readFileSync(path.join(JPG_DIR, name)) }))
}

/** An API call that must succeed (2xx); its body. */
async function ok (baseUrl, token, method, pathname, body) {
  const res = await api(baseUrl, method, pathname, { token, body })
  assert.ok(res.status >= 200 && res.status < 300,
    `${method} ${pathname}: HTTP ${res.status}: ${JSON.stringify(res.body)}`)
  return res.body
}

/**
 * Uploads `files` into the owner's library (no album), in requests of `batch` files each,
 * every one smaller than the proactive threshold so that no upload group gets a book of its
 * own; the photo ids, in upload order.
 */
async function upload (baseUrl, token, files, batch) {
  assert.ok(batch < PROACTIVE_MIN, 'an upload batch must stay under the proactive threshold')
  const ids = []
  for (let i = 0; i < files.length; i += batch) {
    const form = new FormData()
    for (const { name, bytes } of files.slice(i, i + batch)) {
      form.append('file', new Blob([bytes], { type: 'image/jpeg' }), name)
    }
    const res = await fetch(`${baseUrl}/api/photos`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: form,
      signal: AbortSignal.timeout(60_000)
    })
    const body = await res.json().catch(() => null)
    assert.equal(res.status, 200, `upload: HTTP ${res.status}: ${JSON.stringify(body)}`)
    assert.deepStrictEqual(body.errors, [], `upload: per-file errors: ${JSON.stringify(body.errors)}`)
    assert.equal(body.photos?.length, files.slice(i, i + batch).length, `upload: ${JSON.stringify(body)}`)
    ids.push(...body.photos.map((p) => p.id))
  }
  assert.equal(new Set(ids).size, files.length, 'every upload is its own photo')
  return ids
}

/** GET /api/jobs/{id} until the job is done or failed; the job. */
async function finishedJob (baseUrl, token, jobId) {
  let last
  return waitFor(async () => {
    const res = await api(baseUrl, 'GET', `/api/jobs/${jobId}`, { token })
    assert.equal(res.status, 200, `job ${jobId}: ${JSON.stringify(res.body)}`)
    last = res.body.job
    return ['done', 'failed'].includes(last?.state) ? last : null
  }, WAIT_MS, () => `job ${jobId} to finish; last seen ${JSON.stringify(last)}`)
}

// ---------------------------------------------------------------------------------------------
// Reading the book (SPEC §6)

const pagesOf = (doc) => doc.getArray('pages').toArray()

/** The ids of the photos placed on any page. */
const photosOnPages = (doc) => new Set(pagesOf(doc).flatMap((page) =>
  [...page.get('items').values()]
    .filter((item) => item.get('kind') === 'photo')
    .map((item) => item.get('photo')?.id)))

const sameSet = (set, list) => set.size === new Set(list).size && list.every((x) => set.has(x))
const sorted = (iterable) => [...iterable].sort()

/**
 * Every item a person made (createdBy not the system user), as the client sees the book:
 * `{page_id, item}` with the item as JSON, sorted by item id. A sticker that moved page,
 * changed, was copied to a second page or vanished makes this differ.
 */
function personsItems (doc) {
  const out = []
  for (const page of pagesOf(doc)) {
    for (const [key, item] of page.get('items').entries()) {
      if (item.get('createdBy') !== SYSTEM) out.push({ page_id: page.get('id'), key, item: item.toJSON() })
    }
  }
  return out.sort((a, b) => a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0)
}

/** The sticker's live Y.Map, wherever it is, or undefined. */
function stickerMap (doc, stickerId) {
  for (const page of pagesOf(doc)) {
    const item = page.get('items').get(stickerId)
    if (item) return item
  }
  return undefined
}

/**
 * The sticker is in `doc` as it was made: the only item a person made, on its page, with
 * the same JSON; its text still a Y.Text; and the same Yjs struct the friend's client wrote
 * (created by the friend's client id), not a copy that a machine step deleted and rewrote.
 */
function assertStickerAsMade (doc, made, friendClientId, who, after) {
  assert.deepStrictEqual(personsItems(doc), made,
    `${after}: ${who} does not see the sticker exactly as the friend made it, on its page`)
  const item = stickerMap(doc, made[0].item.id)
  assert.ok(item.get('text') instanceof Y.Text, `${after}: the sticker's text is no longer a Y.Text for ${who}`)
  assert.equal(item._item?.id.client, friendClientId,
    `${after}: ${who}'s sticker was rewritten by client ${item._item?.id.client}, ` +
    `not the friend's ${friendClientId}: a copy replaced the original`)
}

/** The ids of the `auto` pages other than `pageId`: the ones a machine step may redo. */
const otherAutoPages = (doc, pageId) =>
  pagesOf(doc).filter((p) => p.get('auto') === true && p.get('id') !== pageId).map((p) => p.get('id'))

/** The pages of a version: GET /api/projects/{id}/versions/{version_id}, a Yjs update v1. */
async function versionDoc (baseUrl, token, projectId, versionId) {
  const res = await fetch(`${baseUrl}/api/projects/${projectId}/versions/${versionId}`, {
    headers: { Authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(15_000)
  })
  assert.equal(res.status, 200, `GET version ${versionId}: HTTP ${res.status}`)
  const doc = new Y.Doc()
  Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()))
  return doc
}

// ---------------------------------------------------------------------------------------------

test("a contributor's sticker survives automix again, a proactive redesign and a restore", { timeout: 300_000 }, async (t) => {
  const s = scope(t)
  const srv = await s.server({ env: { FOLIO_PROACTIVE_MIN: PROACTIVE_MIN, FOLIO_PROACTIVE_DELAY_MS: 100 } })
  const owner = await newUser(srv.url, 'Olive Owner')
  const friend = await newUser(srv.url, 'Fran Friend')
  const files = samplePhotos(16)
  const started = Date.now()
  const mark = (what) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`)

  // 1. Eight photos in uploads of two, then an album of them: the album enters the proactive
  //    range and gets a book designed by itself.
  const first = await upload(srv.url, owner.token, files.slice(0, 8), 2)
  const album = (await ok(srv.url, owner.token, 'POST', '/api/albums', { name: 'Summer vacation' })).album
  assert.ok(album?.id, `create album: no album.id: ${JSON.stringify(album)}`)
  await ok(srv.url, owner.token, 'POST', `/api/albums/${album.id}/photos`, { photo_ids: first })

  let projects
  const project = await waitFor(async () => {
    projects = await ok(srv.url, owner.token, 'GET', '/api/projects')
    return projects.find((p) => p.project?.origin?.group_id === album.id)?.project
  }, WAIT_MS, () => `a proactive book for the album; GET /api/projects: ${JSON.stringify(projects)}`)
  assert.deepStrictEqual({ kind: project.origin.kind, source: project.origin.source },
    { kind: 'proactive', source: 'album' }, `the book's origin: ${JSON.stringify(project.origin)}`)
  assert.equal(projects.filter((p) => p.project?.origin).length, 1,
    `only the album got a proactive book, no upload batch: ${JSON.stringify(projects)}`)

  const o = s.connect(srv, project.id, owner.token)
  const ownerDenied = recordPermissionDenied(o.provider)
  const ownerCloses = recordCloses(o.provider)
  await waitSynced(o.provider)
  // The design is done when every album photo is on a page (pages arrive one edit at a time).
  await waitFor(() => sameSet(photosOnPages(o.doc), first), WAIT_MS,
    () => `the proactive design to place the album's 8 photos; on pages: ${JSON.stringify(sorted(photosOnPages(o.doc)))}`)
  mark('the proactive book is designed')

  const versions = await ok(srv.url, owner.token, 'GET', `/api/projects/${project.id}/versions`)
  assert.ok(Array.isArray(versions) && versions.length > 0, `the designed book has a version: ${JSON.stringify(versions)}`)
  const oldest = [...versions].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))[0]
  const oldDoc = await versionDoc(srv.url, owner.token, project.id, oldest.id)
  const oldPageIds = pagesOf(oldDoc).map((p) => p.get('id'))
  assert.deepStrictEqual(personsItems(oldDoc), [], 'the oldest version holds nothing a person made')
  t.diagnostic(`${versions.length} version(s); the oldest holds ${oldPageIds.length} page(s): ` +
    JSON.stringify(pagesOf(oldDoc).map((p) => p.get('kind'))))
  oldDoc.destroy()
  // A version of the designed book, also from before the sticker: restored last, it has the
  // sticker's page, so that restore edits the page back rather than keeping it whole.
  const designed = (await ok(srv.url, owner.token, 'POST', `/api/projects/${project.id}/versions`)).version
  assert.ok(designed?.id, `POST versions: no version.id: ${JSON.stringify(designed)}`)
  const designedDoc = await versionDoc(srv.url, owner.token, project.id, designed.id)
  const designedPageIds = pagesOf(designedDoc).map((p) => p.get('id'))
  designedDoc.destroy()
  assert.deepStrictEqual(designedPageIds, pagesOf(o.doc).map((p) => p.get('id')),
    'the version taken after the design holds the designed pages')

  // 2. The friend, a contributor, puts a sticker on an automix page with a stock client.
  await addMember(srv.url, owner.token, project.id, friend.user.id, 'contributor')
  const f = s.connect(srv, project.id, friend.token)
  const friendDenied = recordPermissionDenied(f.provider)
  const friendCloses = recordCloses(f.provider)
  await waitSynced(f.provider)
  await waitFor(() => sameSet(photosOnPages(f.doc), first), WAIT_MS, "the friend's replica to hold the designed book")

  const page = pagesOf(f.doc).find((p) => p.get('kind') === 'page' && p.get('auto') === true)
  assert.ok(page, `the book has an automix inside page: ${JSON.stringify(pagesOf(f.doc).map((p) => [p.get('kind'), p.get('auto')]))}`)
  const pageId = page.get('id')
  assert.ok([...page.get('items').values()].every((i) => i.get('createdBy') === SYSTEM),
    'the chosen page is as automix made it')

  const stickerId = randomUUID()
  f.doc.transact(() => {
    const item = new Y.Map()
    page.get('items').set(stickerId, item)
    item.set('id', stickerId)
    item.set('kind', 'sticker')
    item.set('box', [0.3, -0.3, 0.1, 0.1, 12])
    item.set('z', 90)
    item.set('createdBy', friend.user.id)
    item.set('text', new Y.Text('★'))
    item.set('style', {})
    item.set('slot', null)
  })
  const made = [{
    page_id: pageId,
    key: stickerId,
    item: {
      id: stickerId,
      kind: 'sticker',
      box: [0.3, -0.3, 0.1, 0.1, 12],
      z: 90,
      createdBy: friend.user.id,
      text: '★',
      style: {},
      slot: null
    }
  }]
  // The server relays only what it accepted: the owner seeing it means it was not refused.
  await waitFor(() => stickerMap(o.doc, stickerId), WAIT_MS, "the friend's sticker to reach the owner")
  assert.deepStrictEqual(friendDenied, [], "the friend's sticker was refused")
  assertStickerAsMade(o.doc, made, f.doc.clientID, 'the owner', 'after the sticker was added')
  assertStickerAsMade(f.doc, made, f.doc.clientID, 'the friend', 'after the sticker was added')
  assert.equal(findPage(o.doc, pageId).get('auto'), true, 'the page with the sticker stays auto')
  // A client that connects now gets it from the server.
  const check = await s.connectSynced(srv, project.id, owner.token)
  await waitFor(() => stickerMap(check.doc, stickerId), 10_000, 'a fresh client to get the sticker from the server')
  const pageAsMade = findPage(o.doc, pageId).toJSON()
  mark('the sticker is in the book')

  // 3. Six more photos, and automix again over all fourteen.
  const more = await upload(srv.url, owner.token, files.slice(8, 14), 3)
  const all = [...first, ...more]
  const autoBefore = otherAutoPages(o.doc, pageId)
  const start = await api(srv.url, 'POST', `/api/projects/${project.id}/automix`,
    { token: owner.token, body: { photo_ids: all } })
  assert.equal(start.status, 202, `automix: ${JSON.stringify(start.body)}`)
  const job = await finishedJob(srv.url, owner.token, start.body.job.id)
  assert.equal(job.state, 'done', `the second automix failed: ${JSON.stringify(job)}`)
  await waitFor(() => sameSet(photosOnPages(o.doc), all), WAIT_MS,
    () => `the owner to see all 14 photos placed; on pages: ${JSON.stringify(sorted(photosOnPages(o.doc)))}`)
  const autoAfterAutomix = otherAutoPages(o.doc, pageId)
  assert.ok(autoAfterAutomix.length > 0 && autoAfterAutomix.every((id) => !autoBefore.includes(id)),
    `the second automix redid every other auto page: before ${JSON.stringify(autoBefore)}, after ${JSON.stringify(autoAfterAutomix)}`)
  assertStickerAsMade(o.doc, made, f.doc.clientID, 'the owner', 'after automix again')
  assert.deepStrictEqual(findPage(o.doc, pageId).toJSON(), pageAsMade, 'automix again changed the page with the sticker')
  mark(`automix again is done (${job.result?.pages} pages)`)

  // 4. Two more photos in the album: the proactive book is redesigned from the album's ten.
  const extra = await upload(srv.url, owner.token, files.slice(14, 16), 2)
  await ok(srv.url, owner.token, 'POST', `/api/albums/${album.id}/photos`, { photo_ids: extra })
  const inAlbum = [...first, ...extra]
  await waitFor(() => sameSet(photosOnPages(o.doc), inAlbum), WAIT_MS,
    () => `the redesign to place the album's 10 photos (and only those); on pages: ${JSON.stringify(sorted(photosOnPages(o.doc)))}`)
  const autoAfterRedesign = otherAutoPages(o.doc, pageId)
  assert.ok(autoAfterRedesign.length > 0 && autoAfterRedesign.every((id) => !autoAfterAutomix.includes(id)),
    `the redesign redid every other auto page: before ${JSON.stringify(autoAfterAutomix)}, after ${JSON.stringify(autoAfterRedesign)}`)
  assertStickerAsMade(o.doc, made, f.doc.clientID, 'the owner', 'after the proactive redesign')
  assertStickerAsMade(f.doc, made, f.doc.clientID, 'the friend', 'after the proactive redesign')
  assert.deepStrictEqual(findPage(o.doc, pageId).toJSON(), pageAsMade, 'the proactive redesign changed the page with the sticker')
  mark('the proactive redesign is done')

  // 5. A restore of the oldest version, from before the sticker.
  const restored = await ok(srv.url, owner.token, 'POST', `/api/projects/${project.id}/versions/${oldest.id}/restore`)
  t.diagnostic(`restore answered kept ${JSON.stringify(restored.kept)}`)
  assert.equal(restored.version?.id, oldest.id, `the restore answers with the version: ${JSON.stringify(restored)}`)
  assert.ok(restored.backup?.id, `the restore answers with a backup version: ${JSON.stringify(restored)}`)
  assert.deepStrictEqual(restored.kept?.items, [{ page_id: pageId, item_id: stickerId }],
    `the restore's kept.items names the sticker (and only it): ${JSON.stringify(restored.kept)}`)
  const wantPages = sorted(new Set([...oldPageIds, pageId]))
  for (const [who, c] of [['the owner', o], ['the friend', f]]) {
    await waitFor(() => JSON.stringify(sorted(pagesOf(c.doc).map((p) => p.get('id')))) === JSON.stringify(wantPages),
      WAIT_MS, () => `${who} to see the version's pages plus the sticker's; sees ${JSON.stringify(sorted(pagesOf(c.doc).map((p) => p.get('id'))))}, ` +
        `wants ${JSON.stringify(wantPages)}`)
  }
  assert.deepStrictEqual(restored.kept.pages, oldPageIds.includes(pageId) ? [] : [pageId],
    `kept.pages names the sticker's page exactly when the version lacks it: ${JSON.stringify(restored.kept)}`)
  t.diagnostic(`after the restore the book's pages are ${JSON.stringify(pagesOf(o.doc).map((p) => p.get('kind')))}`)
  // The restore is one update: once its pages are there, so is everything else of it.
  assertStickerAsMade(o.doc, made, f.doc.clientID, 'the owner', 'after the restore')
  assertStickerAsMade(f.doc, made, f.doc.clientID, 'the friend', 'after the restore')
  if (!oldPageIds.includes(pageId)) {
    // The version lacks the sticker's page: the restore keeps that page whole, as it was.
    assert.deepStrictEqual(findPage(o.doc, pageId).toJSON(), pageAsMade, 'the restore changed the kept page with the sticker')
  }
  mark('the restore is done')

  // 6. A restore of the designed version, which has the sticker's page without the sticker:
  //    the page is brought back to the version's, and the sticker stays on it as it was.
  const again = await ok(srv.url, owner.token, 'POST', `/api/projects/${project.id}/versions/${designed.id}/restore`)
  t.diagnostic(`the second restore answered kept ${JSON.stringify(again.kept)}`)
  assert.deepStrictEqual(again.kept, { pages: [], items: [{ page_id: pageId, item_id: stickerId }] },
    `the second restore keeps the sticker, and no page the version lacks: ${JSON.stringify(again.kept)}`)
  for (const [who, c] of [['the owner', o], ['the friend', f]]) {
    await waitFor(() => JSON.stringify(pagesOf(c.doc).map((p) => p.get('id'))) === JSON.stringify(designedPageIds),
      WAIT_MS, () => `${who} to see the designed version's pages in its order; sees ${JSON.stringify(pagesOf(c.doc).map((p) => p.get('id')))}, ` +
        `wants ${JSON.stringify(designedPageIds)}`)
  }
  assert.ok(sameSet(photosOnPages(o.doc), first),
    `the designed version's photos are back: ${JSON.stringify(sorted(photosOnPages(o.doc)))}`)
  assertStickerAsMade(o.doc, made, f.doc.clientID, 'the owner', 'after restoring the designed version')
  assertStickerAsMade(f.doc, made, f.doc.clientID, 'the friend', 'after restoring the designed version')
  assert.deepStrictEqual(findPage(o.doc, pageId).toJSON(), pageAsMade,
    'restoring the designed version left the page with the sticker otherwise than the version plus the sticker')
  mark('the second restore is done')

  assert.deepStrictEqual(friendDenied, [], 'the friend was refused something')
  assert.deepStrictEqual(ownerDenied, [], 'the owner was refused something')
  assert.deepStrictEqual(ownerCloses, [], "the server closed the owner's socket")
  assert.deepStrictEqual(friendCloses, [], "the server closed the friend's socket")
  assert.ok(o.provider.wsconnected && f.provider.wsconnected, 'both sockets are still open')
})
