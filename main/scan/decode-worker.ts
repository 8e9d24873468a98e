/**
 * A decode worker thread: opens images, decodes frames and preprocesses them into model tensors, off
 * the thread that runs the model and answers the UI. See worker-protocol.ts for the messages.
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { openImage } from '../image/open-image';
import { toCheXDeskError } from '../errors';
import { prepareFrame } from './prepare-frame';
import { render8 } from '../image/render8';
import type { FromWorker, ToWorker } from './worker-protocol';

if (!parentPort) throw new Error('decode-worker must run in a worker thread');
const port = parentPort;
// libvips would otherwise start its own thread pool in every worker on a 2-core machine.
sharp.concurrency(1);

const credits = new Map<number, () => void>();
const cancelled = new Set<number>();

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function waitForCredit(taskId: number): Promise<void> {
  return new Promise((resolve) => credits.set(taskId, resolve));
}

async function prepare(msg: Extract<ToWorker, { type: 'prepare' }>): Promise<void> {
  const { taskId, path, mode, manifest } = msg;
  const skip = new Set(msg.skipFrames);
  let image;
  const t0 = performance.now();
  try {
    image = await openImage(path);
  } catch (err) {
    post({ type: 'frame-failed', taskId, frame: 0, frames: 1, info: null, error: toCheXDeskError(err, path).toInfo() });
    post({ type: 'end', taskId });
    return;
  }
  const openMs = performance.now() - t0;
  const frames = image.info.frames;
  for (let i = 0; i < frames; i++) {
    if (cancelled.has(taskId)) break;
    if (skip.has(i)) continue;
    try {
      const item = await prepareFrame(image, i, manifest, mode);
      // The file's parse time belongs to its first decoded frame.
      if (i === 0) item.decodeMs += openMs;
      post({ type: 'prepared', taskId, item }, [item.prepared.tensor.buffer as ArrayBuffer]);
      await waitForCredit(taskId);
    } catch (err) {
      post({ type: 'frame-failed', taskId, frame: i, frames, info: image.info, error: toCheXDeskError(err, path).toInfo() });
    }
  }
  cancelled.delete(taskId);
  credits.delete(taskId);
  post({ type: 'end', taskId });
}

async function decode(msg: Extract<ToWorker, { type: 'decode' }>): Promise<void> {
  const { taskId, path } = msg;
  try {
    const t0 = performance.now();
    const image = await openImage(path);
    const frame = await image.frame(msg.frame);
    const decodeMs = performance.now() - t0;
    // Transfer the pixels only when they own their buffer; a view into the file's bytes is copied.
    const pixels = frame.kind === 'gray' ? frame.stored : frame.rgb;
    const owns = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength && pixels.buffer instanceof ArrayBuffer;
    post({ type: 'decoded', taskId, info: image.info, frame, decodeMs }, owns ? [pixels.buffer as ArrayBuffer] : []);
  } catch (err) {
    post({ type: 'failed', taskId, error: toCheXDeskError(err, path).toInfo() });
  }
}

/** The first frame's default rendering, scaled to fit `size`, as a PNG: the study browser's thumbnail. */
async function thumbnail(msg: Extract<ToWorker, { type: 'thumbnail' }>): Promise<void> {
  const { taskId, path, size } = msg;
  try {
    const image8 = render8(await (await openImage(path)).frame(0));
    const { data, info } = await sharp(image8.data, { raw: { width: image8.width, height: image8.height, channels: image8.channels } })
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .png({ compressionLevel: 6 })
      .toBuffer({ resolveWithObject: true });
    const png = new Uint8Array(data.byteLength);
    png.set(data);
    post({ type: 'thumbnail', taskId, png, width: info.width, height: info.height }, [png.buffer]);
  } catch (err) {
    post({ type: 'failed', taskId, error: toCheXDeskError(err, path).toInfo() });
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'prepare':
      void prepare(msg);
      break;
    case 'decode':
      void decode(msg);
      break;
    case 'thumbnail':
      void thumbnail(msg);
      break;
    case 'credit': {
      const resume = credits.get(msg.taskId);
      credits.delete(msg.taskId);
      resume?.();
      break;
    }
    case 'cancel': {
      cancelled.add(msg.taskId);
      const resume = credits.get(msg.taskId);
      credits.delete(msg.taskId);
      resume?.();
      break;
    }
  }
});
