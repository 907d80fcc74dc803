// The editor's header: the book, the connection status, who is here, undo and redo, and
// automix with its progress.

import { useEffect, useState } from 'react';

import { Api, unwrapPhoto, type Job } from '../../api/client';
import { followJob } from '../../api/events';
import { atLeast } from '../../sync';
import { navigate } from '../router';
import { messageOf } from '../session';
import { canEdit, useEditor, usePeers, useSessionSnapshot } from './context';

const STATUS_TEXT = { connecting: 'Connecting…', synced: 'Synced', offline: 'Offline: edits are kept and merged on reconnect', closed: 'Disconnected' } as const;

export function EditorHeader() {
  const { session, book, project, role, me } = useEditor();
  const snapshot = useSessionSnapshot(session);
  const peers = usePeers(session);
  const status = snapshot.connection.status;
  return (
    <header className="topbar editor-top">
      <a href="/" className="brand" onClick={(e) => (e.preventDefault(), navigate('/'))} aria-label="Back to your books">
        Folio
      </a>
      <h1 className="book-title">{book.meta.title || project.title}</h1>
      <span className={`role-badge${project.owner_id === me.id ? ' owner' : ''}`} data-testid="role" data-role={role} title={`Your role in this book: ${role}`}>
        {project.owner_id === me.id ? 'owner' : role}
      </span>
      <span className={`status status-${status}`} data-testid="connection-status" data-status={status} title={snapshot.connection.closedBecause ?? STATUS_TEXT[status]} role="status">
        <span className="dot" aria-hidden />
        {status === 'closed' ? `Disconnected: ${snapshot.connection.closedBecause ?? ''}` : status}
      </span>
      <ul className="presence" aria-label="People here" data-testid="presence">
        <li className="avatar me" style={{ background: '#475569' }} title={`${me.name} (you)`}>
          {initials(me.name)}
        </li>
        {peers.map((p) => (
          <li key={p.clientId} className="avatar" style={{ background: p.user.color }} title={p.user.name} data-testid="peer">
            {initials(p.user.name)}
            <span className="sr-only">{p.user.name}</span>
          </li>
        ))}
      </ul>
      <div className="spacer" />
      {canEdit(role) && <UndoRedo />}
      {atLeast(role, 'editor') ? (
        <AutomixButton />
      ) : (
        <button disabled title="Automix needs the editor role">
          Automix
        </button>
      )}
    </header>
  );
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
}

function UndoRedo() {
  const { session } = useEditor();
  const [, force] = useState(0);
  useEffect(() => {
    const undo = session.book.undo;
    const on = () => force((n) => n + 1);
    undo.on('stack-item-added', on);
    undo.on('stack-item-popped', on);
    undo.on('stack-cleared', on);
    return () => {
      undo.off('stack-item-added', on);
      undo.off('stack-item-popped', on);
      undo.off('stack-cleared', on);
    };
  }, [session, session.book]);
  const undo = session.book.undo;
  return (
    <div className="row tight">
      <button onClick={() => undo.undo()} disabled={undo.undoStack.length === 0} aria-label="Undo" title="Undo your last change (Ctrl+Z)">
        ↶ Undo
      </button>
      <button onClick={() => undo.redo()} disabled={undo.redoStack.length === 0} aria-label="Redo" title="Redo (Ctrl+Shift+Z)">
        ↷ Redo
      </button>
    </div>
  );
}

export function JobBar({ job, label }: { job: Job | null; label: string }) {
  if (!job) return null;
  const pct = Math.round((job.progress ?? 0) * 100);
  return (
    <div className="job" data-testid={`job-${label}`} data-state={job.state}>
      <progress max={100} value={job.state === 'done' ? 100 : pct} aria-label={`${label} progress`} />
      <span className="muted">{job.state === 'failed' ? `failed: ${job.error ?? ''}` : job.state === 'done' ? 'done' : `${pct}%`}</span>
    </div>
  );
}

function AutomixButton() {
  const { project, events, notify } = useEditor();
  const [job, setJob] = useState<Job | null>(null);
  const running = job !== null && (job.state === 'queued' || job.state === 'running');
  const run = async () => {
    try {
      const photos = (await Api.photos()).map(unwrapPhoto);
      if (photos.length === 0) {
        notify('Upload some photos first: automix designs the book from your photos.');
        return;
      }
      const { job: first } = await Api.automix(project.id, { photo_ids: photos.map((p) => p.id) });
      const end = await followJob(events, first, setJob);
      notify(end.state === 'done' ? 'Automix finished: the pages are in the book.' : `Automix failed: ${end.error ?? 'unknown error'}`);
    } catch (e) {
      notify(`Automix could not start: ${messageOf(e)}`);
    }
  };
  return (
    <div className="row tight">
      <button className="primary" onClick={run} disabled={running} title="Design the book from your photos">
        Automix
      </button>
      <JobBar job={job} label="automix" />
    </div>
  );
}
