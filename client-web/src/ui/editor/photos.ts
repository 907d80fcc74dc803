// Photo metadata for drawing placed photos: fetched once per id and kept in the editor.

import { useEffect } from 'react';

import { Api, unwrapPhoto, type Photo } from '../../api/client';
import { useEditor } from './context';

const inFlight = new Set<string>();
const failed = new Set<string>();

/** The photo's metadata, fetching it the first time; null while unknown or unavailable. */
export function usePhoto(id: string | undefined): Photo | null {
  const { photos, rememberPhotos } = useEditor();
  const known = id ? photos.get(id) ?? null : null;
  useEffect(() => {
    if (!id || known || inFlight.has(id) || failed.has(id)) return;
    inFlight.add(id);
    Api.photo(id).then(
      (p) => {
        inFlight.delete(id);
        rememberPhotos([unwrapPhoto(p)]);
      },
      () => {
        inFlight.delete(id);
        failed.add(id);
      },
    );
  }, [id, known, rememberPhotos]);
  return known;
}

/** The drag-and-drop type that carries a photo id from the photo panel to the pages. */
export const PHOTO_DRAG_TYPE = 'application/x-folio-photo';
