// Writes crdt-schema/fixtures/ts/NAME.update.bin and NAME.book.json for every scenario of
// crdt-schema/fixtures/scenarios.json, made with the TypeScript typed edit API.
// Run with `npm run gen-fixtures`. yjs output is deterministic: the same files every run.

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';

import { FIXTURES, canonicalJson, loadScenarios, readUpdate, runScenario } from './scenario';

const out = `${FIXTURES}ts/`;
mkdirSync(out, { recursive: true });
const scenarios = loadScenarios();
for (const [name, scenario] of scenarios) {
  const update = runScenario(scenario);
  writeFileSync(`${out}${name}.update.bin`, update);
  writeFileSync(`${out}${name}.book.json`, canonicalJson(readUpdate(update)));
  console.log(`${name}: ${update.length} bytes`);
}
const names = new Set(scenarios.map(([name]) => name));
for (const file of readdirSync(out)) {
  const name = file.replace(/\.update\.bin$|\.book\.json$/, '');
  if (name !== file && !names.has(name)) {
    rmSync(`${out}${file}`);
    console.log(`removed ${file}`);
  }
}
