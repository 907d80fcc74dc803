// Role rules of SPEC §6.3 over real WebSockets with stock yjs + y-websocket clients:
// contributors add, and change or delete only what they created; editors change anything;
// viewers write nothing; schema breaks (unknown roots, wrong types, NaN, oversized strings)
// are refused. After every refusal, every other replica is unchanged.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'

import * as Y from 'yjs'

import {
  scope, waitFor, sleep, newUser, createProject, addMember,
  recordPermissionDenied, addPage, addTextItem, findPage, bookJson, canonical
} from './support.mjs'

/** One book with an owner, two contributors, an editor and a viewer. */
async function cast (s) {
  const srv = await s.server()
  const owner = await newUser(srv.url, 'Olive Owner')
  const project = await createProject(srv.url, owner.token, 'Role book')
  const people = { owner }
  for (const [name, role] of [['carl', 'contributor'], ['dana', 'contributor'], ['eve', 'editor'], ['vic', 'viewer']]) {
    people[name] = await newUser(srv.url, name)
    await addMember(srv.url, owner.token, project.id, people[name].user.id, role)
  }
  const o = await s.connectSynced(srv, project.id, owner.token)
  return { srv, project, people, o }
}

/** A fresh stock client for `who`, synced. */
async function client (s, env, who) {
  const c = await s.connectSynced(env.srv, env.project.id, env.people[who].token)
  c.denied = recordPermissionDenied(c.provider)
  return c
}

const itemsOf = (doc, pageId) => findPage(doc, pageId)?.get('items')

/** `who` makes a page with one text item; returns their ids once the owner has them. */
async function ownPage (s, env, who) {
  const c = await client(s, env, who)
  const pageId = addPage(c.doc, env.people[who].user.id, { withTextItem: true })
  const itemId = [...itemsOf(c.doc, pageId).keys()][0]
  await waitFor(() => itemsOf(env.o.doc, pageId)?.has(itemId), 10_000, `${who}'s page to reach the owner`)
  assert.deepStrictEqual(c.denied, [], `${who}'s own page was refused`)
  return { pageId, itemId }
}

/** `who` tries `edit` on a fresh client: it must be refused, naming a rule, and change nothing anywhere. */
async function refused (s, env, who, edit, what, reasonPattern = /rule \d/) {
  const c = await client(s, env, who)
  const before = canonical(bookJson(env.o.doc))
  edit(c.doc)
  await waitFor(() => c.denied.length > 0, 10_000, `PermissionDenied for ${what}`)
  assert.match(c.denied[0], reasonPattern, `the reason names the rule (${what}): ${c.denied[0]}`)
  await sleep(300)
  assert.equal(canonical(bookJson(env.o.doc)), before, `the owner's replica changed after ${what}`)
  assert.ok(!env.o.doc.share.has('secret'), `an unknown root reached the owner (${what})`)
  const fresh = await client(s, env, 'owner')
  assert.equal(canonical(bookJson(fresh.doc)), before, `the server kept ${what}`)
  return c.denied[0]
}

/** `who` makes `edit` on a fresh client and it reaches the owner. */
async function accepted (s, env, who, edit, reached, what) {
  const c = await client(s, env, who)
  edit(c.doc)
  await waitFor(() => reached(env.o.doc), 10_000, `${what} to reach the owner`)
  await sleep(200)
  assert.deepStrictEqual(c.denied, [], `${what} was refused`)
}

