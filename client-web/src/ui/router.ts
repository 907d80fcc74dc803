// A tiny path router over the History API: the server falls back to index.html for any path.

import { useEffect, useState } from 'react';

export function navigate(path: string): void {
  if (location.pathname + location.search === path) return;
  history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return path;
}

export type Route =
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'projects' }
  | { name: 'new' }
  | { name: 'editor'; id: string }
  | { name: 'invite'; token: string };

export function parseRoute(path: string): Route {
  let m = /^\/projects\/([0-9a-f-]{36})\/?$/.exec(path);
  if (m) return { name: 'editor', id: m[1]! };
  m = /^\/invite\/([^/]+)\/?$/.exec(path);
  if (m) return { name: 'invite', token: decodeURIComponent(m[1]!) };
  if (path === '/signup') return { name: 'signup' };
  if (path === '/login') return { name: 'login' };
  if (path === '/new') return { name: 'new' };
  return { name: 'projects' };
}
