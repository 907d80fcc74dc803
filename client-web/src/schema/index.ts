// The book document model (SPEC §6) on yjs: names, types, typed read and typed edit.
// The TypeScript mirror of crdt-schema's `model`; both are held to crdt-schema/fixtures.

export * from './names';
export * from './types';
export { ModelError, type ModelErrorDetail } from './errors';
export { readBook } from './read';
export {
  addItem,
  addPage,
  createBook,
  editCaption,
  moveItem,
  movePage,
  removeItem,
  removePage,
  resizeItem,
  restyleItem,
  rotateItem,
  setCaption,
  setPageAuto,
  setPageBackground,
  setPageLayout,
  setPhoto,
  setZ,
} from './edit';
