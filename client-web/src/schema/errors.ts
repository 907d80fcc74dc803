// Why a typed read or edit failed; the same cases as crdt-schema's ModelError.

export type ModelErrorDetail =
  | { kind: 'missingField'; at: string; field: string }
  | { kind: 'wrongType'; at: string; field: string; expected: string }
  | { kind: 'newerSchema'; found: number; supported: number }
  | { kind: 'unknownPage'; page: string }
  | { kind: 'unknownItem'; page: string; item: string }
  | { kind: 'pageExists'; page: string }
  | { kind: 'itemExists'; page: string; item: string }
  | { kind: 'pageIndex'; index: number; len: number }
  | { kind: 'badBox'; index: number; value: number; limit: number }
  | { kind: 'textRange'; index: number; deleteLen: number; len: number }
  | { kind: 'textTooLong'; len: number; limit: number };

function describe(d: ModelErrorDetail): string {
  switch (d.kind) {
    case 'missingField':
      return `${d.at}: required field \`${d.field}\` is missing`;
    case 'wrongType':
      return `${d.at}: field \`${d.field}\` should be ${d.expected}`;
    case 'newerSchema':
      return `the book has schema version ${d.found}; this build reads up to ${d.supported}`;
    case 'unknownPage':
      return `no page with id ${d.page}`;
    case 'unknownItem':
      return `no item with id ${d.item} on page ${d.page}`;
    case 'pageExists':
      return `a page with id ${d.page} already exists`;
    case 'itemExists':
      return `an item with id ${d.item} already exists on page ${d.page}`;
    case 'pageIndex':
      return `page index ${d.index} is out of range: the book has ${d.len} pages`;
    case 'badBox':
      return `box value ${d.index} (${d.value}) must be finite, within ±${d.limit}, and not a negative size`;
    case 'textRange':
      return `text range ${d.index}+${d.deleteLen} does not fit a text of ${d.len} UTF-16 units or splits a character`;
    case 'textTooLong':
      return `text of ${d.len} UTF-16 units is over the limit of ${d.limit}`;
  }
}

/** An error of the typed model; `detail` says which case, with its data. */
export class ModelError extends Error {
  readonly detail: ModelErrorDetail;

  constructor(detail: ModelErrorDetail) {
    super(describe(detail));
    this.name = 'ModelError';
    this.detail = detail;
  }
}
