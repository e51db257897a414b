/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS bootstrap for worker_threads */
// Runs the embedding worker from its TypeScript source (tsx's require hook), so unit tests need no build.
require('tsx/cjs');
require('../../../src/core/embedding/worker.ts');
