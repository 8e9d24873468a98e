/**
 * How API results with pixel data travel over HTTP in serve mode. Electron's IPC clones typed arrays
 * natively; HTTP needs bytes, so typed arrays are lifted out of the JSON and appended as raw binary:
 *
 *   [u32 LE: header length][header: UTF-8 JSON][padding to 8][array 0][padding to 8][array 1]…
 *
 * In the header every typed array is replaced by {"$binary": index}, and `arrays` lists each one's type,
 * byte offset and length. Results without typed arrays are sent as plain JSON. Pure code (no Node
 * APIs): the server encodes with it and the renderer's bridge decodes with it.
 */

const TYPES = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;
type TypeName = keyof typeof TYPES;
type AnyTypedArray = InstanceType<(typeof TYPES)[TypeName]>;

interface Header {
  value: unknown;
  arrays: { type: TypeName; offset: number; length: number }[];
}

export const BINARY_MIME = 'application/octet-stream';

function typeName(v: unknown): TypeName | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  const name = v.constructor.name;
  // Node's Buffer is a Uint8Array subclass.
  if (name === 'Buffer') return 'Uint8Array';
  return name in TYPES ? (name as TypeName) : null;
}

export function hasBinary(value: unknown): boolean {
  if (typeName(value)) return true;
  if (Array.isArray(value)) return value.some(hasBinary);
  if (value && typeof value === 'object') return Object.values(value).some(hasBinary);
  return false;
}

const align8 = (n: number) => (n + 7) & ~7;

/** Encodes a value holding typed arrays into one binary body. */
export function encodeBinary(value: unknown): Uint8Array {
  const arrays: AnyTypedArray[] = [];
  const walk = (v: unknown): unknown => {
    const t = typeName(v);
    if (t) {
      arrays.push(v as AnyTypedArray);
      return { $binary: arrays.length - 1 };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x);
      return out;
    }
    return v;
  };
  const header: Header = { value: walk(value), arrays: [] };
  let offset = 0;
  for (const a of arrays) {
    header.arrays.push({ type: typeName(a)!, offset, length: a.length });
    offset = align8(offset + a.byteLength);
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const start = align8(4 + headerBytes.length);
  const out = new Uint8Array(start + offset);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 4);
  arrays.forEach((a, i) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), start + header.arrays[i]!.offset));
  return out;
}

/** Decodes a body made by encodeBinary; typed arrays view the body's buffer without copying. */
export function decodeBinary(body: ArrayBuffer): unknown {
  const view = new DataView(body);
  const headerLength = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(body, 4, headerLength))) as Header;
  const start = align8(4 + headerLength);
  const arrays = header.arrays.map(({ type, offset, length }) => new TYPES[type](body, start + offset, length));
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const ref = (v as { $binary?: unknown }).$binary;
      if (typeof ref === 'number' && Object.keys(v).length === 1) return arrays[ref];
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(header.value);
}
