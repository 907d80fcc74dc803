// The toolbar over the canvas: what can be done to the selected item or page, as labelled
// controls (the same moves as the mouse and keyboard give).

import { useState } from 'react';

import { Api, type Job } from '../../api/client';
import { followJob } from '../../api/events';
import { clampBox, clampView, MAX_ROTATION, MAX_ZOOM } from '../../geometry';
import { atLeast } from '../../sync';
import { messageOf } from '../session';
import { findItem, useEditor } from './context';
import { JobBar } from './EditorHeader';
import { DEFAULT_TEXT_SIZE } from './ItemView';

export function Inspector() {
  const { book, selected, session, select, role, cropMode, setCropMode, notify } = useEditor();
  const found = selected?.item ? findItem(book, selected.page, selected.item) : null;
  const page = selected ? book.pages.find((p) => p.id === selected.page) : undefined;
  if (!page) return <div className="inspector muted">Select a page or an item to change it. Arrow keys move the selected item; Delete removes it.</div>;
  if (!found) return <PageTools />;
  const { item } = found;
  const editable = session.book.canChange(item.createdBy);
  if (!editable) return <div className="inspector muted">Someone else made this {item.kind}; as a {role} you can change only what you made.</div>;
  const run = (f: () => void) => {
    try {
      f();
    } catch (e) {
      notify(messageOf(e));
    }
  };
  const setBox = (i: number, v: number) => {
    const box = [...item.box] as typeof item.box;
    box[i] = v;
    run(() => session.book.setBox(page.id, item.id, clampBox(box)));
  };
  const zs = page.items.map((i) => i.z);
  const view = item.photo ? clampView(item.photo.pan, item.photo.zoom) : null;
  return (
    <div className="inspector" role="toolbar" aria-label={`${item.kind} tools`}>
      <strong className="kind">{item.kind}</strong>
      <button onClick={() => run(() => session.book.setZ(page.id, item.id, Math.max(...zs) + 1))} title="Bring forward (])">
        Bring forward
      </button>
      <button onClick={() => run(() => session.book.setZ(page.id, item.id, Math.min(...zs) - 1))} title="Send back ([)">
        Send back
      </button>
      <label className="inline">
        Rotate
        <input
          type="number"
          step={1}
          min={-MAX_ROTATION}
          max={MAX_ROTATION}
          title={`The server accepts rotations of up to ±${MAX_ROTATION}°`}
          value={Math.round(item.box[4])}
          onChange={(e) => e.target.value !== '' && Number.isFinite(Number(e.target.value)) && setBox(4, Number(e.target.value))}
          aria-label="Rotation in degrees"
          style={{ width: 56 }}
        />
        °
      </label>
      {item.kind === 'photo' && item.photo && view && (
        <>
          <button aria-pressed={cropMode} onClick={() => setCropMode(!cropMode)} title="Drag inside the photo to pan, wheel or +/- to zoom">
            {cropMode ? 'Done adjusting' : 'Adjust photo'}
          </button>
          <label className="inline">
            Zoom
            <input
              type="range"
              min={1}
              max={MAX_ZOOM}
              step={0.05}
              value={view.zoom}
              aria-label="Photo zoom"
              onChange={(e) => run(() => session.book.setPhoto(page.id, item.id, { id: item.photo!.id, pan: view.pan, zoom: Number(e.target.value) }))}
            />
          </label>
        </>
      )}
      {item.kind === 'text' && (
        <>
          <label className="inline">
            Size
            <input
              type="number"
              min={0.5}
              max={20}
              step={0.25}
              aria-label="Font size in percent of the page width"
              value={Math.round((item.style.size ?? DEFAULT_TEXT_SIZE) * 10000) / 100}
              onChange={(e) => {
                const pct = Number(e.target.value);
                if (e.target.value !== '' && Number.isFinite(pct)) run(() => session.book.restyle(page.id, item.id, { ...item.style, size: Math.min(0.5, Math.max(0.005, pct / 100)) }));
              }}
              style={{ width: 60 }}
            />
            %
          </label>
          <label className="inline">
            Colour
            <input type="color" value={item.style.color ?? '#222222'} onChange={(e) => run(() => session.book.restyle(page.id, item.id, { ...item.style, color: e.target.value }))} />
          </label>
          <select aria-label="Alignment" value={item.style.align ?? 'left'} onChange={(e) => run(() => session.book.restyle(page.id, item.id, { ...item.style, align: e.target.value as 'left' }))}>
            <option value="left">Left</option>
            <option value="center">Centre</option>
            <option value="right">Right</option>
          </select>
        </>
      )}
      <button
        className="danger"
        onClick={() =>
          run(() => {
            session.book.removeItem(page.id, item.id);
            select({ page: page.id, item: null });
          })
        }
        title="Delete (Delete key)"
      >
        Delete
      </button>
      {atLeast(role, 'editor') && <span className="muted small">z {item.z}</span>}
    </div>
  );
}

function PageTools() {
  const { book, selected, session, select, role, project, events, notify } = useEditor();
  const [job, setJob] = useState<Job | null>(null);
  const index = book.pages.findIndex((p) => p.id === selected!.page);
  const page = book.pages[index]!;
  const mayChange = session.book.canChange(page.createdBy);
  const mayRemove = session.book.canRemovePage(page);
  const run = (f: () => void) => {
    try {
      f();
    } catch (e) {
      notify(messageOf(e));
    }
  };
  const remix = async () => {
    try {
      const { job: first } = await Api.automix(project.id, { page_id: page.id });
      const end = await followJob(events, first, setJob);
      if (end.state === 'failed') notify(`Remix failed: ${end.error ?? ''}`);
    } catch (e) {
      notify(`Remix could not start: ${messageOf(e)}`);
    }
  };
  return (
    <div className="inspector" role="toolbar" aria-label="Page tools">
      <strong className="kind">Page {index + 1}</strong>
      <button disabled={!mayChange || index === 0} onClick={() => run(() => session.book.movePage(page.id, index - 1))}>
        ◀ Move earlier
      </button>
      <button disabled={!mayChange || index === book.pages.length - 1} onClick={() => run(() => session.book.movePage(page.id, index + 1))}>
        Move later ▶
      </button>
      <button
        disabled={!atLeast(role, 'editor') || !page.items.some((i) => i.photo)}
        onClick={remix}
        title={atLeast(role, 'editor') ? 'A new layout for the photos of this page' : 'Remixing needs the editor role'}
      >
        Remix page
      </button>
      <JobBar job={job} label="remix" />
      <button
        className="danger"
        disabled={!mayRemove}
        title={mayChange && !mayRemove ? 'This page holds items other people made; only an editor can delete it' : undefined}
        onClick={() =>
          run(() => {
            session.book.removePage(page.id);
            select(null);
          })
        }
      >
        Delete page
      </button>
    </div>
  );
}
