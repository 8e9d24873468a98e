/**
 * The last few decoded frames, so that viewing an image and then predicting or drawing its heatmap
 * decodes it once. Bounded by bytes; an entry is dropped when its file changes on disk.
 */
import { stat } from 'node:fs/promises';
import type { Frame, ImageInfo } from '../image/types';

export interface CachedFrame {
  info: ImageInfo;
  frame: Frame;
  decodeMs: number;
  mtimeMs: number;
  size: number;
}

const frameBytes = (f: Frame) => (f.kind === 'gray' ? f.stored.byteLength : f.rgb.byteLength);

export class FrameCache {
  private readonly entries = new Map<string, CachedFrame>();
  private bytes = 0;

  constructor(private readonly maxBytes = 256 * 1024 * 1024) {}

  async get(path: string, frame: number): Promise<CachedFrame | null> {
    const key = `${frame}|${path}`;
    const hit = this.entries.get(key);
    if (!hit) return null;
    const s = await stat(path).catch(() => null);
    if (!s || s.mtimeMs !== hit.mtimeMs || s.size !== hit.size) {
      this.delete(key);
      return null;
    }
    // Re-insert: Map order is the LRU order.
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  put(path: string, frame: number, entry: CachedFrame): void {
    const key = `${frame}|${path}`;
    this.delete(key);
    this.entries.set(key, entry);
    this.bytes += frameBytes(entry.frame);
    for (const [k] of this.entries) {
      if (this.bytes <= this.maxBytes || this.entries.size <= 1) break;
      this.delete(k);
    }
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.bytes -= frameBytes(e.frame);
    this.entries.delete(key);
  }
}
