// The shared fixtures (SPEC §6.4): every update made by crdt-schema's Rust model, and every
// one made by this TypeScript model, reads here exactly as recorded beside it.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { FIXTURES, canonicalJson, loadScenarios, readUpdate, runScenario } from '../../scripts/scenario';

const SIDES = ['rust', 'ts'] as const;

function names(side: string): string[] {
  return readdirSync(`${FIXTURES}${side}`)
    .filter((f) => f.endsWith('.update.bin'))
    .map((f) => f.slice(0, -'.update.bin'.length))
    .sort();
}

const bookFile = (side: string, name: string) => readFileSync(`${FIXTURES}${side}/${name}.book.json`, 'utf8');
const updateFile = (side: string, name: string) => new Uint8Array(readFileSync(`${FIXTURES}${side}/${name}.update.bin`));

/** Through JSON, as the Rust side compares: absent fields drop out and -0 prints as 0. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe.each(SIDES)('fixtures/%s', (side) => {
  it('holds at least three scenarios', () => {
    expect(names(side).length).toBeGreaterThanOrEqual(3);
  });

  it.each(names(side))('%s reads as recorded', (name) => {
    expect(asJson(readUpdate(updateFile(side, name)))).toEqual(JSON.parse(bookFile(side, name)));
  });

  it.each(names(side))('%s.book.json is canonical', (name) => {
    const text = bookFile(side, name);
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });
});

describe('both sides', () => {
  it('hold the same scenarios', () => {
    expect(names('ts')).toEqual(names('rust'));
  });

  it.each(names('rust'))('record the same book for %s', (name) => {
    expect(JSON.parse(bookFile('ts', name))).toEqual(JSON.parse(bookFile('rust', name)));
  });
});

describe('scenarios', () => {
  it.each(loadScenarios())('%s replays to the recorded update, byte for byte', (name, scenario) => {
    const update = runScenario(scenario);
    expect(canonicalJson(readUpdate(update))).toBe(bookFile('ts', name));
    expect(Buffer.from(update).equals(Buffer.from(updateFile('ts', name)))).toBe(true);
  });
});
