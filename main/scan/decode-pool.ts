/**
 * A pool of decode worker threads. A worker that dies (a codec abort, out of memory) or hangs fails
 * only the file it was on: it is replaced and the rest of the work goes on.
 */
import { Worker } from 'node:worker_threads';
import { CheXDeskError, type ErrorInfo } from '../errors';
import type { Frame, ImageInfo } from '../image/types';
import type { ModelManifest } from '../model/manifest';
import type { Mode } from '../api';
import type { FromWorker, PreparedFrame, ToWorker } from './worker-protocol';

/** A frame that takes longer than this to decode is given up (and its worker replaced). */
const STALL_MS = 120_000;

/**
 * Bundled (dist/): decode-worker.js beside the bundle. From source (tests under tsx): Node 20 does not
 * pass --import to workers, so a one-line bootstrap registers tsx in the worker, then loads the .ts.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./decode-worker.js', import.meta.url));
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./decode-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
}

interface PrepareTask {
  kind: 'prepare';
  id: number;
  path: string;
  onItem: (item: PreparedFrame) => Promise<void>;
  onFrameError: (frame: number, frames: number, info: ImageInfo | null, error: ErrorInfo) => void;
  resolve: () => void;
  /** Items handed to onItem whose promise has not settled. */
  pending: Promise<void>;
}

interface DecodeTask {
  kind: 'decode';
  id: number;
  path: string;
  resolve: (r: { info: ImageInfo; frame: Frame; decodeMs: number }) => void;
  reject: (e: CheXDeskError) => void;
}

interface ThumbnailTask {
  kind: 'thumbnail';
  id: number;
  path: string;
  resolve: (r: { png: Uint8Array; width: number; height: number }) => void;
  reject: (e: CheXDeskError) => void;
}

type Task = PrepareTask | DecodeTask | ThumbnailTask;

interface Slot {
  worker: Worker;
  tasks: Map<number, Task>;
  lastHeard: number;
  /** Frames of prepare tasks not yet given credit: the worker is paused, not stalled. */
  waiting: number;
}

export class DecodePool {
  private slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  private readonly watchdog: NodeJS.Timeout;

  constructor(readonly size: number) {
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.spawn());
    this.watchdog = setInterval(() => this.checkStalls(), 5_000);
    this.watchdog.unref();
  }

  /** Decodes and preprocesses every frame of a file (except skipFrames); resolves when all are handed over. */
  prepare(
    path: string,
    mode: Mode,
    manifest: ModelManifest,
    skipFrames: number[],
    onItem: PrepareTask['onItem'],
    onFrameError: PrepareTask['onFrameError'],
  ): Promise<void> {
    return new Promise((resolve) => {
      const task: PrepareTask = { kind: 'prepare', id: this.nextId++, path, onItem, onFrameError, resolve, pending: Promise.resolve() };
      this.dispatch(task, { type: 'prepare', taskId: task.id, path, mode, manifest, skipFrames });
    });
  }

  /** Decodes one frame for display. */
  decode(path: string, frame: number): Promise<{ info: ImageInfo; frame: Frame; decodeMs: number }> {
    return new Promise((resolve, reject) => {
      const task: DecodeTask = { kind: 'decode', id: this.nextId++, path, resolve, reject };
      this.dispatch(task, { type: 'decode', taskId: task.id, path, frame });
    });
  }

  /** The study browser's thumbnail: decoded, rendered and scaled in the worker; only the PNG comes back. */
  thumbnail(path: string, size: number): Promise<{ png: Uint8Array; width: number; height: number }> {
    return new Promise((resolve, reject) => {
      const task: ThumbnailTask = { kind: 'thumbnail', id: this.nextId++, path, resolve, reject };
      this.dispatch(task, { type: 'thumbnail', taskId: task.id, path, size });
    });
  }

  cancel(path: string): void {
    for (const slot of this.slots) {
      for (const task of slot.tasks.values()) {
        if (task.kind === 'prepare' && task.path === path) slot.worker.postMessage({ type: 'cancel', taskId: task.id } satisfies ToWorker);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }

  private dispatch(task: Task, msg: ToWorker): void {
    if (this.closed) throw new CheXDeskError('Cancelled', 'the decoder pool is closed', task.path);
    const slot = this.slots.reduce((a, b) => (b.tasks.size < a.tasks.size ? b : a));
    slot.tasks.set(task.id, task);
    slot.lastHeard = Date.now();
    slot.worker.postMessage(msg);
  }

  private spawn(): Slot {
    const worker = startWorker();
    const slot: Slot = { worker, tasks: new Map(), lastHeard: Date.now(), waiting: 0 };
    worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
    worker.on('error', (err) => this.replace(slot, `the decoder stopped while reading this file (${err.message})`));
    worker.on('exit', (code) => {
      if (!this.closed && this.slots.includes(slot)) this.replace(slot, `the decoder stopped while reading this file (exit code ${code})`);
    });
    return slot;
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    slot.lastHeard = Date.now();
    const task = slot.tasks.get(msg.taskId);
    if (!task) return;
    if (task.kind !== 'prepare') {
      slot.tasks.delete(task.id);
      if (msg.type === 'failed') task.reject(new CheXDeskError(msg.error.code, msg.error.reason, msg.error.file ?? task.path, msg.error.detail));
      else if (task.kind === 'decode' && msg.type === 'decoded') task.resolve({ info: msg.info, frame: msg.frame, decodeMs: msg.decodeMs });
      else if (task.kind === 'thumbnail' && msg.type === 'thumbnail') task.resolve({ png: msg.png, width: msg.width, height: msg.height });
      return;
    }
    switch (msg.type) {
      case 'prepared': {
        slot.waiting++;
        const handed = task.onItem(msg.item).finally(() => {
          slot.waiting--;
          slot.lastHeard = Date.now();
          slot.worker.postMessage({ type: 'credit', taskId: task.id } satisfies ToWorker);
        });
        task.pending = Promise.all([task.pending, handed.catch(() => undefined)]).then(() => undefined);
        break;
      }
      case 'frame-failed':
        task.onFrameError(msg.frame, msg.frames, msg.info, msg.error);
        break;
      case 'end':
        slot.tasks.delete(task.id);
        void task.pending.then(task.resolve);
        break;
    }
  }

  private replace(slot: Slot, reason: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    for (const task of slot.tasks.values()) {
      const error = new CheXDeskError('CorruptData', reason, task.path);
      if (task.kind !== 'prepare') task.reject(error);
      else {
        task.onFrameError(0, 1, null, error.toInfo());
        void task.pending.then(task.resolve);
      }
    }
    slot.tasks.clear();
    if (!this.closed) this.slots.push(this.spawn());
  }

  private checkStalls(): void {
    const now = Date.now();
    for (const slot of [...this.slots]) {
      if (slot.tasks.size > 0 && slot.waiting === 0 && now - slot.lastHeard > STALL_MS) {
        this.replace(slot, `decoding took longer than ${STALL_MS / 1000} s; given up`);
      }
    }
  }
}
