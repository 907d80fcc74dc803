// The storyboard: a strip of page thumbnails in book order; a click shows the page.

import { useEditor } from './context';
import { PageView } from './Canvas';

const THUMB = 72;

export function Storyboard() {
  const { book, car, selected, showPage, findings } = useEditor();
  return (
    <nav className="storyboard" aria-label="Storyboard">
      <ol>
        {book.pages.map((p, i) => {
          const issues = findings.filter((f) => f.page_id === p.id);
          return (
            <li key={p.id} className={selected?.page === p.id ? 'current' : ''}>
              <button className="thumb" onClick={() => showPage(p.id)} aria-label={`Show page ${i + 1}`} aria-current={selected?.page === p.id ? 'page' : undefined} data-testid="thumb">
                <div className="thumb-page" inert>
                  <PageView page={p} index={i} size={{ width: THUMB, height: THUMB / car }} thumb />
                </div>
                <span>
                  {i + 1}
                  {issues.length > 0 && <span className="finding-dot small error">!</span>}
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
