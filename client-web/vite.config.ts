// Vite builds the web client; Vitest runs its unit tests (src/**/*.test.ts).
// Built files go under dist/static/ so that they never collide with the server's own
// /assets/ routes (theme backgrounds).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  build: {
    assetsDir: 'static',
  },
  test: {
    include: ['src/**/*.test.ts'],
  },
});
