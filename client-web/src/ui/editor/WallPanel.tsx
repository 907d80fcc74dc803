// The book wall (SPEC §12): comments arriving live over SSE; a note can point at a page and
// then links to it.

import { useEffect, useState, type FormEvent } from 'react';

import { Api, type Comment } from '../../api/client';
import { atLeast } from '../../sync';
import { messageOf } from '../session';
import { useEditor } from './context';

export function WallPanel() {
  const { project, events, book, selected, showPage, role, notify, me } = useEditor();
  const [comments, setComments] = useState<Comment[]>([]);
  const [body, setBody] = useState('');
  const [onPage, setOnPage] = useState(false);
  useEffect(() => {
    const load = () => Api.wall(project.id).then((list) => setComments(sortByTime(list)), (e) => notify(`The wall could not load: ${messageOf(e)}`));
    void load();
    return events.on((e) => {
      if (e.kind !== 'comment') return;
      const c = e.data.comment as Comment;
      if (e.data.action === 'deleted') setComments((cs) => cs.filter((x) => x.id !== c.id));
      else setComments((cs) => sortByTime([...cs.filter((x) => x.id !== c.id), c]));
    });
  }, [project.id, events, notify]);
  const post = async (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim()) return;
    try {
      const { comment } = await Api.postComment(project.id, body, onPage && selected ? selected.page : undefined);
      setComments((cs) => sortByTime([...cs.filter((x) => x.id !== comment.id), comment]));
      setBody('');
    } catch (err) {
      notify(`The comment was not posted: ${messageOf(err)}`);
    }
  };
  const pageNumber = (id: string) => book.pages.findIndex((p) => p.id === id) + 1;
  return (
    <div className="wall">
      <ol className="comments" aria-label="Comments" data-testid="wall">
        {comments.length === 0 && <li className="muted">No comments yet.</li>}
        {comments.map((c) => (
          <li key={c.id} className="comment" data-testid="comment">
            <div className="comment-head">
              <strong>{c.author.name}</strong> <time className="muted small">{new Date(c.created_at).toLocaleTimeString()}</time>
              {(c.author.id === me.id || atLeast(role, 'manager')) && (
                <button
                  className="small link"
                  aria-label={`Delete the comment by ${c.author.name}`}
                  onClick={() => Api.deleteComment(project.id, c.id).then(() => setComments((cs) => cs.filter((x) => x.id !== c.id)), (e) => notify(messageOf(e)))}
                >
                  Delete
                </button>
              )}
            </div>
            <p>{c.body}</p>
            {c.page_id && (
              <button className="link" onClick={() => showPage(c.page_id!)} data-testid="page-link">
                {pageNumber(c.page_id) > 0 ? `→ Page ${pageNumber(c.page_id)}` : '→ a page no longer in the book'}
              </button>
            )}
          </li>
        ))}
      </ol>
      {atLeast(role, 'commenter') ? (
        <form onSubmit={post} className="comment-form">
          <label className="sr-only" htmlFor="wall-body">
            Write on the wall
          </label>
          <textarea id="wall-body" value={body} onChange={(e) => setBody(e.target.value)} placeholder="Write on the wall…" rows={2} maxLength={4000} />
          <label className="inline small">
            <input type="checkbox" checked={onPage} disabled={!selected} onChange={(e) => setOnPage(e.target.checked)} />
            Note on the selected page
          </label>
          <button type="submit" className="primary" disabled={!body.trim()}>
            Post
          </button>
        </form>
      ) : (
        <p className="muted small">Viewers read the wall; commenters and up can post.</p>
      )}
    </div>
  );
}

function sortByTime(list: Comment[]): Comment[] {
  return [...list].sort((a, b) => a.created_at.localeCompare(b.created_at));
}
