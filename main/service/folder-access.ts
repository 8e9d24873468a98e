/**
 * File access only under folders the user opened. Every path that arrives from the UI is resolved
 * through symlinks and checked against the opened folders' real paths, so neither "..", nor a symlink
 * inside an opened folder, reaches anything else.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { CheXDeskError } from '../errors';

export class FolderAccess {
  private readonly roots = new Map<string, string>();

  /** Grants access to a folder the user chose; returns its real path. */
  async grant(folder: string): Promise<string> {
    if (!isAbsolute(folder)) throw new CheXDeskError('InvalidArgument', 'give the folder as an absolute path', folder);
    let real: string;
    try {
      real = await realpath(resolve(folder));
    } catch {
      throw new CheXDeskError('FileUnreadable', 'folder not found', folder);
    }
    this.roots.set(real, folder);
    return real;
  }

  opened(): string[] {
    return [...this.roots.keys()];
  }

  /** The real path of `path` when it lies under an opened folder; AccessDenied otherwise (nothing is read). */
  async check(path: string): Promise<string> {
    if (!isAbsolute(path)) throw new CheXDeskError('AccessDenied', 'paths must be absolute', path);
    let real: string;
    try {
      real = await realpath(resolve(path));
    } catch {
      // Do not reveal whether a file outside the opened folders exists.
      if (!this.lexicallyInside(resolve(path))) throw new CheXDeskError('AccessDenied', 'outside the folders you opened', path);
      throw new CheXDeskError('FileUnreadable', 'file not found', path);
    }
    if (!this.isInside(real)) throw new CheXDeskError('AccessDenied', 'outside the folders you opened', path);
    return real;
  }

  private isInside(real: string): boolean {
    for (const root of this.roots.keys()) {
      const rel = relative(root, real);
      if (rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))) return true;
    }
    return false;
  }

  private lexicallyInside(path: string): boolean {
    for (const [root, given] of this.roots) {
      for (const base of [root, resolve(given)]) {
        const rel = relative(base, path);
        if (rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))) return true;
      }
    }
    return false;
  }
}
