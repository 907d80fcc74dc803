// Replays the edit scripts of crdt-schema/fixtures/scenarios.json through the TypeScript
// typed edit API, and writes a typed read as the canonical JSON both sides compare.
// The twin of crdt-schema/examples/gen_fixtures/scenario.rs.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';

import * as model from '../src/schema';
import type { Background, Book, Meta, NewItem, NewPage, PhotoRef, Style } from '../src/schema';

/** crdt-schema/fixtures, beside client-web. */
export const FIXTURES = fileURLToPath(new URL('../../crdt-schema/fixtures/', import.meta.url));

type Step =
  | { op: 'createBook'; client: string; meta: Meta }
  | { op: 'addPage'; client: string; index: number; page: NewPage }
  | { op: 'removePage'; client: string; page: string }
  | { op: 'movePage'; client: string; page: string; index: number }
  | { op: 'addItem'; client: string; page: string; item: NewItem }
  | { op: 'removeItem'; client: string; page: string; item: string }
  | { op: 'moveItem'; client: string; page: string; item: string; x: number; y: number }
  | { op: 'resizeItem'; client: string; page: string; item: string; w: number; h: number }
  | { op: 'rotateItem'; client: string; page: string; item: string; rot: number }
  | { op: 'setZ'; client: string; page: string; item: string; z: number }
  | { op: 'restyleItem'; client: string; page: string; item: string; style: Style }
  | { op: 'setPhoto'; client: string; page: string; item: string; photo: PhotoRef }
  | { op: 'setCaption'; client: string; page: string; item: string; text: string }
  | { op: 'editCaption'; client: string; page: string; item: string; index: number; deleteLen: number; insert: string }
  | { op: 'setPageLayout'; client: string; page: string; layout: string | null }
  | { op: 'setPageBackground'; client: string; page: string; background: Background }
  | { op: 'setPageAuto'; client: string; page: string; auto: boolean }
  | { op: 'sync'; from: string; to: string };

export interface Scenario {
  about: string;
  clients: Record<string, number>;
  output: string;
  steps: Step[];
}

/** The scenarios of scenarios.json, by name, in name order. */
export function loadScenarios(): [string, Scenario][] {
  const all = JSON.parse(readFileSync(`${FIXTURES}scenarios.json`, 'utf8')) as Record<string, Scenario>;
  return Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Runs a scenario and returns the output client's whole document as a v1 update. */
export function runScenario(scenario: Scenario): Uint8Array {
  const docs = new Map<string, Y.Doc>();
  for (const [name, clientId] of Object.entries(scenario.clients)) {
    const doc = new Y.Doc();
    doc.clientID = clientId;
    docs.set(name, doc);
  }
  const docOf = (name: string): Y.Doc => {
    const doc = docs.get(name);
    if (doc === undefined) throw new Error(`unknown client ${name}`);
    return doc;
  };
  scenario.steps.forEach((step, n) => {
    try {
      apply(step, docOf);
    } catch (e) {
      throw new Error(`step ${n}: ${(e as Error).message}`);
    }
  });
  return Y.encodeStateAsUpdate(docOf(scenario.output));
}

function apply(step: Step, docOf: (name: string) => Y.Doc): void {
  if (step.op === 'sync') {
    const from = docOf(step.from);
    const to = docOf(step.to);
    Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
    return;
  }
  const doc = docOf(step.client);
  switch (step.op) {
    case 'createBook':
      return model.createBook(doc, step.meta);
    case 'addPage':
      model.addPage(doc, step.index, step.page);
      return;
    case 'removePage':
      return model.removePage(doc, step.page);
    case 'movePage':
      return model.movePage(doc, step.page, step.index);
    case 'addItem':
      model.addItem(doc, step.page, step.item);
      return;
    case 'removeItem':
      return model.removeItem(doc, step.page, step.item);
    case 'moveItem':
      return model.moveItem(doc, step.page, step.item, step.x, step.y);
    case 'resizeItem':
      return model.resizeItem(doc, step.page, step.item, step.w, step.h);
    case 'rotateItem':
      return model.rotateItem(doc, step.page, step.item, step.rot);
    case 'setZ':
      return model.setZ(doc, step.page, step.item, step.z);
    case 'restyleItem':
      return model.restyleItem(doc, step.page, step.item, step.style);
    case 'setPhoto':
      return model.setPhoto(doc, step.page, step.item, step.photo);
    case 'setCaption':
      return model.setCaption(doc, step.page, step.item, step.text);
    case 'editCaption':
      return model.editCaption(doc, step.page, step.item, step.index, step.deleteLen, step.insert);
    case 'setPageLayout':
      return model.setPageLayout(doc, step.page, step.layout);
    case 'setPageBackground':
      return model.setPageBackground(doc, step.page, step.background);
    case 'setPageAuto':
      return model.setPageAuto(doc, step.page, step.auto);
    default:
      throw new Error(`unknown op ${(step as { op: string }).op}`);
  }
}

/** Applies a whole-document update to a fresh Y.Doc and reads it. */
export function readUpdate(update: Uint8Array): Book {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  return model.readBook(doc);
}

/**
 * The fixture JSON of a book: keys sorted, two-space indent, a final newline. This is what
 * serde_json writes on the Rust side (its maps are sorted, and integral numbers are written
 * as integers there too).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
