import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        // Single-file components of the app (tests/unit/components).
        plugins: [vue()],
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
      {
        extends: true,
        test: {
          name: 'stack',
          include: ['tests/stack/**/*.test.ts', 'bench/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Stack tests share one database; files run in parallel, tests within a file in order.
          maxWorkers: 2,
        },
      },
    ],
  },
  resolve: {
    alias: { '~~': r('./'), '~': r('./app') },
  },
})
