// Each typed edit, read back through readBook: the twin of crdt-schema's model tests.

import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';

import {
  addItem,
  addPage,
  createBook,
  editCaption,
  ModelError,
  moveItem,
  movePage,
  readBook,
  removeItem,
  removePage,
  resizeItem,
  restyleItem,
  rotateItem,
  SCHEMA_VERSION,
  setCaption,
  setPageAuto,
  setPageBackground,
  setPageLayout,
  setPhoto,
  setZ,
  SYSTEM_USER,
  type Book,
  type ItemKind,
  type ModelErrorDetail,
  type NewItem,
  type NewPage,
  type Style,
} from './index';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';

function bookDoc(clientId: number): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  createBook(doc, { schema: SCHEMA_VERSION, title: 'Summer', product: 'square-8x8', theme: 'everyday' });
  return doc;
}

const newPage = (id: string, extra: Partial<NewPage> = {}): NewPage => ({
  id,
  kind: 'page',
  layout: null,
  background: { flip: false },
  createdBy: ALICE,
  auto: false,
  ...extra,
});

const newItem = (id: string, kind: ItemKind, extra: Partial<NewItem> = {}): NewItem => ({
  id,
  kind,
  box: [0, 0, 0.5, 0.5, 0],
  z: 0,
  createdBy: ALICE,
  style: {},
  slot: null,
  ...extra,
});

/** A book with pages "p1" and "p2"; "p1" holds a photo item "i1". */
function sample(): Y.Doc {
  const doc = bookDoc(1);
  addPage(doc, 0, newPage('p1'));
  addPage(doc, 1, newPage('p2'));
  addItem(doc, 'p1', newItem('i1', 'photo'));
  return doc;
}

const item = (book: Book, pageId: string, itemId: string) =>
  book.pages.find((p) => p.id === pageId)!.items.find((i) => i.id === itemId)!;
const pageIds = (book: Book) => book.pages.map((p) => p.id);

function sync(from: Y.Doc, to: Y.Doc): void {
  Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
}

/** The detail of the ModelError that `f` throws. */
function errorOf(f: () => unknown): ModelErrorDetail {
  try {
    f();
  } catch (e) {
    if (e instanceof ModelError) return e.detail;
    throw e;
  }
  throw new Error('no error thrown');
}

/** Whether `f` changes the document at all. */
function writes(doc: Y.Doc, f: () => void): boolean {
  const before = Y.encodeStateVector(doc);
  f();
  return !Buffer.from(before).equals(Buffer.from(Y.encodeStateVector(doc)));
}

describe('book', () => {
  it('createBook writes meta and an empty pages root', () => {
    const book = readBook(bookDoc(7));
    expect(book).toEqual({
      meta: { schema: SCHEMA_VERSION, title: 'Summer', product: 'square-8x8', theme: 'everyday' },
      pages: [],
    });
    // The first update carries both roots, as new_book's does.
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(bookDoc(7)));
    expect([...fresh.share.keys()].sort()).toEqual(['meta', 'pages']);
  });

  it('read of a doc without meta names the field', () => {
    expect(errorOf(() => readBook(new Y.Doc()))).toEqual({ kind: 'missingField', at: 'meta', field: 'schema' });
  });

  it('read refuses a newer schema', () => {
    const doc = bookDoc(1);
    doc.getMap('meta').set('schema', SCHEMA_VERSION + 1);
    expect(errorOf(() => readBook(doc))).toEqual({ kind: 'newerSchema', found: 2, supported: 1 });
  });
});

