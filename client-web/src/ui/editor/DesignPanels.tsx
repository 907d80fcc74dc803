// Layouts, backgrounds, and inserting pages, text, stickers and shapes.

import type { Background, Box } from '../../schema';
import { messageOf } from '../session';
import { newId, themeBackground, useEditor } from './context';

function usePage() {
  const { book, selected } = useEditor();
  return book.pages.find((p) => p.id === selected?.page) ?? null;
}

export function LayoutsPanel() {
  const { layouts, session, notify, car } = useEditor();
  const page = usePage();
  if (layouts.length === 0) return <p className="muted">No layouts for this book's shape.</p>;
  return (
    <div>
      <p className="muted small">{page ? 'Click a layout to apply it to the selected page. Its photos move into the slots.' : 'Select a page first.'}</p>
      <ul className="layout-grid">
        {layouts.map((l) => (
          <li key={l.id}>
            <button
              className="layout-thumb"
              style={{ aspectRatio: String(car) }}
              disabled={!page || !session.book.canChange(page.createdBy)}
              aria-label={`Layout ${l.id} with ${l.slots.length} photos`}
              title={l.id}
              onClick={() => {
                try {
                  session.book.applyLayout(page!.id, l.id, l.slots.map((s) => ({ box: s.box as Box, captionBox: s.caption_box as Box | undefined })), newId);
                } catch (e) {
                  notify(messageOf(e));
                }
              }}
            >
              {l.slots.map((s, i) => (
                <span
                  key={i}
                  className="layout-slot"
                  style={{ left: `${(s.box[0] - s.box[2] / 2 + 0.5) * 100}%`, top: `${(s.box[1] - s.box[3] / 2 + 0.5) * 100}%`, width: `${s.box[2] * 100}%`, height: `${s.box[3] * 100}%` }}
                />
              ))}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

const COLORS = ['#ffffff', '#f8f1e5', '#fde2e4', '#e2ece9', '#dbe7f3', '#1f2937'];

export function BackgroundsPanel() {
  const { theme, session, notify, car } = useEditor();
  const page = usePage();
  const choices: Background[] = [...(theme?.backgrounds ?? []), ...COLORS.map((color) => ({ color, flip: false }))];
  return (
    <div>
      <p className="muted small">{page ? 'Click a background for the selected page.' : 'Select a page first.'}</p>
      <ul className="bg-grid">
        {choices.map((bg, i) => (
          <li key={i}>
            <button
              className="bg-thumb"
              disabled={!page || !session.book.canChange(page.createdBy)}
              aria-label={bg.asset ? `Background ${bg.asset}` : `Colour ${bg.color}`}
              style={{ aspectRatio: String(car), backgroundColor: bg.color ?? '#fff', backgroundImage: bg.asset ? `url(/assets/${bg.asset})` : undefined }}
              onClick={() => {
                try {
                  session.book.setBackground(page!.id, bg);
                } catch (e) {
                  notify(messageOf(e));
                }
              }}
            />
          </li>
        ))}
      </ul>
    </div>
  );
}

// Symbols every system font has, so that a sticker looks the same for everyone.
const STICKERS = ['★', '❤', '☀', '✈', '✿', '☂', '♫', '☺'];

export function InsertPanel() {
  const { book, session, select, notify, selected, theme } = useEditor();
  const page = usePage();
  const index = page ? book.pages.indexOf(page) : book.pages.length - 1;
  const add = (kind: 'text' | 'sticker' | 'shape', text?: string) => {
    if (!page) return;
    try {
      const z = Math.max(0, ...page.items.map((i) => i.z)) + 1;
      const box: Box = kind === 'text' ? [0, 0.41, 0.6, 0.08, 0] : kind === 'sticker' ? [0.3, -0.3, 0.15, 0.15, 0] : [0, 0, 0.3, 0.2, 0];
      const id = session.book.addItem(page.id, { id: newId(), kind, box, z, style: kind === 'text' ? { size: 0.04 } : {}, slot: null, ...(text !== undefined ? { text } : {}) });
      select({ page: page.id, item: id });
    } catch (e) {
      notify(messageOf(e));
    }
  };
  const addPage = () => {
    try {
      const id = newId();
      session.book.addPage(index + 1, { id, kind: 'page', layout: null, background: themeBackground(theme, book, index + 1), auto: false });
      select({ page: id, item: null });
    } catch (e) {
      notify(messageOf(e));
    }
  };
  return (
    <div className="insert-panel">
      <button onClick={addPage}>+ Page {selected ? 'after this one' : ''}</button>
      <button onClick={() => add('text', '')} disabled={!page}>
        + Text box
      </button>
      <button onClick={() => add('shape')} disabled={!page}>
        + Shape
      </button>
      <h3>Stickers</h3>
      <ul className="sticker-grid">
        {STICKERS.map((s) => (
          <li key={s}>
            <button onClick={() => add('sticker', s)} disabled={!page} aria-label={`Sticker ${s}`}>
              {s}
            </button>
          </li>
        ))}
      </ul>
      {!page && <p className="muted small">Select a page to add to it.</p>}
    </div>
  );
}
