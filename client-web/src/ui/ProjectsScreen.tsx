// The list of one's books, and a new book with its product and theme (SPEC §13).

import { useEffect, useState, type FormEvent } from 'react';

import { Api, type Project, type Theme } from '../api/client';
import type { Product } from '../geometry';
import type { Role } from '../sync';
import { navigate } from './router';
import { messageOf, useAuth } from './session';

export function TopBar({ children }: { children?: React.ReactNode }) {
  const { auth, setAuth } = useAuth();
  const logout = async () => {
    await Api.logout().catch(() => undefined);
    setAuth(null);
    navigate('/login');
  };
  return (
    <header className="topbar">
      <a href="/" className="brand" onClick={(e) => (e.preventDefault(), navigate('/'))}>
        Folio
      </a>
      <div className="topbar-middle">{children}</div>
      {auth && (
        <div className="me">
          <span aria-label="Logged in as">{auth.user.name}</span>
          <button onClick={logout}>Log out</button>
        </div>
      )}
    </header>
  );
}

export function ProjectsScreen() {
  const [projects, setProjects] = useState<{ project: Project; role: Role }[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    Api.projects().then(setProjects, (e) => setError(messageOf(e)));
  }, []);
  return (
    <>
      <TopBar />
      <main className="page-main">
        <div className="row spread">
          <h1>Your books</h1>
          <button className="primary" onClick={() => navigate('/new')}>
            New book
          </button>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {projects === null && !error && <p className="muted">Loading…</p>}
        {projects?.length === 0 && <p className="muted">No books yet. Start one with “New book”.</p>}
        <ul className="project-list">
          {projects?.map(({ project, role }) => (
            <li key={project.id}>
              <a href={`/projects/${project.id}`} onClick={(e) => (e.preventDefault(), navigate(`/projects/${project.id}`))}>
                <strong>{project.title}</strong>
              </a>
              <span className="muted">
                {project.product} · {project.theme} · {role}
              </span>
            </li>
          ))}
        </ul>
      </main>
    </>
  );
}

export function NewProjectScreen() {
  const [products, setProducts] = useState<Product[]>([]);
  const [themes, setThemes] = useState<Theme[]>([]);
  const [title, setTitle] = useState('');
  const [product, setProduct] = useState('square-8x8');
  const [theme, setTheme] = useState('everyday');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    Api.products().then(setProducts, (e) => setError(messageOf(e)));
    Api.themes().then(setThemes, () => setThemes([]));
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const { project } = await Api.createProject(title, product, theme);
      navigate(`/projects/${project.id}`);
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return (
    <>
      <TopBar />
      <main className="page-main">
        <form className="card new-project" onSubmit={submit} aria-label="New book">
          <h1>New book</h1>
          <label>
            Title
            <input name="title" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
          </label>
          <label>
            Product
            <select name="product" value={product} onChange={(e) => setProduct(e.target.value)}>
              {products.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <fieldset className="themes">
            <legend>Theme</legend>
            {(themes.length ? themes : [{ id: 'everyday', name: 'Everyday', colors: { background: '#ffffff', text: '#222', accent: '#888' } } as Theme]).map((t) => (
              <label key={t.id} className={`theme-choice${theme === t.id ? ' chosen' : ''}`}>
                <input type="radio" name="theme" value={t.id} checked={theme === t.id} onChange={() => setTheme(t.id)} />
                <span className="swatch" style={{ background: t.colors.background, borderColor: t.colors.accent }} aria-hidden />
                {t.name}
              </label>
            ))}
          </fieldset>
          {error && <p className="error" role="alert">{error}</p>}
          <div className="row">
            <button type="button" onClick={() => navigate('/')}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy}>
              Create book
            </button>
          </div>
        </form>
      </main>
    </>
  );
}
