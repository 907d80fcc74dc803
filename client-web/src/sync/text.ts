// Binds a <textarea> to an item's Y.Text so that a caption is edited together, live: local
// typing becomes Y.Text splices under the local origin, and remote splices update the field
// while keeping this user's caret where it was in the text.

import * as Y from 'yjs';

import { diffText, LOCAL_ORIGIN, type BookDoc } from './book';

/** Moves a caret position through a Y.Text delta. */
export function transformPosition(pos: number, delta: readonly { retain?: number; insert?: unknown; delete?: number }[]): number {
  // `index` walks the text as it was before the change.
  let index = 0;
  let out = pos;
  for (const op of delta) {
    if (op.retain !== undefined) {
      index += op.retain;
    } else if (op.insert !== undefined) {
      if (index < pos) out += typeof op.insert === 'string' ? op.insert.length : 1;
    } else if (op.delete !== undefined) {
      out -= Math.max(0, Math.min(index + op.delete, pos) - index);
      index += op.delete;
    }
  }
  return Math.max(0, out);
}

export function bindTextArea(area: HTMLTextAreaElement, book: BookDoc, pageId: string, itemId: string): () => void {
  const text = book.text(pageId, itemId);
  let shown = text?.toString() ?? '';
  area.value = shown;

  const onInput = () => {
    const next = area.value;
    if (next === shown) return;
    try {
      book.editText(pageId, itemId, shown, next);
      shown = next;
    } catch {
      area.value = shown;
    }
  };
  area.addEventListener('input', onInput);

  const observer = (event: Y.YTextEvent, txn: Y.Transaction) => {
    if (txn.origin === LOCAL_ORIGIN) return;
    const start = transformPosition(area.selectionStart, event.delta);
    const end = transformPosition(area.selectionEnd, event.delta);
    shown = (event.target as Y.Text).toString();
    if (area.value !== shown) {
      area.value = shown;
      if (document.activeElement === area) area.setSelectionRange(start, end);
    }
  };
  text?.observe(observer);
  return () => {
    area.removeEventListener('input', onInput);
    text?.unobserve(observer);
  };
}

export { diffText };
