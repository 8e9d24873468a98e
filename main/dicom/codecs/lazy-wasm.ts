/**
 * Loads a WASM codec once per process, on first use, and keeps one decoder instance for reuse
 * (decoding is synchronous, so one instance is never used by two frames at once).
 *
 * An emscripten module that aborted (bad input can make C code hit abort()) is unusable from then
 * on, and a C++ exception can leave the decoder in an unknown state, so after any failure the
 * instance is dropped and the next frame loads a fresh one.
 */
export interface LazyCodec<D> {
  /** Runs fn with the decoder; on any throw the decoder and its module are discarded. */
  use<T>(fn: (decoder: D) => T): Promise<T>;
}

/**
 * Module options that silence emscripten's printing (OpenJPEG writes "[INFO] …" to stdout, where the
 * CLI writes JSON). A fresh object per module: emscripten adds its exports to the object it is given.
 */
export function silentEmscripten(): { print: () => void; printErr: () => void } {
  return { print: () => {}, printErr: () => {} };
}

export function lazyCodec<M, D extends { delete(): void }>(load: () => Promise<M>, create: (module: M) => D): LazyCodec<D> {
  let pending: Promise<D> | null = null;
  return {
    async use<T>(fn: (decoder: D) => T): Promise<T> {
      pending ??= load().then(create);
      const current = pending;
      let decoder: D;
      try {
        decoder = await current;
      } catch (err) {
        if (pending === current) pending = null;
        throw err;
      }
      try {
        return fn(decoder);
      } catch (err) {
        if (pending === current) pending = null;
        try {
          decoder.delete();
        } catch {
          // An aborted module cannot free anything; it is dropped with the instance.
        }
        throw err;
      }
    },
  };
}

/** What emscripten throws: an Error, a string, or a bare number (a C++ exception pointer). */
export function codecMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'number') return `codec exception ${err}`;
  return String(err);
}
