/**
 * onnxruntime's own telemetry, kept off. onnxruntime-node 1.30 (Linux, macOS) starts Microsoft's 1DS
 * telemetry when a process creates its first inference session: a device id and an event queue under
 * `~/.cache/Microsoft/DeveloperTools/.onnxruntime/`, `/tmp/mat-debug-<pid>.log`, and from its own native
 * threads DNS look-ups of mobile.events.data.microsoft.com about 9.5 s later (measured with strace, see
 * docs/embedding.md). The one switch is the environment variable `ORT_DISABLE_TELEMETRY`, read with getenv()
 * when that first session starts the telemetry: the JavaScript API has no switch, and the C API's
 * DisableTelemetryEvents() leaves the uploader running.
 *
 * getenv() sees only the process environment, which only the main thread changes: a worker thread's
 * `process.env` is a private copy. So the thread that starts the worker sets the variable, and keeps it set
 * only while the first session loads: measured, telemetry stays off for the rest of the process after the
 * variable is restored (later sessions and later worker threads included), and other extensions sharing the
 * extension host keep their environment.
 */
import { isMainThread } from 'node:worker_threads';

export const TELEMETRY_SWITCH = 'ORT_DISABLE_TELEMETRY';

let holders = 0;
let saved: string | undefined;

/**
 * Runs `load` (which creates onnxruntime sessions, here or in a worker thread it starts) with onnxruntime's
 * telemetry switched off, then restores the variable as it was. Overlapping calls share one setting. On a
 * worker thread the environment cannot be changed: the switch must have been set by the main thread (see
 * `telemetrySwitchInherited`).
 */
export async function withOnnxruntimeTelemetryOff<T>(load: () => Promise<T>): Promise<T> {
  if (!isMainThread) return load();
  if (holders++ === 0) {
    saved = process.env[TELEMETRY_SWITCH];
    process.env[TELEMETRY_SWITCH] = '1';
  }
  try {
    return await load();
  } finally {
    if (--holders === 0) {
      if (saved === undefined) delete process.env[TELEMETRY_SWITCH];
      else process.env[TELEMETRY_SWITCH] = saved;
    }
  }
}

/**
 * Switches onnxruntime's telemetry off for the rest of this process: for scripts and tests that own their
 * process and create sessions directly on the main thread.
 */
export function disableOnnxruntimeTelemetry(): void {
  if (!isMainThread) throw new Error('onnxruntime telemetry can only be switched off on the main thread');
  process.env[TELEMETRY_SWITCH] = '1';
}

/**
 * In a worker thread: whether the main thread had the switch set when it started this worker (the worker's
 * `process.env` is a copy taken then). A guard, not a proof: only the process environment reaches onnxruntime.
 */
export function telemetrySwitchInherited(): boolean {
  return process.env[TELEMETRY_SWITCH] === '1';
}
