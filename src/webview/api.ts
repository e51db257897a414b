/** The typed bridge to the host: `acquireVsCodeApi` may be called once per webview. */
import type { HostMessage, PersistedState, WebviewMessage } from '../shared/protocol';
import { parsePersistedState } from '../shared/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface HostBridge {
  post(message: WebviewMessage): void;
  onMessage(handler: (message: HostMessage) => void): void;
  loadState(): PersistedState | undefined;
  saveState(state: PersistedState): void;
}

export function connect(): HostBridge {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    onMessage(handler) {
      window.addEventListener('message', (event: MessageEvent<unknown>) => {
        const data = event.data as HostMessage | undefined;
        if (data && typeof data === 'object' && typeof data.type === 'string') handler(data);
      });
    },
    loadState: () => parsePersistedState(api.getState()),
    saveState: (state) => api.setState(state),
  };
}