test('contributors add, and change or delete only their own; editors change anything', async (t) => {
  const s = scope(t)
  const env = await cast(s)
  const carl = await ownPage(s, env, 'carl')
  const ownerPage = await ownPage(s, env, 'owner')

  // A contributor adds an item, even to someone else's page.
  let danaItem
  await accepted(s, env, 'dana', (doc) => {
    doc.transact(() => { danaItem = addTextItem(findPage(doc, ownerPage.pageId), env.people.dana.user.id) })
  }, (doc) => itemsOf(doc, ownerPage.pageId)?.has(danaItem), "dana's item")

  // A contributor moves or deletes someone else's item: refused.
  await refused(s, env, 'dana', (doc) => {
    itemsOf(doc, carl.pageId).get(carl.itemId).set('box', [0.3, 0.3, 0.2, 0.2, 0])
  }, "dana moving carl's item")
  await refused(s, env, 'dana', (doc) => { itemsOf(doc, carl.pageId).delete(carl.itemId) }, "dana deleting carl's item")
  await refused(s, env, 'dana', (doc) => {
    itemsOf(doc, carl.pageId).get(carl.itemId).get('text').insert(0, 'graffiti')
  }, "dana typing into carl's caption")
  await refused(s, env, 'dana', (doc) => {
    const pages = doc.getArray('pages')
    pages.delete(pages.toArray().findIndex((p) => p.get('id') === carl.pageId), 1)
  }, "dana deleting carl's page")
  await refused(s, env, 'carl', (doc) => { doc.getMap('meta').set('title', 'Carl rules') }, 'a contributor renaming the book')

  // A contributor moves and deletes their own item: accepted.
  await accepted(s, env, 'carl', (doc) => {
    itemsOf(doc, carl.pageId).get(carl.itemId).set('box', [0.1, -0.1, 0.4, 0.3, 5])
  }, (doc) => itemsOf(doc, carl.pageId).get(carl.itemId).get('box')[4] === 5, "carl moving his item")
  await accepted(s, env, 'carl', (doc) => { itemsOf(doc, carl.pageId).delete(carl.itemId) },
    (doc) => !itemsOf(doc, carl.pageId).has(carl.itemId), "carl deleting his item")

  // An editor deletes anyone's item: accepted.
  await accepted(s, env, 'eve', (doc) => { itemsOf(doc, ownerPage.pageId).delete(danaItem) },
    (doc) => !itemsOf(doc, ownerPage.pageId).has(danaItem), "eve deleting dana's item")

  // A viewer writes anything: refused.
  await refused(s, env, 'vic', (doc) => { addPage(doc, env.people.vic.user.id) }, 'a viewer adding a page', /viewer/)
})

test('schema breaks are refused whoever sends them', async (t) => {
  const s = scope(t)
  const env = await cast(s)
  const page = await ownPage(s, env, 'owner')
  const item = (doc) => itemsOf(doc, page.pageId).get(page.itemId)
  const cases = [
    ['a write to an unknown root', (doc) => { doc.getMap('secret').set('x', 1) }, /rule 1/],
    ['a string in the pages array', (doc) => { doc.getArray('pages').push(['not a page']) }, /rule 1/],
    ['an unknown page field', (doc) => { findPage(doc, page.pageId).set('colour', 'red') }, /rule 1/],
    ['a number as page kind', (doc) => { findPage(doc, page.pageId).set('kind', 5) }, /rule 2/],
    ['a string as box', (doc) => { item(doc).set('box', 'left') }, /rule 2/],
    ['a NaN in a box', (doc) => { item(doc).set('box', [0, NaN, 0.5, 0.5, 0]) }, /rule 2/],
    ['an Infinity in a box', (doc) => { item(doc).set('box', [0, 0, Infinity, 0.5, 0]) }, /rule 2/],
    ['a box value beyond ±10', (doc) => { item(doc).set('box', [0, 0, 0.5, 0.5, 400]) }, /rule 2/],
    ['a plain string where a Y.Text belongs', (doc) => { item(doc).set('text', 'flat') }, /rule 2/],
    ['an oversized string', (doc) => { findPage(doc, page.pageId).set('layout', 'x'.repeat(100_000)) }, /rule 3/],
    ['an oversized caption', (doc) => { item(doc).get('text').insert(0, 'y'.repeat(30_000)) }, /rule 3/],
    ['a page whose createdBy is someone else', (doc) => {
      doc.transact(() => {
        const p = new Y.Map()
        doc.getArray('pages').push([p])
        p.set('id', randomUUID()); p.set('kind', 'page'); p.set('items', new Y.Map()); p.set('createdBy', env.people.owner.user.id)
      })
    }, /rule 5/],
    ['a page without its required fields', (doc) => { doc.getArray('pages').push([new Y.Map()]) }, /rule 2/]
  ]
  for (const [what, edit, rule] of cases) {
    const reason = await refused(s, env, 'eve', edit, what)
    assert.match(reason, rule, `${what}: ${reason}`)
  }
})
