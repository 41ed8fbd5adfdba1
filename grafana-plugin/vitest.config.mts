import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./vitest.setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    // @grafana/* ship ESM that imports CommonJS (moment-timezone) by named
    // export, which Node refuses; let Vite transform them.
    server: { deps: { inline: [/@grafana\//] } },
    // The editors share no module state between files; evaluating @grafana/ui
    // once per worker instead of once per file saves most of the run time.
    isolate: false,
    testTimeout: 60000,
  },
});
