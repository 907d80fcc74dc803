// The photo panel (SPEC §13): upload by drag-and-drop or the file picker with a progress bar
// per file and overall, errors by file name, and one's photos to drag into the book.

import { useEffect, useRef, useState, type DragEvent } from 'react';

import { Api, unwrapPhoto, withToken, type Photo } from '../../api/client';
import { overallProgress, uploadFiles, type UploadItem } from '../../api/upload';
import { photoBoxAt } from '../../geometry';
import { messageOf } from '../session';
import { findItem, newId, useEditor } from './context';
import { PHOTO_DRAG_TYPE } from './photos';

export function PhotoPanel() {
  const { rememberPhotos, notify } = useEditor();
  const [photos, setPhotos] = useState<Photo[]>([]);
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    Api.photos().then(
      (list) => {
        const ps = list.map(unwrapPhoto);
        setPhotos(ps);
        rememberPhotos(ps);
      },
      (e) => notify(`Your photos could not be listed: ${messageOf(e)}`),
    );
  }, [rememberPhotos, notify]);

  const upload = async (files: File[]) => {
    if (files.length === 0) return;
    const done = await uploadFiles(files, setUploads);
    rememberPhotos(done);
    setPhotos((ps) => [...ps, ...done.filter((d) => !ps.some((p) => p.id === d.id))]);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void upload([...e.dataTransfer.files]);
  };
  const overall = overallProgress(uploads);
  const busy = uploads.some((u) => u.state === 'waiting' || u.state === 'uploading');

  return (
    <div className="photo-panel">
      <div
        className={`dropzone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          if (e.dataTransfer.types.includes('Files')) {
            e.preventDefault();
            setOver(true);
          }
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>Drop photos here</p>
        <button onClick={() => input.current?.click()}>Choose photos…</button>
        <input
          ref={input}
          type="file"
          accept="image/jpeg,image/png,image/webp,image/heic"
          multiple
          hidden
          aria-label="Upload photos"
          data-testid="photo-input"
          onChange={(e) => {
            void upload([...(e.target.files ?? [])]);
            e.target.value = '';
          }}
        />
      </div>
      {uploads.length > 0 && (
        <section className="uploads" aria-label="Uploads" data-testid="uploads" data-busy={busy}>
          <label className="overall">
            Overall {Math.round(overall * 100)}%
            <progress max={1} value={overall} aria-label="Overall upload progress" data-testid="overall-progress" />
          </label>
          <ul>
            {uploads.map((u) => (
              <li key={u.key} className={`upload ${u.state}`} data-testid="upload" data-state={u.state}>
                <span className="name">{u.name}</span>
                <progress max={Math.max(1, u.size)} value={u.state === 'done' ? u.size : u.loaded} aria-label={`Progress of ${u.name}`} />
                {u.error && (
                  <span className="error" role="alert">
                    {u.error.startsWith(u.name) ? u.error : `${u.name}: ${u.error}`}
                  </span>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <p className="muted small">Drag a photo onto a page or into a slot, or select a slot and press Place.</p>
      <ul className="photo-grid" aria-label="Your photos" data-testid="photo-grid">
        {photos.map((p) => (
          <PhotoThumb key={p.id} photo={p} />
        ))}
      </ul>
    </div>
  );
}

function PhotoThumb({ photo }: { photo: Photo }) {
  const { book, selected, session, select, car, notify } = useEditor();
  const small = photo.sizes[0]?.url ?? `/api/photos/${photo.id}/file`;
  const place = () => {
    try {
      const target = selected?.item ? findItem(book, selected.page, selected.item) : null;
      if (target && target.item.kind === 'photo') {
        session.book.setPhoto(target.page.id, target.item.id, { id: photo.id, pan: [0, 0], zoom: 1 });
        return;
      }
      const page = book.pages.find((p) => p.id === selected?.page) ?? book.pages[0];
      if (!page) {
        notify('Add a page first, then place the photo on it.');
        return;
      }
      const z = Math.max(0, ...page.items.map((i) => i.z)) + 1;
      const id = session.book.addItem(page.id, { id: newId(), kind: 'photo', box: photoBoxAt([photo.width, photo.height], car, 0, 0, 0.5), z, photo: { id: photo.id, pan: [0, 0], zoom: 1 }, style: {}, slot: null });
      select({ page: page.id, item: id });
    } catch (e) {
      notify(messageOf(e));
    }
  };
  return (
    <li className="photo-thumb" data-testid="photo" data-photo-id={photo.id}>
      <img
        src={small.startsWith('/api/') ? withToken(small) : small}
        alt={photo.name}
        draggable
        onDragStart={(e) => {
          e.dataTransfer.setData(PHOTO_DRAG_TYPE, photo.id);
          e.dataTransfer.effectAllowed = 'copy';
        }}
      />
      <button className="small" onClick={place} aria-label={`Place ${photo.name}`}>
        Place
      </button>
    </li>
  );
}
