// The live book editor (SPEC §13): loads the project, opens the sync session and the event
// stream, and lays out the header, sidebar, canvas, storyboard and the side panels.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { Api, type Finding, type Layout, type Photo, type Project, type Theme } from '../../api/client';
import { ProjectEvents } from '../../api/events';
import { coreAspectFor, type Product } from '../../geometry';
import { BookSession, colorFor, type Role } from '../../sync';
import { navigate } from '../router';
import { messageOf, useAuth } from '../session';
import { Canvas } from './Canvas';
import { EditorContext, canEdit, useBook, useSessionSnapshot, type EditorState, type Selected } from './context';
import { EditorHeader } from './EditorHeader';
import { Inspector } from './Inspector';
import { SidePanels } from './SidePanels';
import { Sidebar } from './Sidebar';
import { Storyboard } from './Storyboard';

interface Loaded {
  project: Project;
  role: Role;
  products: Product[];
  themes: Theme[];
  layouts: Layout[];
}

export function EditorScreen({ projectId }: { projectId: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    (async () => {
      const [{ project, role }, products, themes] = await Promise.all([Api.project(projectId), Api.products(), Api.themes().catch(() => [] as Theme[])]);
      const product = products.find((p) => p.id === project.product);
      const layouts = await Api.layouts(product?.group ?? 'square').catch(() => [] as Layout[]);
      setLoaded({ project, role, products, themes, layouts });
    })().catch((e) => setError(messageOf(e)));
  }, [projectId]);
  if (error)
    return (
      <main className="centered">
        <p className="error" role="alert">
          {error}
        </p>
        <button onClick={() => navigate('/')}>Back to your books</button>
      </main>
    );
  if (!loaded) return <main className="centered muted">Opening the book…</main>;
  return <Editor {...loaded} />;
}

function wsBase(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
}

function Editor(props: Loaded) {
  const { auth } = useAuth();
  const me = auth!.user;
  const [memberRole, setRole] = useState<Role>(props.role);
  const session = useMemo(
    () => new BookSession({ serverUrl: wsBase(), projectId: props.project.id, token: auth!.token, user: { id: me.id, name: me.name, color: colorFor(me.id) }, role: props.role }),
    // One session for the life of this editor.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );
  const events = useMemo(() => new ProjectEvents(props.project.id), [props.project.id]);
  useEffect(
    () => () => {
      session.destroy();
      events.close();
    },
    [session, events],
  );
  const [messages, setMessages] = useState<{ id: number; text: string }[]>([]);
  const notify = useCallback((text: string) => {
    const id = Date.now() + Math.random();
    setMessages((m) => [...m.slice(-3), { id, text }]);
    setTimeout(() => setMessages((m) => m.filter((x) => x.id !== id)), 8000);
  }, []);
  const { book, unreadable } = useBook(session);
  const snapshot = useSessionSnapshot(session);
  // A book this build cannot read is shown read-only, so that nothing overwrites it.
  const role: Role = unreadable && canEdit(memberRole) ? 'commenter' : memberRole;
  useEffect(() => session.setRole(role), [session, role]);
  const [selected, setSelected] = useState<Selected | null>(null);
  const [findings, setFindings] = useState<Finding[]>([]);
  const [photos, setPhotos] = useState<Map<string, Photo>>(new Map());
  const [cropMode, setCropMode] = useState(false);
  const [removed, setRemoved] = useState(false);
  const canvasRef = useRef<HTMLDivElement>(null);

  // Tests and curious people can reach the live session from the console.
  useEffect(() => {
    (window as unknown as { folio: unknown }).folio = { session, events };
  }, [session, events]);

  // A role change or removal takes effect at once (SPEC §3).
  useEffect(
    () =>
      events.on((e) => {
        if (e.kind !== 'member' || e.data.user_id !== me.id) return;
        if (e.data.role === null) {
          setRemoved(true);
          return;
        }
        Api.project(props.project.id).then(
          ({ role: r }) => {
            setRole(r);
            session.setRole(r);
            notify(`Your role in this book is now ${r}.`);
          },
          () => setRemoved(true),
        );
      }),
    [events, me.id, props.project.id, session, notify],
  );

  const select = useCallback(
    (s: Selected | null) => {
      setSelected(s);
      setCropMode(false);
      session.setSelection(s?.item ? { page: s.page, item: s.item } : null);
    },
    [session],
  );

  const showPage = useCallback(
    (pageId: string) => {
      select({ page: pageId, item: null });
      const el = canvasRef.current?.querySelector(`[data-page-id="${CSS.escape(pageId)}"]`);
      el?.scrollIntoView({ behavior: 'smooth', block: 'center' });
      (el as HTMLElement | null)?.focus({ preventScroll: true });
    },
    [select],
  );

  const product = props.products.find((p) => p.id === (book.meta.product || props.project.product));
  const state: EditorState = {
    session,
    events,
    book,
    project: props.project,
    role,
    me,
    product,
    products: props.products,
    car: coreAspectFor(product, props.products),
    theme: props.themes.find((t) => t.id === (book.meta.theme || props.project.theme)),
    layouts: props.layouts,
    selected,
    select,
    showPage,
    findings,
    setFindings,
    photos,
    rememberPhotos: useCallback((list: Photo[]) => setPhotos((m) => new Map([...m, ...list.map((p) => [p.id, p] as const)])), []),
    notify,
    cropMode,
    setCropMode,
  };

  // Undo and redo of one's own changes.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('input, textarea, select, [contenteditable]')) return;
      if (!(e.ctrlKey || e.metaKey) || !canEdit(session.book.role)) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) {
        e.preventDefault();
        session.book.undo.undo();
      } else if ((key === 'z' && e.shiftKey) || key === 'y') {
        e.preventDefault();
        session.book.undo.redo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [session]);

  const editable = canEdit(role);
  return (
    <EditorContext.Provider value={state}>
      <div className={`editor${editable ? '' : ' read-only'}`} data-role={role}>
        <EditorHeader />
        {removed && (
          <div className="banner error" role="alert">
            You are no longer a member of this book. <button onClick={() => navigate('/')}>Back to your books</button>
          </div>
        )}
        {snapshot.denied && (
          <div className="banner warning" role="alert" data-testid="denied">
            <span>The server refused a change: {snapshot.denied}. The book was reloaded from the server.</span>
            <button onClick={() => session.dismissDenied()}>Dismiss</button>
          </div>
        )}
        {unreadable && (
          <div className="banner error" role="alert" data-testid="unreadable">
            <span>This book cannot be shown or edited here: {unreadable}. Reload the page, or update Folio.</span>
          </div>
        )}
        {!editable && !unreadable && (
          <div className="banner info" data-testid="read-only-banner">
            <span>
              You can look at this book as a <strong>{role}</strong>
              {role === 'commenter' ? ' and post on its wall' : ''}, but not change it.
            </span>
          </div>
        )}
        <div className="editor-body">
          {editable && <Sidebar />}
          <section className="workspace" aria-label="Pages">
            {editable && <Inspector />}
            <Canvas ref={canvasRef} />
            <Storyboard />
          </section>
          <SidePanels />
        </div>
        <div className="toasts" aria-live="polite">
          {messages.map((m) => (
            <div key={m.id} className="toast" role="status">
              {m.text}
            </div>
          ))}
        </div>
      </div>
    </EditorContext.Provider>
  );
}
