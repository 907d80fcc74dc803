// Print (SPEC §11): preflight findings marked on the pages, rendering with progress, and the
// PDF downloads.

import { useEffect, useState } from 'react';

import { Api, downloadWithAuth, fetchBlob, withToken, type Finding, type Job } from '../../api/client';
import { followJob } from '../../api/events';
import { atLeast } from '../../sync';
import { messageOf } from '../session';
import { useEditor } from './context';
import { JobBar } from './EditorHeader';

export function PrintPanel() {
  const { project, products, product, role, events, findings, setFindings, showPage, notify } = useEditor();
  const group = product?.group;
  const choices = products.filter((p) => p.group === group);
  const [target, setTarget] = useState(product?.id ?? project.product);
  const [checked, setChecked] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [blocked, setBlocked] = useState<string | null>(null);
  const [renderId, setRenderId] = useState<string | null>(null);
  const [previews, setPreviews] = useState<{ page_id?: string; url: string }[]>([]);
  const editor = atLeast(role, 'editor');

  const check = async () => {
    try {
      const r = await Api.preflight(project.id, target);
      setFindings([...r.errors, ...r.warnings]);
      setChecked(true);
    } catch (e) {
      notify(`Preflight failed: ${messageOf(e)}`);
    }
  };
  const render = async (force: boolean) => {
    setBlocked(null);
    setRenderId(null);
    setPreviews([]);
    try {
      const { job: first } = await Api.render(project.id, { product: target, ...(force ? { force: true } : {}) });
      const end = await followJob(events, first, setJob);
      if (end.state === 'done') {
        const id = end.result?.render_id;
        setRenderId(typeof id === 'string' ? id : null);
        const p = end.result?.previews;
        setPreviews(Array.isArray(p) ? (p as { page_id?: string; url: string }[]).filter((x) => typeof x?.url === 'string') : []);
        const f = end.result?.findings;
        if (Array.isArray(f)) setFindings(f as Finding[]);
      } else {
        setBlocked(end.error ?? 'the render failed');
        void check();
      }
    } catch (e) {
      notify(`Rendering could not start: ${messageOf(e)}`);
    }
  };
  const running = job !== null && (job.state === 'queued' || job.state === 'running');
  const errors = findings.filter((f) => f.severity === 'error');
  const warnings = findings.filter((f) => f.severity !== 'error');
  return (
    <div className="print">
      <label>
        Print as
        <select value={target} onChange={(e) => setTarget(e.target.value)}>
          {choices.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <div className="row tight">
        <button onClick={check}>Check for print issues</button>
        <button className="primary" disabled={!editor || running} onClick={() => render(false)} title={editor ? 'Render print-ready PDFs' : 'Rendering needs the editor role'}>
          Render PDF
        </button>
      </div>
      <JobBar job={job} label="render" />
      {blocked && (
        <div className="error" role="alert">
          <p>{blocked}</p>
          {editor && <button onClick={() => render(true)}>Render anyway</button>}
        </div>
      )}
      {renderId && (
        <div className="downloads" data-testid="downloads">
          <PdfLink renderId={renderId} part="interior" label="Download interior PDF" />
          <PdfLink renderId={renderId} part="cover" label="Download cover PDF" />
          {previews.length > 0 && (
            <ul className="previews" aria-label="Printed pages">
              {previews.map((p) => (
                <li key={p.url}>
                  <Preview url={p.url} />
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {checked && findings.length === 0 && <p className="ok">No print issues found.</p>}
      {findings.length > 0 && (
        <section aria-label="Print issues" data-testid="findings">
          <p>
            {errors.length} {errors.length === 1 ? 'error' : 'errors'}, {warnings.length} {warnings.length === 1 ? 'warning' : 'warnings'}. They are marked on the pages.
          </p>
          <ul className="findings">
            {findings.map((f, i) => (
              <li key={i} className={f.severity}>
                {f.page_id ? (
                  <button className="link" onClick={() => showPage(f.page_id!)}>
                    Page {(f.page_index ?? 0) + 1}
                  </button>
                ) : (
                  <span>Book</span>
                )}
                : {f.message}
              </li>
            ))}
          </ul>
          <button className="small" onClick={() => setFindings([])}>
            Clear marks
          </button>
        </section>
      )}
    </div>
  );
}

/**
 * A PDF download. The link carries `?token=` for servers that take it; a click fetches the
 * file with the bearer header instead, which every server takes.
 */
function PdfLink({ renderId, part, label }: { renderId: string; part: 'interior' | 'cover'; label: string }) {
  const { notify } = useEditor();
  const url = `/api/renders/${renderId}/pdf?part=${part}`;
  return (
    <a
      href={withToken(url)}
      data-testid={`pdf-${part}`}
      data-url={url}
      onClick={(e) => {
        e.preventDefault();
        downloadWithAuth(url, `folio-${renderId}-${part}.pdf`).catch((err) => notify(`The ${part} PDF could not be downloaded: ${messageOf(err)}`));
      }}
    >
      {label}
    </a>
  );
}

/** A printed page preview, fetched with the bearer header. */
function Preview({ url }: { url: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let href: string | null = null;
    let live = true;
    fetchBlob(url).then(
      (b) => {
        href = URL.createObjectURL(b);
        if (live) setSrc(href);
      },
      () => undefined,
    );
    return () => {
      live = false;
      if (href) URL.revokeObjectURL(href);
    };
  }, [url]);
  return src ? <img src={src} alt="A printed page" /> : <span className="muted small">…</span>;
}
