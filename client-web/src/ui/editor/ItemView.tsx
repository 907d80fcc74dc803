// One item on a page: drawn from its relative box, and for those allowed, dragged, resized,
// rotated, panned and zoomed (photos), typed into (text), and moved with the keyboard.

import { useEffect, useRef, useState, type DragEvent, type KeyboardEvent, type PointerEvent } from 'react';

import { withToken, type Finding } from '../../api/client';
import { boxToRect, chooseSizeIndex, clampBox, panBy, photoPlacement, zoomBy, type PageSize } from '../../geometry';
import type { Box, Item, Page } from '../../schema';
import { bindTextArea } from '../../sync';
import { useEditor, useSelectors } from './context';
import { PHOTO_DRAG_TYPE, usePhoto } from './photos';

/** Font size when a text item has none: a fraction of the page width (as the PDF renderer). */
export const DEFAULT_TEXT_SIZE = 0.02;

type Drag =
  | { kind: 'move'; x: number; y: number; box: Box }
  | { kind: 'resize'; x: number; y: number; box: Box }
  | { kind: 'rotate'; cx: number; cy: number }
  | { kind: 'pan'; x: number; y: number; pan: [number, number]; zoom: number };

export function ItemView(props: { page: Page; item: Item; order: number; size: PageSize; findings: Finding[]; boundary: string | null }) {
  const { page, item, order, size, findings, boundary } = props;
  const { session, selected, select, cropMode, theme, notify } = useEditor();
  const el = useRef<HTMLDivElement>(null);
  const drag = useRef<Drag | null>(null);
  const [editing, setEditing] = useState(false);
  const rect = boxToRect(item.box, size);
  const isSelected = selected?.page === page.id && selected.item === item.id;
  const editable = session.book.canChange(item.createdBy);
  const photoMeta = usePhoto(item.photo?.id);
  const remote = useSelectors(session, page.id, item.id);
  const finding = findings.some((f) => f.severity === 'error') ? 'error' : findings.length ? 'warning' : null;

  useEffect(() => {
    if (!isSelected) setEditing(false);
  }, [isSelected]);

  const write = (box: Box) => {
    try {
      session.book.setBox(page.id, item.id, clampBox(box));
    } catch (e) {
      notify(String(e));
    }
  };
  const photoSlot: [number, number] = [rect.w, rect.h];
  const photoPx: [number, number] | null = photoMeta ? [photoMeta.width, photoMeta.height] : null;
  const view = { pan: item.photo?.pan ?? ([0, 0] as [number, number]), zoom: item.photo?.zoom ?? 1 };
  const setView = (v: { pan: [number, number]; zoom: number }) => {
    if (!item.photo) return;
    session.book.setPhoto(page.id, item.id, { id: item.photo.id, pan: [round(v.pan[0]), round(v.pan[1])], zoom: round(v.zoom) });
  };
  const cropping = isSelected && cropMode && item.kind === 'photo' && !!item.photo;

  // A drag follows the pointer on the window, wherever it goes, until it is released: the
  // handlers in the refs are this render's, so they see the item as it is now.
  const moveRef = useRef<(e: globalThis.PointerEvent) => void>(() => undefined);
  const upRef = useRef<() => void>(() => undefined);
  const start = (e: PointerEvent, d: Drag) => {
    e.stopPropagation();
    e.preventDefault();
    drag.current = d;
    session.book.undo.stopCapturing();
    const move = (ev: globalThis.PointerEvent) => moveRef.current(ev);
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      window.removeEventListener('pointercancel', up);
      upRef.current();
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
    window.addEventListener('pointercancel', up);
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if ((e.target as HTMLElement).tagName === 'TEXTAREA') return;
    e.stopPropagation();
    if (!isSelected) select({ page: page.id, item: item.id });
    el.current?.focus({ preventScroll: true });
    if (!editable || e.button !== 0) return;
    if (cropping) start(e, { kind: 'pan', x: e.clientX, y: e.clientY, pan: [...view.pan], zoom: view.zoom });
    else start(e, { kind: 'move', x: e.clientX, y: e.clientY, box: [...item.box] });
  };
  const onPointerMove = (e: globalThis.PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    if (d.kind === 'move') {
      write([d.box[0] + (e.clientX - d.x) / size.width, d.box[1] + (e.clientY - d.y) / size.height, d.box[2], d.box[3], d.box[4]]);
    } else if (d.kind === 'resize') {
      const dw = (e.clientX - d.x) / size.width;
      let dh = (e.clientY - d.y) / size.height;
      if (e.shiftKey) dh = ((d.box[2] + dw) / d.box[2]) * d.box[3] - d.box[3];
      const w = Math.max(0.02, d.box[2] + dw);
      const h = Math.max(0.02, d.box[3] + dh);
      write([d.box[0] + (w - d.box[2]) / 2, d.box[1] + (h - d.box[3]) / 2, w, h, d.box[4]]);
    } else if (d.kind === 'rotate') {
      const deg = (Math.atan2(e.clientX - d.cx, -(e.clientY - d.cy)) * 180) / Math.PI;
      write([item.box[0], item.box[1], item.box[2], item.box[3], Math.round(deg * 10) / 10]);
    } else if (d.kind === 'pan' && photoPx) {
      setView(panBy(photoPx, photoSlot, { pan: d.pan, zoom: d.zoom }, e.clientX - d.x, e.clientY - d.y));
    }
  };
  const onPointerUp = () => {
    if (drag.current) session.book.undo.stopCapturing();
    drag.current = null;
  };
  moveRef.current = onPointerMove;
  upRef.current = onPointerUp;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if ((e.target as HTMLElement).tagName === 'TEXTAREA') {
      if (e.key === 'Escape') {
        setEditing(false);
        el.current?.focus();
      }
      return;
    }
    if (e.key === 'Escape') {
      select({ page: page.id, item: null });
      return;
    }
    if (!editable) return;
    const step = e.shiftKey ? 0.05 : 0.01;
    const arrows: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const dir = arrows[e.key];
    if (dir) {
      e.preventDefault();
      if (cropping && photoPx) setView(panBy(photoPx, photoSlot, view, -dir[0] * 10, -dir[1] * 10));
      else session.book.moveBy(page.id, item.id, dir[0] * step, dir[1] * step);
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      session.book.removeItem(page.id, item.id);
      select({ page: page.id, item: null });
    } else if (e.key === ']') {
      session.book.setZ(page.id, item.id, Math.max(...page.items.map((i) => i.z)) + 1);
    } else if (e.key === '[') {
      session.book.setZ(page.id, item.id, Math.min(...page.items.map((i) => i.z)) - 1);
    } else if (e.key === 'Enter' && item.kind === 'text') {
      e.preventDefault();
      setEditing(true);
    } else if ((e.key === '+' || e.key === '=') && cropping) {
      setView(zoomBy(view, 1.1));
    } else if (e.key === '-' && cropping) {
      setView(zoomBy(view, 1 / 1.1));
    }
  };

  const onDragOver = (e: DragEvent) => {
    if (editable && item.kind === 'photo' && e.dataTransfer.types.includes(PHOTO_DRAG_TYPE)) {
      e.preventDefault();
      e.stopPropagation();
    }
  };
  const onDrop = (e: DragEvent) => {
    const id = e.dataTransfer.getData(PHOTO_DRAG_TYPE);
    if (!id || !editable || item.kind !== 'photo') return;
    e.preventDefault();
    e.stopPropagation();
    session.book.setPhoto(page.id, item.id, { id, pan: [0, 0], zoom: 1 });
    select({ page: page.id, item: item.id });
  };

  const classes = ['item', `item-${item.kind}`, isSelected && 'selected', editable ? 'editable' : 'locked', finding && `finding-${finding}`, !finding && boundary && 'boundary-warning', cropping && 'cropping']
    .filter(Boolean)
    .join(' ');
  const fontPx = (item.style.size ?? DEFAULT_TEXT_SIZE) * size.width;
  const label = item.kind === 'text' ? `Text: ${item.text ?? ''}` : item.kind === 'photo' ? (item.photo ? 'Photo' : 'Empty photo slot') : item.kind === 'sticker' ? `Sticker ${item.text ?? ''}` : 'Shape';
  return (
    <div
      ref={el}
      className={classes}
      data-item-id={item.id}
      data-kind={item.kind}
      data-box={item.box.map((v) => v.toFixed(4)).join(',')}
      data-view={item.photo ? `${item.photo.pan[0]},${item.photo.pan[1]},${item.photo.zoom}` : undefined}
      tabIndex={0}
      role="group"
      aria-label={label}
      aria-roledescription="item"
      title={findings.map((f) => f.message).join('\n') || boundary || undefined}
      data-boundary={boundary ? 'warning' : undefined}
      style={{
        left: rect.x,
        top: rect.y,
        width: rect.w,
        height: rect.h,
        transform: item.box[4] ? `rotate(${item.box[4]}deg)` : undefined,
        zIndex: order + 1,
        opacity: item.style.opacity,
        outlineColor: !isSelected && remote[0] ? remote[0].color : undefined,
        boxShadow: item.style.shadow ? '0 4px 12px rgba(0,0,0,.35)' : undefined,
        border: item.style.border ? `${item.style.border.width * size.width}px solid ${item.style.border.color}` : undefined,
      }}
      onPointerDown={onPointerDown}
      onDoubleClick={() => editable && item.kind === 'text' && setEditing(true)}
      onKeyDown={onKeyDown}
      onFocus={(e) => e.target === e.currentTarget && !isSelected && select({ page: page.id, item: item.id })}
      onDragOver={onDragOver}
      onDrop={onDrop}
      onWheel={(e) => cropping && setView(zoomBy(view, e.deltaY < 0 ? 1.1 : 1 / 1.1))}
    >
      {item.kind === 'photo' && <PhotoContent item={item} slot={photoSlot} />}
      {item.kind === 'text' &&
        (editing ? (
          <CaptionEditor page={page} item={item} fontPx={fontPx} color={item.style.color ?? theme?.colors.text} />
        ) : (
          <div className="text-content" style={{ fontSize: fontPx, color: item.style.color ?? theme?.colors.text, textAlign: item.style.align, fontFamily: fontStack(item.style.font ?? theme?.fonts.body) }}>
            {item.text || (editable ? <span className="muted">Double-click to type</span> : '')}
          </div>
        ))}
      {item.kind === 'sticker' && (
        <div className="sticker-content" style={{ fontSize: Math.min(rect.w, rect.h) * 0.8 }}>
          {item.text ?? '★'}
        </div>
      )}
      {item.kind === 'shape' && <div className="shape-content" style={{ background: item.style.color ?? theme?.colors.accent ?? '#94a3b8' }} />}
      {remote.map((p, i) => (
        <span key={i} className="remote-selection" style={{ background: p.color }}>
          {p.name}
        </span>
      ))}
      {finding && (
        <span className={`finding-dot ${finding}`} aria-label={`${findings.length} print issue(s)`}>
          !
        </span>
      )}
      {isSelected && editable && !cropping && (
        <>
          <span
            className="handle resize"
            role="presentation"
            title="Drag to resize (Shift keeps the shape)"
            onPointerDown={(e) => start(e, { kind: 'resize', x: e.clientX, y: e.clientY, box: [...item.box] })}
          />
          <span
            className="handle rotate"
            role="presentation"
            title="Drag to rotate (up to ±10°, the most the server accepts)"
            onPointerDown={(e) => {
              const r = el.current!.getBoundingClientRect();
              start(e, { kind: 'rotate', cx: r.left + r.width / 2, cy: r.top + r.height / 2 });
            }}
          />
        </>
      )}
    </div>
  );
}

