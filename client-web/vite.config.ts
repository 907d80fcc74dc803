// Vite builds the web client; Vitest runs its tests (src/**/*.test.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
  },
});
