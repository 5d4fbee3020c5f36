// Runs the examples (they are not part of `npm test`): npx vitest run --config examples/vitest.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['examples/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
