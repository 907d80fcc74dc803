// Photo uploads with progress (SPEC §13): one multipart request per file, so each file has
// its own progress bar and its own error, and an overall bar over all bytes.

import { errorFrom, token, type Photo } from './client';

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  loaded: number;
  state: 'waiting' | 'uploading' | 'done' | 'failed';
  error: string | null;
  photo: Photo | null;
}

/** The overall fraction of bytes sent over a set of uploads (0 to 1). */
export function overallProgress(items: readonly UploadItem[]): number {
  const total = items.reduce((s, i) => s + Math.max(1, i.size), 0);
  if (total === 0) return 0;
  const done = items.reduce((s, i) => s + (i.state === 'done' || i.state === 'failed' ? Math.max(1, i.size) : Math.min(i.loaded, i.size)), 0);
  return done / total;
}

function sendOne(file: File, onProgress: (loaded: number) => void): Promise<{ photos: Photo[]; errors: { file: string; error: string }[] }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/photos');
    xhr.setRequestHeader('Authorization', `Bearer ${token()}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onerror = () => reject(new Error('the upload could not reach the server'));
    xhr.onload = async () => {
      const res = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText });
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(await errorFrom(res));
        return;
      }
      try {
        const body = (await res.json()) as { photos?: (Photo | { photo: Photo })[]; errors?: { file: string; error: unknown }[] };
        resolve({
          photos: (body.photos ?? []).map((p) => ('photo' in p ? p.photo : p)),
          errors: (body.errors ?? []).map((e) => ({ file: e.file, error: describe(e.error) })),
        });
      } catch {
        reject(new Error('the server answered with something that is not JSON'));
      }
    };
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

function describe(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return JSON.stringify(error);
}

/**
 * Uploads `files`, two at a time, calling `onChange` with the list as it progresses.
 * Resolves with the photos uploaded, in the files' order.
 */
export async function uploadFiles(files: readonly File[], onChange: (items: UploadItem[]) => void): Promise<Photo[]> {
  let items: UploadItem[] = files.map((f, i) => ({ key: `${Date.now()}-${i}-${f.name}`, name: f.name, size: f.size, loaded: 0, state: 'waiting', error: null, photo: null }));
  const set = (i: number, patch: Partial<UploadItem>) => {
    items = items.map((it, j) => (j === i ? { ...it, ...patch } : it));
    onChange(items);
  };
  onChange(items);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      set(i, { state: 'uploading' });
      try {
        const { photos, errors } = await sendOne(files[i]!, (loaded) => set(i, { loaded }));
        if (photos[0]) set(i, { state: 'done', loaded: files[i]!.size, photo: photos[0] });
        else set(i, { state: 'failed', error: errors[0]?.error ?? 'the server kept no photo from this file' });
      } catch (e) {
        set(i, { state: 'failed', error: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return items.flatMap((i) => (i.photo ? [i.photo] : []));
}
