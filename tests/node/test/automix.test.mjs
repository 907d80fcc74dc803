// Automix over a stock y-websocket client (SPEC §4, §6, §10): a client connected to a
// project watches the automix job write the book as the system user, one page per update,
// and the result validates against the book schema of SPEC §6; a client that connects
// afterwards gets the identical document.
//
// client-web/src/schema is TypeScript only (run through vitest), so rather than add a build
// step, this file carries a compact JS check of the SPEC §6 shape (`checkBook`), applied to
// the live Y.Doc so that the shared types themselves (Y.Map, Y.Array, Y.Text) are checked.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import * as Y from 'yjs'

import {
  scope, waitFor, waitSynced, newUser, createProject, addMember, api,
  recordPermissionDenied, recordCloses
} from './support.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '../../..')

/** shared/testdata, as the Rust suites find it: FOLIO_TESTDATA, else next to the repo. */
const TESTDATA = process.env.FOLIO_TESTDATA || path.resolve(repoRoot, '../shared/testdata')
const JPG_DIR = path.join(TESTDATA, 'exif-samples', 'jpg')

/** The user id server-side workers write as (SPEC §6.3 rule 5). */
const SYSTEM = '00000000-0000-0000-0000-000000000000'
/** Photos in the album: enough for several inside pages. */
const PHOTOS = 12
/** A hang guard for the job and the live document, never a performance bound. */
const WAIT_MS = 60_000

// ---------------------------------------------------------------------------------------------
// SPEC §6: a compact checker of the book's shape

const PAGE_KINDS = ['front-cover', 'back-cover', 'spine', 'inside-front', 'inside-back', 'page']
const ITEM_KINDS = ['photo', 'text', 'sticker', 'shape']
const PAGE_KEYS = ['id', 'kind', 'layout', 'background', 'items', 'createdBy', 'auto']
const ITEM_KEYS = ['id', 'kind', 'box', 'z', 'createdBy', 'photo', 'text', 'style', 'slot']
const STYLE_KEYS = ['font', 'size', 'color', 'align', 'opacity', 'shadow', 'border', 'frame']
const ALIGNS = ['left', 'center', 'right', 'justify']
const BOX_LIMIT = 10
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const isPlainObject = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) &&
  !(v instanceof Y.AbstractType)
const isFiniteNumber = (v) => typeof v === 'number' && Number.isFinite(v)
const isNumbers = (v, len) => Array.isArray(v) && v.length === len && v.every(isFiniteNumber)

/**
 * Checks the doc against SPEC §6 (roots, page and item maps, their fields and types) and
 * returns a list of problems, each naming where it is; empty when the book is valid.
 */
function checkBook (doc) {
  const problems = []
  const bad = (at, what) => problems.push(`${at}: ${what}`)
  const onlyKeys = (at, keys, allowed) => {
    for (const k of keys) if (!allowed.includes(k)) bad(at, `unknown key ${JSON.stringify(k)}`)
  }

  onlyKeys('doc', [...doc.share.keys()], ['meta', 'pages'])

  const meta = doc.getMap('meta')
  if (!(meta instanceof Y.Map)) bad('meta', 'is not a Y.Map')
  onlyKeys('meta', [...meta.keys()], ['schema', 'title', 'product', 'theme'])
  if (meta.get('schema') !== 1) bad('meta.schema', `is ${JSON.stringify(meta.get('schema'))}, not 1`)
  for (const k of ['title', 'product', 'theme']) {
    if (typeof meta.get(k) !== 'string') bad(`meta.${k}`, 'is not a string')
  }

  const pages = doc.getArray('pages')
  if (!(pages instanceof Y.Array)) bad('pages', 'is not a Y.Array')
  pages.forEach((page, index) => {
    let at = `page #${index}`
    if (!(page instanceof Y.Map)) return bad(at, 'is not a Y.Map')
    at = `page #${index} (${page.get('id')})`
    onlyKeys(at, [...page.keys()], PAGE_KEYS)
    if (typeof page.get('id') !== 'string' || !UUID.test(page.get('id'))) bad(at, 'id is not a uuid')
    if (!PAGE_KINDS.includes(page.get('kind'))) bad(at, `kind ${JSON.stringify(page.get('kind'))}`)
    const layout = page.get('layout')
    if (layout !== null && typeof layout !== 'string') bad(at, 'layout is neither a string nor null')
    const bg = page.get('background')
    if (!isPlainObject(bg)) {
      bad(at, 'background is not a JSON object')
    } else {
      onlyKeys(`${at}.background`, Object.keys(bg), ['color', 'asset', 'flip'])
      if (typeof bg.flip !== 'boolean') bad(at, 'background.flip is not a boolean')
      for (const k of ['color', 'asset']) {
        if (bg[k] !== undefined && bg[k] !== null && typeof bg[k] !== 'string') bad(at, `background.${k} is not a string`)
      }
    }
    if (typeof page.get('createdBy') !== 'string' || !UUID.test(page.get('createdBy'))) bad(at, 'createdBy is not a user id')
    if (typeof page.get('auto') !== 'boolean') bad(at, 'auto is not a boolean')
    const items = page.get('items')
    if (!(items instanceof Y.Map)) return bad(at, 'items is not a Y.Map')
    items.forEach((item, key) => checkItem(item, `${at} item ${key}`, key, bad, onlyKeys))
  })
  return problems
}