describe('pages', () => {
  it('addPage inserts at the index with every field', () => {
    const doc = bookDoc(1);
    addPage(doc, 0, newPage('b'));
    addPage(doc, 0, newPage('a'));
    const background = { color: '#fff', asset: 'asset-1', flip: true };
    const cover = newPage('c', { kind: 'front-cover', layout: 'cover-1', background, createdBy: SYSTEM_USER, auto: true });
    expect(addPage(doc, 2, cover)).toBe('c');
    const book = readBook(doc);
    expect(pageIds(book)).toEqual(['a', 'b', 'c']);
    expect(book.pages[2]).toEqual({ ...cover, items: [] });
    expect(book.pages[0]!.background).toEqual({ flip: false });
  });

  it('addPage refuses a taken id and a bad index', () => {
    const doc = sample();
    expect(errorOf(() => addPage(doc, 0, newPage('p1')))).toEqual({ kind: 'pageExists', page: 'p1' });
    expect(errorOf(() => addPage(doc, 3, newPage('p3')))).toEqual({ kind: 'pageIndex', index: 3, len: 2 });
  });

  it('removePage deletes it', () => {
    const doc = sample();
    removePage(doc, 'p1');
    expect(pageIds(readBook(doc))).toEqual(['p2']);
    expect(errorOf(() => removePage(doc, 'p1'))).toEqual({ kind: 'unknownPage', page: 'p1' });
  });

  it('movePage keeps the id and the content', () => {
    const doc = sample();
    addPage(doc, 2, newPage('p3'));
    setCaption(doc, 'p1', 'i1', 'Plage à Biarritz 🌊');
    setPageLayout(doc, 'p1', 'grid-2');
    const before = readBook(doc).pages[0];
    movePage(doc, 'p1', 2);
    let book = readBook(doc);
    expect(pageIds(book)).toEqual(['p2', 'p3', 'p1']);
    expect(book.pages[2]).toEqual(before);
    movePage(doc, 'p1', 0);
    expect(pageIds(readBook(doc))).toEqual(['p1', 'p2', 'p3']);
    // The moved copy is a live Y.Text, not a frozen string.
    editCaption(doc, 'p1', 'i1', 0, 5, 'Beach');
    book = readBook(doc);
    expect(item(book, 'p1', 'i1').text).toBe('Beach à Biarritz 🌊');
    expect(errorOf(() => movePage(doc, 'p1', 3))).toEqual({ kind: 'pageIndex', index: 3, len: 3 });
  });

  it('movePage to its own place writes nothing', () => {
    const doc = sample();
    expect(writes(doc, () => movePage(doc, 'p2', 1))).toBe(false);
  });

  it('concurrent moves of one page read as one page and heal', () => {
    const a = sample();
    const b = new Y.Doc();
    b.clientID = 2;
    sync(a, b);
    movePage(a, 'p1', 1);
    movePage(b, 'p1', 1);
    sync(a, b);
    sync(b, a);
    expect(a.getArray('pages').length).toBe(3);
    expect(pageIds(readBook(a))).toEqual(['p2', 'p1']);
    expect(readBook(a)).toEqual(readBook(b));
    movePage(a, 'p1', 0);
    expect(a.getArray('pages').length).toBe(2);
    expect(pageIds(readBook(a))).toEqual(['p1', 'p2']);
  });

  it('setPageLayout, setPageBackground and setPageAuto', () => {
    const doc = sample();
    const background = { color: '#123456', flip: false };
    setPageLayout(doc, 'p2', 'full-bleed');
    setPageBackground(doc, 'p2', background);
    setPageAuto(doc, 'p2', true);
    const p2 = readBook(doc).pages[1]!;
    expect([p2.layout, p2.background, p2.auto]).toEqual(['full-bleed', background, true]);
    setPageLayout(doc, 'p2', null);
    expect(readBook(doc).pages[1]!.layout).toBeNull();
    expect(errorOf(() => setPageAuto(doc, 'nope', true))).toEqual({ kind: 'unknownPage', page: 'nope' });
  });
});

describe('items', () => {
  it('addItem reads back every field', () => {
    const doc = sample();
    const full = newItem('i2', 'photo', {
      box: [-0.25, 0.125, 0.4, 0.3, 7.5],
      z: 3,
      createdBy: BOB,
      photo: { id: 'photo-9', pan: [0.1, -0.2], zoom: 1.5 },
      text: 'Été 😀',
      style: {
        font: 'Lora',
        size: 0.04,
        color: '#222',
        align: 'center',
        opacity: 0.9,
        shadow: true,
        border: { width: 0.01, color: '#000' },
        frame: 'polaroid',
      },
      slot: 2,
    });
    addItem(doc, 'p1', full);
    expect(item(readBook(doc), 'p1', 'i2')).toEqual(full);
    expect(errorOf(() => addItem(doc, 'p1', newItem('i2', 'text')))).toEqual({ kind: 'itemExists', page: 'p1', item: 'i2' });
    expect(errorOf(() => addItem(doc, 'px', newItem('i3', 'text')))).toEqual({ kind: 'unknownPage', page: 'px' });
  });

  it('items are sorted by z then id', () => {
    const doc = sample();
    for (const [id, z] of [['c', 1], ['b', 1], ['a', 2], ['d', -1]] as const) {
      addItem(doc, 'p2', newItem(id, 'sticker', { z }));
    }
    expect(readBook(doc).pages[1]!.items.map((i) => i.id)).toEqual(['d', 'b', 'c', 'a']);
  });

  it('removeItem deletes it', () => {
    const doc = sample();
    removeItem(doc, 'p1', 'i1');
    expect(readBook(doc).pages[0]!.items).toEqual([]);
    expect(errorOf(() => removeItem(doc, 'p1', 'i1'))).toEqual({ kind: 'unknownItem', page: 'p1', item: 'i1' });
  });

  it('moveItem, resizeItem and rotateItem overwrite the box', () => {
    const doc = sample();
    moveItem(doc, 'p1', 'i1', 0.1, -0.2);
    resizeItem(doc, 'p1', 'i1', 0.3, 0.4);
    rotateItem(doc, 'p1', 'i1', -5);
    expect(item(readBook(doc), 'p1', 'i1').box).toEqual([0.1, -0.2, 0.3, 0.4, -5]);
    // One key, one overwrite: a move adds exactly one item to the document.
    const clock = (d: Y.Doc) => Y.decodeStateVector(Y.encodeStateVector(d)).get(1)!;
    const before = clock(doc);
    moveItem(doc, 'p1', 'i1', 0, 0);
    expect(clock(doc)).toBe(before + 1);
    expect(errorOf(() => moveItem(doc, 'p1', 'i1', NaN, 0))).toMatchObject({ kind: 'badBox', index: 0 });
    expect(errorOf(() => resizeItem(doc, 'p1', 'i1', 11, 0.5))).toMatchObject({ kind: 'badBox', index: 2 });
    expect(item(readBook(doc), 'p1', 'i1').box).toEqual([0, 0, 0.3, 0.4, -5]);
  });

  it('setZ, restyleItem and setPhoto', () => {
    const doc = sample();
    const style: Style = { opacity: 0.5, align: 'right' };
    const photo = { id: 'ph', pan: [0.25, 0] as [number, number], zoom: 2 };
    setZ(doc, 'p1', 'i1', 7);
    restyleItem(doc, 'p1', 'i1', style);
    setPhoto(doc, 'p1', 'i1', photo);
    const i1 = item(readBook(doc), 'p1', 'i1');
    expect([i1.z, i1.style, i1.photo]).toEqual([7, style, photo]);
    expect(errorOf(() => setZ(doc, 'p1', 'zz', 1))).toEqual({ kind: 'unknownItem', page: 'p1', item: 'zz' });
  });
});

