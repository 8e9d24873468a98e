/**
 * The renderer's only way to the core. It picks the host once: Electron's preload (`window.chexdesk`)
 * when present, else the loopback HTTP API of `chexdesk serve`. Everything above this module sees the
 * typed `Api` of main/api.ts and errors carrying ErrorInfo, and never knows which host it runs in.
 */
import type { Api, ApiEvent, ApiMethod, IpcEnvelope, PreloadBridge } from '../main/api';
import { PRELOAD_GLOBAL } from '../main/api';
import type { ErrorInfo } from '../main/error-info';
import { BINARY_MIME, decodeBinary } from '../main/wire';

/** Every failed call rejects with one of these: the core's ErrorInfo, intact. */
export class ApiError extends Error {
  constructor(readonly info: ErrorInfo, readonly method?: string) {
    super(info.reason);
    this.name = info.code;
  }
}

/** Anything thrown, as an ErrorInfo a person can read (never a stack trace). */
export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof ApiError) return err.info;
  if (err && typeof err === 'object' && 'code' in err && 'reason' in err && typeof (err as ErrorInfo).reason === 'string') return err as ErrorInfo;
  const reason = err instanceof Error ? err.message : String(err);
  return { code: 'Internal', reason: reason || 'unexpected failure' };
}

export type ConnectionState = 'connected' | 'connecting' | 'disconnected';

export interface Bridge {
  readonly host: 'electron' | 'browser';
  readonly api: Api;
  /** Core events; returns the unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** The event stream's health (always 'connected' in Electron). */
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** The absolute path of a dropped file or folder; null where a browser cannot know it. */
  pathForFile(file: File): string | null;
}

function typedApi(call: (method: ApiMethod, args: unknown) => Promise<unknown>): Api {
  // One generic function stands behind every method; the Proxy gives it the Api interface's types.
  return new Proxy({} as Api, {
    get: (_target, method) => (typeof method === 'string' ? (args: unknown) => call(method as ApiMethod, args ?? {}) : undefined),
  });
}

function electronBridge(preload: PreloadBridge): Bridge {
  const call = async (method: ApiMethod, args: unknown): Promise<unknown> => {
    let envelope: IpcEnvelope<unknown>;
    try {
      envelope = await preload.invoke(method, args);
    } catch (err) {
      throw new ApiError({ code: 'Internal', reason: `the app's core did not answer (${errorInfo(err).reason})` }, method);
    }
    if (envelope.ok) return envelope.value;
    throw new ApiError(envelope.error, method);
  };
  return {
    host: 'electron',
    api: typedApi(call),
    onEvent: (listener) => preload.onEvent(listener),
    onConnection: (listener) => {
      listener('connected');
      return () => {};
    },
    pathForFile: (file) => {
      try {
        return preload.pathForFile(file) || null;
      } catch {
        return null;
      }
    },
  };
}

const TOKEN_KEY = 'chexdesk.token';

/** The serve token: from `#token=…` on first load (then hidden from the address bar), else this tab's storage. */
export function takeToken(loc: Location = location, storage: Storage = sessionStorage, hist: History = history): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(loc.hash);
  if (m) {
    const token = decodeURIComponent(m[1]!);
    try {
      storage.setItem(TOKEN_KEY, token);
    } catch {
      // Storage can be disabled; the token still works for this page's life.
    }
    hist.replaceState(null, '', loc.pathname + loc.search);
    return token;
  }
  try {
    return storage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function httpBridge(base: string): Bridge {
  const token = takeToken();
  const listeners = new Set<(event: ApiEvent) => void>();
  const connListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  const setState = (s: ConnectionState) => {
    if (s === state) return;
    state = s;
    for (const l of connListeners) l(s);
  };

  const noToken = (method: string) =>
    new ApiError(
      { code: 'AccessDenied', reason: 'this page has no access token: open the address that `chexdesk serve` printed (it ends with #token=…)' },
      method,
    );

  const call = async (method: ApiMethod, args: unknown): Promise<unknown> => {
    if (!token) throw noToken(method);
    let res: Response;
    try {
      res = await fetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(args),
      });
    } catch {
      throw new ApiError({ code: 'Internal', reason: 'the CheXDesk server is not reachable: is `chexdesk serve` still running?' }, method);
    }
    const type = res.headers.get('Content-Type') ?? '';
    if (type.startsWith(BINARY_MIME)) {
      const body = await res.arrayBuffer();
      if (res.ok) return decodeBinary(body);
      throw new ApiError({ code: 'Internal', reason: `unexpected binary failure (HTTP ${res.status})` }, method);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ApiError({ code: res.status === 401 || res.status === 403 ? 'AccessDenied' : 'Internal', reason: `the server answered HTTP ${res.status} without a readable body` }, method);
    }
    if (res.ok) return body;
    const error = (body as { error?: ErrorInfo } | null)?.error;
    if (error && typeof error.reason === 'string') throw new ApiError(error, method);
    throw new ApiError({ code: 'Internal', reason: `the server answered HTTP ${res.status}` }, method);
  };

  let source: EventSource | null = null;
  const connect = () => {
    if (source || !token) return;
    source = new EventSource(`${base}/api/events?token=${encodeURIComponent(token)}`);
    source.onopen = () => setState('connected');
    // EventSource reconnects by itself after a dropped connection; readyState says whether it gave up.
    source.onerror = () => setState(source?.readyState === EventSource.CLOSED ? 'disconnected' : 'connecting');
    source.onmessage = (msg: MessageEvent<string>) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(msg.data) as ApiEvent;
      } catch {
        return; // a comment or keep-alive line
      }
      for (const l of listeners) l(event);
    };
  };

  return {
    host: 'browser',
    api: typedApi(call),
    onEvent: (listener) => {
      listeners.add(listener);
      connect();
      return () => listeners.delete(listener);
    },
    onConnection: (listener) => {
      connListeners.add(listener);
      listener(token ? state : 'disconnected');
      return () => connListeners.delete(listener);
    },
    // A browser never reveals a dropped item's path.
    pathForFile: () => null,
  };
}

let instance: Bridge | null = null;

export function bridge(): Bridge {
  if (!instance) {
    const preload = (window as unknown as Record<string, PreloadBridge | undefined>)[PRELOAD_GLOBAL];
    instance = preload && typeof preload.invoke === 'function' ? electronBridge(preload) : httpBridge(location.origin);
  }
  return instance;
}