function PhotoContent({ item, slot }: { item: Item; slot: [number, number] }) {
  const meta = usePhoto(item.photo?.id);
  if (!item.photo) return <div className="slot-empty">Drop a photo here</div>;
  if (!meta) return <div className="slot-empty">Loading photo…</div>;
  const place = photoPlacement([meta.width, meta.height], slot, { pan: item.photo.pan, zoom: item.photo.zoom });
  if (!place) return null;
  const dpr = window.devicePixelRatio || 1;
  const idx = chooseSizeIndex(meta.sizes, [place.w * dpr, place.h * dpr]);
  const url = meta.sizes[idx]?.url ?? `/api/photos/${meta.id}/file`;
  return (
    <div className="photo-clip">
      <img
        src={url.startsWith('/api/') ? withToken(url) : url}
        alt={meta.name}
        draggable={false}
        style={{ left: place.x, top: place.y, width: place.w, height: place.h }}
        data-photo-id={meta.id}
      />
    </div>
  );
}

function CaptionEditor({ page, item, fontPx, color }: { page: Page; item: Item; fontPx: number; color?: string }) {
  const { session } = useEditor();
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const area = ref.current!;
    const unbind = bindTextArea(area, session.book, page.id, item.id);
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
    return unbind;
  }, [session, session.book, page.id, item.id]);
  return (
    <textarea
      ref={ref}
      className="caption-editor"
      aria-label="Caption text"
      style={{ fontSize: fontPx, color, textAlign: item.style.align, fontFamily: fontStack(item.style.font) }}
      onPointerDown={(e) => e.stopPropagation()}
    />
  );
}

function round(v: number): number {
  return Math.round(v * 10000) / 10000;
}

/** A font family with fallbacks, so that a font this browser lacks still reads well. */
function fontStack(font: string | undefined): string {
  return font ? `"${font.replace(/"/g, '')}", system-ui, sans-serif` : 'system-ui, sans-serif';
}