describe('captions', () => {
  it('setCaption creates, replaces, and skips an equal text', () => {
    const doc = sample();
    setCaption(doc, 'p1', 'i1', 'Crème brûlée 🍮');
    expect(item(readBook(doc), 'p1', 'i1').text).toBe('Crème brûlée 🍮');
    setCaption(doc, 'p1', 'i1', 'Fin');
    expect(item(readBook(doc), 'p1', 'i1').text).toBe('Fin');
    expect(writes(doc, () => setCaption(doc, 'p1', 'i1', 'Fin'))).toBe(false);
  });

  it('editCaption counts UTF-16 units', () => {
    const doc = bookDoc(5);
    addPage(doc, 0, newPage('p'));
    addItem(doc, 'p', newItem('t', 'text', { text: 'Hé 😀 là' }));
    // "Hé " is 3 units, the emoji 2: replace the emoji and its space.
    editCaption(doc, 'p', 't', 3, 3, '🎉 ');
    editCaption(doc, 'p', 't', 0, 0, '« ');
    editCaption(doc, 'p', 't', 10, 0, ' »');
    expect(item(readBook(doc), 'p', 't').text).toBe('« Hé 🎉 là »');
    expect(errorOf(() => editCaption(doc, 'p', 't', 6, 0, 'x'))).toEqual({ kind: 'textRange', index: 6, deleteLen: 0, len: 12 });
    expect(errorOf(() => editCaption(doc, 'p', 't', 10, 5, ''))).toMatchObject({ kind: 'textRange' });
  });

  it('editCaption on an item without text starts one', () => {
    const doc = sample();
    editCaption(doc, 'p1', 'i1', 0, 0, 'Nouveau');
    expect(item(readBook(doc), 'p1', 'i1').text).toBe('Nouveau');
  });

  it('captions over the limit are refused', () => {
    const doc = sample();
    expect(errorOf(() => setCaption(doc, 'p1', 'i1', 'x'.repeat(20_001)))).toMatchObject({ kind: 'textTooLong' });
  });
});

describe('lenient and strict read', () => {
  it('absent optional fields take their defaults', () => {
    const doc = bookDoc(1);
    const page = new Y.Map<unknown>();
    doc.getArray('pages').push([page]);
    page.set('id', 'bare');
    page.set('kind', 'spine');
    page.set('createdBy', ALICE);
    const bare = readBook(doc).pages[0]!;
    expect([bare.layout, bare.background, bare.auto, bare.items]).toEqual([null, { flip: false }, false, []]);
  });

  it('errors name the page, the item and the field', () => {
    const doc = sample();
    const p1 = doc.getArray<Y.Map<unknown>>('pages').get(0);
    const i1 = (p1.get('items') as Y.Map<Y.Map<unknown>>).get('i1')!;
    i1.set('box', 'wide');
    expect(errorOf(() => readBook(doc))).toEqual({
      kind: 'wrongType',
      at: 'item i1 on page p1',
      field: 'box',
      expected: 'an array of 5 numbers',
    });
    removeItem(doc, 'p1', 'i1');
    doc.getArray<Y.Map<unknown>>('pages').get(1).delete('createdBy');
    expect(errorOf(() => readBook(doc))).toEqual({ kind: 'missingField', at: 'page p2', field: 'createdBy' });
  });
});
