// The HTTP API of SPEC §4 as typed calls, with the bearer token of the logged-in user.

import type { Product } from '../geometry';
import type { Role } from '../sync';

export interface User {
  id: string;
  email?: string;
  name: string;
}

export interface Project {
  id: string;
  title: string;
  owner_id: string;
  product: string;
  theme: string;
  created_at: string;
  updated_at: string;
}

export interface PhotoSize {
  w: number;
  h: number;
  url: string;
}

export interface Photo {
  id: string;
  name: string;
  width: number;
  height: number;
  shape: string;
  sizes: PhotoSize[];
}

export interface Job {
  id: string;
  kind: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  result: Record<string, unknown> | null;
  error: string | null;
}

export interface Comment {
  id: string;
  author: { id: string; name: string };
  parent_id: string | null;
  page_id: string | null;
  item_id: string | null;
  body: string;
  created_at: string;
}

export interface Member {
  user: User;
  role: Role;
}

export interface Version {
  id: string;
  created_at: string;
  bytes: number;
  reason?: string;
}

export interface Finding {
  page_id: string | null;
  page_index: number | null;
  item_id: string | null;
  rule: string;
  severity: string;
  message: string;
}

export interface Layout {
  id: string;
  group: string;
  slots: { box: [number, number, number, number, number]; shape: string; caption: boolean; caption_box?: [number, number, number, number, number] }[];
}

export interface Theme {
  id: string;
  name: string;
  colors: { background: string; text: string; accent: string };
  fonts: { heading: string; body: string };
  backgrounds: { color?: string; asset?: string; flip: boolean }[];
  mirror_facing?: boolean;
}

/** An error answer of the API: its code and the message meant for people. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const TOKEN_KEY = 'folio.token';
/** Fired on window when the server no longer takes the stored token. */
export const UNAUTHORIZED_EVENT = 'folio-unauthorized';
const USER_KEY = 'folio.user';

export interface Auth {
  token: string;
  user: User;
}

export function loadAuth(): Auth | null {
  const token = localStorage.getItem(TOKEN_KEY);
  const user = localStorage.getItem(USER_KEY);
  if (!token || !user) return null;
  try {
    return { token, user: JSON.parse(user) as User };
  } catch {
    return null;
  }
}

export function saveAuth(auth: Auth | null): void {
  if (auth) {
    localStorage.setItem(TOKEN_KEY, auth.token);
    localStorage.setItem(USER_KEY, JSON.stringify(auth.user));
  } else {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  }
}

export function token(): string {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

/** An API error body → ApiError, with a fallback message for anything else. */
export async function errorFrom(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new ApiError(res.status, body.error.code ?? 'error', body.error.message);
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, 'http_error', `the server answered ${res.status} ${res.statusText}`);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  // An expired or revoked token: the app goes back to the log-in screen.
  if (res.status === 401 && t) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A URL that works without the Authorization header (img src, downloads, SSE). */
export function withToken(url: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token())}`;
}

export const Api = {
  signup: (email: string, name: string, password: string) => api<Auth>('POST', '/auth/signup', { email, name, password }),
  login: (email: string, password: string) => api<Auth>('POST', '/auth/login', { email, password }),
  logout: () => api<void>('POST', '/auth/logout'),
  products: () => api<Product[]>('GET', '/products'),
  themes: () => api<Theme[]>('GET', '/themes'),
  layouts: (group: string) => api<Layout[]>('GET', `/layouts?group=${encodeURIComponent(group.toLowerCase())}`),
  projects: () => api<{ project: Project; role: Role }[]>('GET', '/projects'),
  project: (id: string) => api<{ project: Project; role: Role }>('GET', `/projects/${id}`),
  createProject: (title: string, product: string, theme: string) => api<{ project: Project }>('POST', '/projects', { title, product, theme }),
  members: (id: string) => api<Member[]>('GET', `/projects/${id}/members`),
  setRole: (id: string, userId: string, role: Role) => api<Member>('PUT', `/projects/${id}/members/${userId}`, { role }),
  removeMember: (id: string, userId: string) => api<void>('DELETE', `/projects/${id}/members/${userId}`),
  createInvite: (id: string, role: Role) => api<{ url: string; token: string }>('POST', `/projects/${id}/invites`, { role }),
  inspectInvite: (t: string) => api<{ project_title: string; role: Role; inviter: unknown }>('GET', `/invites/${t}`),
  acceptInvite: (t: string) => api<{ project: Project; role: Role }>('POST', `/invites/${t}/accept`),
  wall: (id: string) => api<Comment[]>('GET', `/projects/${id}/wall?limit=200`),
  postComment: (id: string, body: string, pageId?: string) =>
    api<{ comment: Comment }>('POST', `/projects/${id}/wall`, pageId ? { body, page_id: pageId } : { body }),
  deleteComment: (id: string, commentId: string) => api<void>('DELETE', `/projects/${id}/wall/${commentId}`),
  photos: () => api<Photo[] | { photo: Photo }[]>('GET', '/photos'),
  photo: (id: string) => api<Photo | { photo: Photo }>('GET', `/photos/${id}`),
  automix: (id: string, body: { photo_ids?: string[]; page_id?: string }) => api<{ job: Job }>('POST', `/projects/${id}/automix`, body),
  render: (id: string, body: { product?: string; force?: boolean }) => api<{ job: Job }>('POST', `/projects/${id}/renders`, body),
  job: (id: string) => api<{ job: Job }>('GET', `/jobs/${id}`),
  preflight: (id: string, product: string) =>
    api<{ errors: Finding[]; warnings: Finding[] }>('GET', `/projects/${id}/preflight?product=${encodeURIComponent(product)}`),
  versions: (id: string) => api<Version[]>('GET', `/projects/${id}/versions`),
  saveVersion: (id: string) => api<{ version: Version }>('POST', `/projects/${id}/versions`),
  restore: (id: string, versionId: string) => api<{ version: Version }>('POST', `/projects/${id}/versions/${versionId}/restore`),
};

/** `{photo}` wrappers or bare photos, as the photo endpoints answer. */
export function unwrapPhoto(p: Photo | { photo: Photo }): Photo {
  return 'photo' in p ? p.photo : p;
}

/** Fetches a protected file with the bearer header (for endpoints without `?token=`). */
export async function fetchBlob(url: string): Promise<Blob> {
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token()}` } });
  if (!res.ok) throw await errorFrom(res);
  return res.blob();
}

/** Downloads a protected file as `filename`: fetched with the bearer header, then saved. */
export async function downloadWithAuth(url: string, filename: string): Promise<void> {
  const blob = await fetchBlob(url);
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}
