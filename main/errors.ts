/**
 * Every failure on user data is one of these: a code a program can switch on, the file it concerns,
 * and a reason a person understands. They cross the IPC/HTTP boundary as {@link ErrorInfo}; a stack
 * trace never does.
 */
import type { ErrorCode, ErrorInfo } from './error-info';

export type { ErrorCode, ErrorInfo } from './error-info';

export class CheXDeskError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly reason: string;
  readonly detail: Record<string, string | number | boolean> | undefined;

  constructor(code: ErrorCode, reason: string, file?: string, detail?: Record<string, string | number | boolean>) {
    super(file ? `${file}: ${reason}` : reason);
    this.name = code;
    this.code = code;
    this.reason = reason;
    this.file = file;
    this.detail = detail;
  }

  /** The same error about another file (a decoder deep down does not know the path). */
  withFile(file: string): CheXDeskError {
    if (this.file) return this;
    return new CheXDeskError(this.code, this.reason, file, this.detail);
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, reason: this.reason };
    if (this.file) info.file = this.file;
    if (this.detail) info.detail = this.detail;
    return info;
  }
}

export class UnsupportedTransferSyntaxError extends CheXDeskError {
  constructor(readonly uid: string, readonly syntaxName: string, file?: string) {
    super('UnsupportedTransferSyntax', `unsupported transfer syntax ${uid} (${syntaxName})`, file, { uid, name: syntaxName });
  }
}

/**
 * Turns anything thrown into a CheXDeskError. Errors we did not anticipate keep their message
 * (it names what failed) under code Internal; the stack stays in the process that caught it.
 */
export function toCheXDeskError(err: unknown, file?: string): CheXDeskError {
  if (err instanceof CheXDeskError) return file ? err.withFile(file) : err;
  if (isNodeIoError(err)) {
    const reason =
      err.code === 'ENOENT' ? 'file not found'
      : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied'
      : err.code === 'EISDIR' ? 'is a folder, not a file'
      : `cannot read the file (${err.code})`;
    return new CheXDeskError('FileUnreadable', reason, file ?? err.path);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CheXDeskError('Internal', message || 'unexpected failure', file);
}

function isNodeIoError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code ?? '');
}
