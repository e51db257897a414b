/* eslint-disable @typescript-eslint/no-require-imports */
// The privacy tests' control (test/unit/privacy.test.ts): loads the bundled model with onnxruntime-node in
// a worker thread the way the embedding engine did before it switched onnxruntime's telemetry off, prints
// `loaded`, then waits (model loaded, idle) until killed or until the given number of seconds has passed.
// Run under strace with a fresh HOME, it must be seen sending onnxruntime's telemetry DNS query: proof that
// the watcher sees a native look-up made by onnxruntime's own threads.
//
// Usage: node onnxruntime-unswitched.cjs <model.onnx> [seconds=60]
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

if (isMainThread) {
  const [model, seconds = '60'] = process.argv.slice(2);
  if (!model) throw new Error('usage: onnxruntime-unswitched.cjs <model.onnx> [seconds]');
  const worker = new Worker(__filename, { workerData: { model } });
  console.log(`pid ${process.pid}`);
  worker.on('message', (message) => console.log(message));
  worker.on('error', (error) => {
    console.error(error);
    process.exit(1);
  });
  setTimeout(() => process.exit(0), Number(seconds) * 1000);
} else {
  const ort = require('onnxruntime-node');
  ort.InferenceSession.create(workerData.model, { intraOpNumThreads: 1 }).then(
    () => parentPort.postMessage('loaded'),
    (error) => {
      throw error;
    },
  );
}
