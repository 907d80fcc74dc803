// The canvas: every spread of the book at the core aspect ratio, stacked, with the pages'
// items, the other people's cursors, and preflight findings marked on the pages.

import { useEffect, useRef, useState, type DragEvent, type PointerEvent, type RefObject } from 'react';

import { checkBox, fitSpreadWidth, pageFrame, pageSides, photoBoxAt, pointToRelative, relativeToPoint, spreadsOf, toRelative, type PageSize } from '../../geometry';
import type { Item } from '../../schema';
import type { Page } from '../../schema';
import { canEdit, newId, themeBackground, useEditor, usePeers, useSessionSnapshot } from './context';
import { ItemView } from './ItemView';
import { PHOTO_DRAG_TYPE } from './photos';

export function Canvas({ ref }: { ref: RefObject<HTMLDivElement | null> }) {
  const { book, car, select, role, session, me, theme } = useEditor();
  const synced = useSessionSnapshot(session).connection.everSynced;
  const [area, setArea] = useState<PageSize>({ width: 720, height: 520 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setArea({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    setArea({ width: el.clientWidth, height: el.clientHeight });
    return () => ro.disconnect();
  }, [ref]);
  const pageWidth = fitSpreadWidth({ width: area.width - 56, height: Math.max(200, area.height - 70) }, car, 2);
  const spreads = spreadsOf(book.pages);
  const addFirst = () => {
    const id = newId();
    session.book.addPage(0, { id, kind: 'page', layout: null, background: themeBackground(theme, book, 0), auto: false });
    select({ page: id, item: null });
  };
  return (
    <div className="canvas" ref={ref} onPointerDown={(e) => e.target === e.currentTarget && select(null)} data-testid="canvas">
      {book.pages.length === 0 && !synced && <p className="muted">Opening the book…</p>}
      {book.pages.length === 0 && synced && (
        <div className="empty-book card">
          <p>This book has no pages yet.</p>
          {canEdit(role) ? (
            <p>
              <button className="primary" onClick={addFirst}>
                Add the first page
              </button>{' '}
              or upload photos and press <strong>Automix</strong>.
            </p>
          ) : (
            <p className="muted">The people editing it will add pages; you will see them appear here.</p>
          )}
        </div>
      )}
      {spreads.map((spread) => {
        const size = { width: pageWidth, height: pageWidth / car };
        const show = (p: Page | null) =>
          p ? <PageView key={p.id} page={p} index={book.pages.indexOf(p)} size={size} /> : <div className="page-placeholder" style={{ width: pageWidth }} aria-hidden />;
        const first = spread.alone ?? spread.left ?? spread.right!;
        return (
          <div className={`spread${spread.alone ? ' alone' : ''}`} key={first.id}>
            {spread.alone ? show(spread.alone) : (
              <>
                {show(spread.left)}
                {show(spread.right)}
              </>
            )}
          </div>
        );
      })}
      <span className="sr-only">Signed in as {me.name}</span>
    </div>
  );
}

function pageLabel(page: Page, index: number): string {
  const kinds: Record<string, string> = { 'front-cover': 'Front cover', 'back-cover': 'Back cover', spine: 'Spine', 'inside-front': 'Inside front', 'inside-back': 'Inside back' };
  return kinds[page.kind] ?? `Page ${index + 1}`;
}

/**
 * A live print-boundary warning for an item on this page, or null (the server's preflight
 * decides at print time). Photos may run into the bleed on purpose: only off the page counts.
 */
function boundaryWarning(frame: ReturnType<typeof pageFrame> | null, item: Item): string | null {
  if (!frame) return null;
  const c = checkBox(frame, item.box);
  if (c.offPage) return 'This item is wholly off the page and will not print.';
  if (item.kind === 'photo') return null;
  if (c.intersectsGutter) return 'This item runs into the gutter, where the binding hides it.';
  if (c.crossesSafeArea) return 'This item crosses the safe area and may be trimmed.';
  return null;
}

export function PageView({ page, index, size, thumb = false }: { page: Page; index: number; size: PageSize; thumb?: boolean }) {
  const { session, selected, select, theme, findings, role, car, photos, notify, book, product } = useEditor();
  const side = pageSides(book.pages.map((p) => p.kind))[index];
  const frame = !thumb && product && side ? pageFrame(product, car, side) : null;
  const safe = frame ? toRelative(frame, frame.safe) : null;
  const pending = useRef(0);
  const latest = useRef<[number, number]>([0, 0]);
  const pageFindings = findings.filter((f) => f.page_id === page.id);
  const worst = pageFindings.some((f) => f.severity === 'error') ? 'error' : pageFindings.length ? 'warning' : null;
  const bg = page.background;
  const color = bg.color ?? theme?.colors.background ?? '#ffffff';
  const isSelected = selected?.page === page.id;

  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    latest.current = pointToRelative(e.clientX - r.left, e.clientY - r.top, size);
    if (pending.current) return;
    // One awareness update per frame at most, with the newest position.
    pending.current = requestAnimationFrame(() => {
      pending.current = 0;
      const [x, y] = latest.current;
      session.setCursor({ page: page.id, x: round(x), y: round(y) });
    });
  };
  const onDragOver = (e: DragEvent) => {
    if (canEdit(role) && e.dataTransfer.types.includes(PHOTO_DRAG_TYPE)) e.preventDefault();
  };
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    const photoId = e.dataTransfer.getData(PHOTO_DRAG_TYPE);
    if (!photoId || !canEdit(role)) return;
    e.preventDefault();
    const r = e.currentTarget.getBoundingClientRect();
    const [x, y] = pointToRelative(e.clientX - r.left, e.clientY - r.top, size);
    const meta = photos.get(photoId);
    const box = photoBoxAt(meta ? [meta.width, meta.height] : [1, 1], car, x, y);
    const z = Math.max(0, ...page.items.map((i) => i.z)) + 1;
    try {
      const id = session.book.addItem(page.id, { id: newId(), kind: 'photo', box, z, photo: { id: photoId, pan: [0, 0], zoom: 1 }, style: {}, slot: null });
      select({ page: page.id, item: id });
    } catch (err) {
      notify(String(err));
    }
  };

  return (
    <figure className={`page-wrap${isSelected ? ' current' : ''}`} style={{ width: size.width }}>
      <div
        className={`page${worst ? ` has-${worst}` : ''}`}
        data-page-id={page.id}
        data-layout={page.layout ?? ''}
        data-testid="page"
        tabIndex={-1}
        aria-label={pageLabel(page, index)}
        style={{ width: size.width, height: size.height, backgroundColor: color }}
        onPointerMove={onPointerMove}
        onPointerLeave={() => session.setCursor(null)}
        onPointerDown={(e) => {
          if (e.target === e.currentTarget || (e.target as HTMLElement).classList.contains('page-bg')) select({ page: page.id, item: null });
        }}
        onDragOver={onDragOver}
        onDrop={onDrop}
      >
        {bg.asset && <div className="page-bg" style={{ backgroundImage: `url(/assets/${bg.asset})`, transform: bg.flip ? 'scaleX(-1)' : undefined }} aria-hidden />}
        {page.items.map((item, order) => (
          <ItemView
            key={item.id}
            page={page}
            item={item}
            order={order}
            size={size}
            findings={pageFindings.filter((f) => f.item_id === item.id)}
            boundary={canEdit(role) ? boundaryWarning(frame, item) : null}
          />
        ))}
        {safe && isSelected && canEdit(role) && (
          <div
            className="safe-guide"
            aria-hidden
            title="Safe area: keep text and important things inside"
            style={{ left: (safe.x + 0.5) * size.width, top: (safe.y + 0.5) * size.height, width: safe.w * size.width, height: safe.h * size.height }}
          />
        )}
        {!thumb && <RemoteCursors pageId={page.id} size={size} />}
      </div>
      <figcaption>
        {pageLabel(page, index)}
        {page.auto && <span className="muted"> · automix</span>}
        {worst && (
          <span className={`finding-badge ${worst}`} title={pageFindings.map((f) => f.message).join('\n')} data-testid="page-finding">
            {pageFindings.length} print {pageFindings.length === 1 ? 'issue' : 'issues'}
          </span>
        )}
      </figcaption>
    </figure>
  );
}

function round(v: number): number {
  return Math.round(v * 10000) / 10000;
}

/** The other people's pointers on one page, with their names; the only part that redraws as they move. */
function RemoteCursors({ pageId, size }: { pageId: string; size: PageSize }) {
  const { session } = useEditor();
  const peers = usePeers(session);
  return (
    <>
      {peers
        .filter((p) => p.cursor?.page === pageId)
        .map((p) => {
          const [x, y] = relativeToPoint(p.cursor!.x, p.cursor!.y, size);
          return (
            <div key={p.clientId} className="remote-cursor" style={{ left: x, top: y, color: p.user.color }} data-testid="remote-cursor" data-user={p.user.name}>
              <svg width="14" height="18" viewBox="0 0 14 18" aria-hidden>
                <path d="M0 0 L14 10 L7 11 L4 18 Z" fill="currentColor" stroke="white" strokeWidth="1" />
              </svg>
              <span className="cursor-label" style={{ background: p.user.color }}>
                {p.user.name}
              </span>
            </div>
          );
        })}
    </>
  );
}
