// names.ts is a hand mirror of crdt-schema/src/schema.rs: hold it to the Rust source.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as names from './names';

const source = readFileSync(new URL('../../../crdt-schema/src/schema.rs', import.meta.url), 'utf8');

/** `pub const NAME: &str = "value";` and `[&str; N] = [...]` constants of one block of Rust. */
function stringConsts(block: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [, name, value] of block.matchAll(/pub const (\w+): &str = "([^"]*)";/g)) out[name!] = value!;
  // A list holds string literals or the names of the block's constants.
  for (const [, name, list] of block.matchAll(/pub const (\w+): \[&str; \d+\] = \[([^\]]*)\];/g)) {
    out[name!] = list!.split(',').map((part) => part.trim()).filter((part) => part !== '').map((part) =>
      part.startsWith('"') ? part.slice(1, -1) : (out[part] as string));
  }
  return out;
}

function module(name: string): Record<string, string | string[]> {
  const match = source.match(new RegExp(`pub mod ${name} \\{([\\s\\S]*?)\\n\\}`));
  if (!match) throw new Error(`no module ${name} in schema.rs`);
  return stringConsts(match[1]!);
}

function numberConst(name: string): number {
  const match = source.match(new RegExp(`pub const ${name}: \\w+ = ([^;]+);`));
  if (!match) throw new Error(`no constant ${name} in schema.rs`);
  return match[1]!.replaceAll('_', '').split('*').map(Number).reduce((a, b) => a * b, 1);
}

describe('names mirror schema.rs', () => {
  it('meta keys', () => {
    const { ALL, ...keys } = module('meta');
    expect(keys).toEqual(names.META);
    expect(ALL).toEqual(Object.values(names.META));
  });

  it('page keys and kinds', () => {
    const { ALL, KINDS, ...keys } = module('page');
    expect(keys).toEqual(names.PAGE);
    expect(ALL).toEqual(Object.values(names.PAGE));
    expect(KINDS).toEqual(names.PAGE_KINDS);
  });

  it('item keys, kinds and style keys', () => {
    const { ALL, KINDS, STYLE_KEYS, ...keys } = module('item');
    expect(keys).toEqual(names.ITEM);
    expect(ALL).toEqual(Object.values(names.ITEM));
    expect(KINDS).toEqual(names.ITEM_KINDS);
    expect(STYLE_KEYS).toEqual(names.STYLE_KEYS);
  });

  it('roots, limits and the system user', () => {
    const top = stringConsts(source);
    expect(top['ROOT_META']).toBe(names.ROOT_META);
    expect(top['ROOT_PAGES']).toBe(names.ROOT_PAGES);
    expect(top['SYSTEM_USER']).toBe(names.SYSTEM_USER);
    for (const name of ['SCHEMA_VERSION', 'BOX_LIMIT', 'ROT_LIMIT', 'MAX_STRING_BYTES', 'MAX_TEXT_LEN', 'MAX_UPDATE_BYTES'] as const) {
      expect(numberConst(name), name).toBe(names[name]);
    }
  });
});
