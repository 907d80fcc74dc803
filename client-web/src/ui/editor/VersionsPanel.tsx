// Version history (SPEC §7): the versions kept, taking one now, and restoring one as a new
// change on top.

import { useEffect, useState } from 'react';

import { Api, type Version } from '../../api/client';
import { atLeast } from '../../sync';
import { messageOf } from '../session';
import { useEditor } from './context';

export function VersionsPanel() {
  const { project, role, notify } = useEditor();
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () => Api.versions(project.id).then((v) => setVersions([...v].sort((a, b) => b.created_at.localeCompare(a.created_at))), (e) => notify(messageOf(e)));
  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project.id]);
  const editor = atLeast(role, 'editor');
  const act = async (f: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await f();
      notify(done);
      await load();
    } catch (e) {
      notify(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="versions">
      <div className="row spread">
        <h3>Versions</h3>
        <button disabled={!editor || busy} onClick={() => act(() => Api.saveVersion(project.id), 'Version saved.')} title={editor ? 'Keep this state as a version' : 'Needs the editor role'}>
          Save version
        </button>
      </div>
      {versions === null && <p className="muted">Loading…</p>}
      {versions?.length === 0 && <p className="muted">No versions yet. One is kept every few minutes of editing, and before automix or a restore.</p>}
      <ol className="version-list" data-testid="versions">
        {versions?.map((v) => (
          <li key={v.id}>
            <span>
              {new Date(v.created_at).toLocaleString()}
              {v.reason && <span className="muted small"> · {v.reason}</span>}
            </span>
            <button
              className="small"
              disabled={!editor || busy}
              title={editor ? 'Bring the book back to this version, as a new change' : 'Restoring needs the editor role'}
              onClick={() => act(() => Api.restore(project.id, v.id), 'Version restored. The change before it is kept as a version too.')}
            >
              Restore
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}
