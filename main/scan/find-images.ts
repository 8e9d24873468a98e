/**
 * Walks a folder tree and yields every file that is an image we read: DICOM recognised by content
 * (whatever its name), PNG and JPEG. A file that claims to be an image by its extension but is not
 * one is yielded with its error, so a broken .dcm is reported instead of vanishing; anything else
 * is skipped silently and counted.
 */
import { opendir, realpath, stat } from 'node:fs/promises';
import { join, extname } from 'node:path';
import { sniffFile } from '../image/open-image';
import { CheXDeskError, toCheXDeskError, type ErrorInfo } from '../errors';
import type { SourceKind } from '../image/types';

export interface FoundFile {
  path: string;
  size: number;
  mtimeMs: number;
  kind: SourceKind | null;
  /** Set when the file looks like an image by name but cannot be read as one. */
  error?: ErrorInfo;
}

const IMAGE_EXTENSIONS = new Set(['.dcm', '.dicom', '.dic', '.png', '.jpg', '.jpeg']);

export interface WalkStats {
  skipped: number;
}

/** Yields files in a stable order (sorted by name, folders depth-first). Symlinked folders are followed once. */
export async function* findImages(root: string, stats: WalkStats = { skipped: 0 }, signal?: AbortSignal): AsyncGenerator<FoundFile> {
  const seen = new Set<string>();
  async function* walk(dir: string): AsyncGenerator<FoundFile> {
    let real: string;
    try {
      real = await realpath(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    let names: { name: string; isDir: boolean; isLink: boolean; isFile: boolean }[];
    try {
      const handle = await opendir(dir);
      names = [];
      for await (const e of handle) names.push({ name: e.name, isDir: e.isDirectory(), isLink: e.isSymbolicLink(), isFile: e.isFile() });
    } catch (err) {
      yield { path: dir, size: 0, mtimeMs: 0, kind: null, error: toCheXDeskError(err, dir).toInfo() };
      return;
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of names) {
      if (signal?.aborted) return;
      const path = join(dir, entry.name);
      let isDir = entry.isDir;
      let isFile = entry.isFile;
      if (entry.isLink) {
        const s = await stat(path).catch(() => null);
        if (!s) continue;
        isDir = s.isDirectory();
        isFile = s.isFile();
      }
      if (isDir) {
        yield* walk(path);
      } else if (isFile) {
        const found = await examine(path);
        if (found) yield found;
        else stats.skipped++;
      }
    }
  }
  yield* walk(root);
}

/** Recognises one file; null when it is not an image and does not pretend to be one. */
export async function examine(path: string): Promise<FoundFile | null> {
  const named = IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
  try {
    const s = await stat(path);
    const kind = s.size === 0 ? null : await sniffFile(path);
    if (kind) return { path, size: s.size, mtimeMs: s.mtimeMs, kind };
    if (!named) return null;
    const reason = s.size === 0 ? 'file is empty' : `not a ${extname(path).toLowerCase() === '.png' ? 'PNG' : /\.jpe?g$/i.test(path) ? 'JPEG' : 'DICOM'} file (its content is not an image we read)`;
    return { path, size: s.size, mtimeMs: s.mtimeMs, kind: null, error: new CheXDeskError('NotDicom', reason, path).toInfo() };
  } catch (err) {
    return { path, size: 0, mtimeMs: 0, kind: null, error: toCheXDeskError(err, path).toInfo() };
  }
}