function checkItem (item, at, key, bad, onlyKeys) {
  if (!(item instanceof Y.Map)) return bad(at, 'is not a Y.Map')
  onlyKeys(at, [...item.keys()], ITEM_KEYS)
  if (item.get('id') !== key || !UUID.test(key)) bad(at, `id ${JSON.stringify(item.get('id'))} is not its uuid key`)
  const kind = item.get('kind')
  if (!ITEM_KINDS.includes(kind)) bad(at, `kind ${JSON.stringify(kind)}`)
  const box = item.get('box')
  if (!isNumbers(box, 5) || !box.every((v) => Math.abs(v) <= BOX_LIMIT)) {
    bad(at, `box ${JSON.stringify(box)} is not 5 finite numbers within ±${BOX_LIMIT}`)
  }
  if (!isFiniteNumber(item.get('z'))) bad(at, 'z is not a finite number')
  if (typeof item.get('createdBy') !== 'string' || !UUID.test(item.get('createdBy'))) bad(at, 'createdBy is not a user id')
  const photo = item.get('photo')
  if (photo !== undefined && photo !== null) {
    if (!isPlainObject(photo)) {
      bad(at, 'photo is not a JSON object')
    } else {
      onlyKeys(`${at}.photo`, Object.keys(photo), ['id', 'pan', 'zoom'])
      if (typeof photo.id !== 'string') bad(at, 'photo.id is not a string')
      if (!isNumbers(photo.pan, 2)) bad(at, `photo.pan ${JSON.stringify(photo.pan)} is not 2 finite numbers`)
      if (!isFiniteNumber(photo.zoom)) bad(at, 'photo.zoom is not a finite number')
    }
  } else if (kind === 'photo') {
    bad(at, 'a photo item without photo')
  }
  const text = item.get('text')
  if (text !== undefined && text !== null && !(text instanceof Y.Text)) bad(at, 'text is not a Y.Text')
  if (kind === 'text' && !(text instanceof Y.Text)) bad(at, 'a text item without a Y.Text')
  const style = item.get('style')
  if (style !== undefined && style !== null) {
    if (!isPlainObject(style)) {
      bad(at, 'style is not a JSON object')
    } else {
      onlyKeys(`${at}.style`, Object.keys(style), STYLE_KEYS)
      if (style.align != null && !ALIGNS.includes(style.align)) bad(at, `style.align ${JSON.stringify(style.align)}`)
    }
  }
  const slot = item.get('slot')
  if (slot !== undefined && slot !== null && !(Number.isInteger(slot) && slot >= 0)) bad(at, `slot ${JSON.stringify(slot)}`)
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers for photos, albums and jobs

/** About PHOTOS of the camera JPEGs in exif-samples/jpg (never the corrupted one), sorted. */
function samplePhotos () {
  const names = readdirSync(JPG_DIR, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.jpe?g$/i.test(e.name) && e.name !== 'corrupted.jpg')
    .map((e) => e.name)
    .sort()
  assert.ok(names.length >= PHOTOS,
    `need ${PHOTOS} JPEGs in ${JPG_DIR} (set FOLIO_TESTDATA), found ${names.length}`)
  return names.slice(0, PHOTOS).map((name) => ({ name, bytes: readFileSync(path.join(JPG_DIR, name)) }))
}

/** POST /api/albums {name} -> 201 {album}; the album. */
async function createAlbum (baseUrl, token, name) {
  const res = await api(baseUrl, 'POST', '/api/albums', { token, body: { name } })
  assert.equal(res.status, 201, `create album: ${JSON.stringify(res.body)}`)
  assert.ok(res.body?.album?.id, `create album: no album.id: ${JSON.stringify(res.body)}`)
  return res.body.album
}

/** POST /api/photos, multipart: `album_id` first, then one `file` part per photo; the photos. */
async function uploadPhotos (baseUrl, token, albumId, files) {
  const form = new FormData()
  form.append('album_id', albumId)
  for (const { name, bytes } of files) form.append('file', new Blob([bytes], { type: 'image/jpeg' }), name)
  const res = await fetch(`${baseUrl}/api/photos`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: form,
    signal: AbortSignal.timeout(60_000)
  })
  const body = await res.json().catch(() => null)
  assert.equal(res.status, 200, `upload: HTTP ${res.status}: ${JSON.stringify(body)}`)
  assert.deepStrictEqual(body.errors, [], `upload: per-file errors: ${JSON.stringify(body.errors)}`)
  assert.equal(body.photos?.length, files.length, `upload: ${JSON.stringify(body)}`)
  return body.photos
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

/** The doc as JSON, through a fresh replica built from Y.encodeStateAsUpdate. */
function replicaJson (doc) {
  const copy = new Y.Doc()
  try {
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
    copy.getMap('meta')
    copy.getArray('pages')
    return copy.toJSON()
  } finally {
    copy.destroy()
  }
}

const photoIdsOf = (page) => [...page.get('items').values()]
  .filter((item) => item.get('kind') === 'photo')
  .map((item) => item.get('photo')?.id)

// ---------------------------------------------------------------------------------------------

test('a stock client sees automix pages arrive and the book validates against SPEC §6', async (t) => {
  const s = scope(t)
  const srv = await s.server()
  const owner = await newUser(srv.url, 'Olive Owner')
  const viewer = await newUser(srv.url, 'Vic Viewer')
  const project = await createProject(srv.url, owner.token, 'Automix book')
  await addMember(srv.url, owner.token, project.id, viewer.user.id, 'viewer')
  const album = await createAlbum(srv.url, owner.token, 'Camera samples')
  const photos = await uploadPhotos(srv.url, owner.token, album.id, samplePhotos())
  const uploaded = photos.map((p) => p.id)
  assert.equal(new Set(uploaded).size, PHOTOS, 'every upload is its own photo')

  const layoutsRes = await api(srv.url, 'GET', '/api/layouts')
  assert.equal(layoutsRes.status, 200, `GET /api/layouts: ${JSON.stringify(layoutsRes.body)}`)
  assert.ok(Array.isArray(layoutsRes.body) && layoutsRes.body.length > 0, 'the layout library is a non-empty list')
  const layouts = new Map(layoutsRes.body.map((l) => [l.id, l]))

  // A stock provider, synced before the job starts: an empty book with valid meta.
  const live = s.connect(srv, project.id, owner.token)
  const denied = recordPermissionDenied(live.provider)
  const closes = recordCloses(live.provider)
  await waitSynced(live.provider)
  const pages = live.doc.getArray('pages')
  assert.equal(pages.length, 0, 'a new book has no pages')
  assert.deepStrictEqual(checkBook(live.doc), [], 'the new book is valid')

  // Every change to `pages` that the socket delivers: how many pages each one inserted.
  const inserts = []
  pages.observe((event) => {
    if (event.changes.added.size > 0) inserts.push(event.changes.added.size)
  })

  const start = await api(srv.url, 'POST', `/api/projects/${project.id}/automix`,
    { token: owner.token, body: { album_id: album.id } })
  assert.equal(start.status, 202, `automix: ${JSON.stringify(start.body)}`)
  assert.equal(start.body?.job?.kind, 'automix', JSON.stringify(start.body))
  assert.ok(['queued', 'running', 'done'].includes(start.body.job.state), JSON.stringify(start.body))

  const job = await finishedJob(srv.url, owner.token, start.body.job.id)
  assert.equal(job.state, 'done', `the automix job failed: ${JSON.stringify(job)}`)
  assert.equal(job.progress, 1, `a done job is at progress 1: ${JSON.stringify(job)}`)
  const result = job.result
  assert.ok(Number.isInteger(result?.pages) && result.pages >= 2,
    `${PHOTOS} photos make several inside pages: ${JSON.stringify(result)}`)
  assert.equal(result.skipped, 0, `no photo was skipped: ${JSON.stringify(result)}`)
  assert.equal(result.project_id, project.id, JSON.stringify(result))

  // The cover and every page reach the open client without it doing anything.
  await waitFor(() => pages.length === result.pages + 1, WAIT_MS,
    () => `the live client to hold the cover and ${result.pages} pages; it has ${pages.length}`)

  t.diagnostic(`result: ${JSON.stringify({ pages: result.pages, skipped: result.skipped, theme: result.theme })}; ` +
    `pages inserted per observed event: ${JSON.stringify(inserts)}`)

  // Written one page per update: several insert events, none of which brought the whole book.
  assert.ok(inserts.length > 1,
    `pages arrived in ${inserts.length} insert event(s) (${JSON.stringify(inserts)}), not one per page`)
  assert.ok(inserts.every((n) => n < result.pages + 1),
    `one update carried the whole book: ${JSON.stringify(inserts)}`)
  assert.equal(inserts.reduce((a, b) => a + b, 0), result.pages + 1,
    `the inserts add up to the cover and the pages: ${JSON.stringify(inserts)}`)

  // The whole document is valid SPEC §6.
  assert.deepStrictEqual(checkBook(live.doc), [], 'the designed book validates against SPEC §6')

  // The front cover first, then result.pages inside pages, all as automix made them.
  const all = pages.toArray()
  assert.equal(all[0].get('kind'), 'front-cover', 'the book starts with a front cover')
  const inside = all.slice(1)
  assert.equal(inside.length, result.pages, 'result.pages is the number of inside pages')
  const uploadedSet = new Set(uploaded)
  const placed = []
  for (const [i, page] of all.entries()) {
    const at = `page #${i} (${page.get('kind')})`
    if (i > 0) assert.equal(page.get('kind'), 'page', `${at}: inside pages are of kind page`)
    assert.equal(page.get('auto'), true, `${at}: automix pages are auto`)
    assert.equal(page.get('createdBy'), SYSTEM, `${at}: automix writes as the system user`)
    const layout = layouts.get(page.get('layout'))
    assert.ok(layout, `${at}: layout ${JSON.stringify(page.get('layout'))} is not in GET /api/layouts`)
    const items = [...page.get('items').values()]
    const photoItems = items.filter((item) => item.get('kind') === 'photo')
    assert.ok(photoItems.length > 0, `${at}: no photo items`)
    for (const item of items) {
      assert.equal(item.get('createdBy'), SYSTEM, `${at}: item ${item.get('id')} is not the system user's`)
      const box = item.get('box')
      assert.ok(Array.isArray(box) && box.length === 5 && box.every(Number.isFinite),
        `${at}: box ${JSON.stringify(box)} is not 5 finite numbers`)
    }
    for (const item of photoItems) {
      const photo = item.get('photo')
      assert.ok(uploadedSet.has(photo.id), `${at}: photo ${photo.id} is not one of the uploaded photos`)
      assert.ok(photo.zoom >= 1, `${at}: zoom ${photo.zoom} < 1`)
      assert.ok(photo.pan.every(Number.isFinite), `${at}: pan ${JSON.stringify(photo.pan)}`)
      const slot = item.get('slot')
      assert.ok(Number.isInteger(slot) && slot < layout.slots.length,
        `${at}: slot ${slot} of layout ${layout.id}, which has ${layout.slots.length} slots`)
    }
    if (i > 0) placed.push(...photoIdsOf(page))
  }
  const coverTitle = [...all[0].get('items').values()]
    .filter((item) => item.get('kind') === 'text').map((item) => item.get('text').toString())
  assert.deepStrictEqual(coverTitle, ['Camera samples'], 'the cover is titled with the album name')
  assert.deepStrictEqual([...placed].sort(), [...uploaded].sort(),
    'every uploaded photo appears exactly once across the inside pages')
  assert.deepStrictEqual(denied, [], 'the live client was refused nothing')
  assert.deepStrictEqual(closes, [], 'the server never closed the live client')

  // A second stock client that connects afterwards gets the identical document.
  const late = await s.connectSynced(srv, project.id, viewer.token)
  const expected = replicaJson(live.doc)
  await waitFor(() => late.doc.getArray('pages').length === all.length, 10_000,
    'the late client to hold every page')
  assert.deepStrictEqual(replicaJson(late.doc), expected, 'the late client has the identical document')
  assert.deepStrictEqual(checkBook(late.doc), [], 'the late replica validates too')
  assert.deepStrictEqual(Y.encodeStateVector(late.doc), Y.encodeStateVector(live.doc),
    'both replicas hold the same updates')
})
