/**
 * Reads the image size a codestream declares, before any codec allocates for it: a frame whose
 * codestream disagrees with Rows/Columns/Samples per Pixel is refused instead of decoded into a
 * buffer sized by untrusted bytes.
 */

export interface StreamSize {
  width: number;
  height: number;
  components: number;
  precision: number;
}

export interface JpegMarkers {
  sof: (StreamSize & { marker: number; componentIds: number[] }) | null;
  hasJfif: boolean;
  hasAdobe: boolean;
}

/** Walks JPEG / JPEG-LS marker segments up to the first scan. */
export function findJpegMarkers(data: Uint8Array): JpegMarkers {
  const result: JpegMarkers = { sof: null, hasJfif: false, hasAdobe: false };
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return result;
  let p = 2;
  while (p + 4 <= data.length) {
    if (data[p] !== 0xff) {
      p++;
      continue;
    }
    const marker = data[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break;
    const len = (data[p + 2]! << 8) | data[p + 3]!;
    const seg = p + 4;
    if (marker === 0xe0 && len >= 7 && String.fromCharCode(...data.subarray(seg, seg + 4)) === 'JFIF') result.hasJfif = true;
    if (marker === 0xee && len >= 7 && String.fromCharCode(...data.subarray(seg, seg + 5)) === 'Adobe') result.hasAdobe = true;
    const isSof = (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
    if (isSof && !result.sof && seg + 6 <= data.length) {
      const components = data[seg + 5]!;
      const componentIds: number[] = [];
      for (let i = 0; i < components && seg + 6 + 3 * i < data.length; i++) componentIds.push(data[seg + 6 + 3 * i]!);
      result.sof = {
        marker: 0xff00 | marker,
        precision: data[seg]!,
        height: (data[seg + 1]! << 8) | data[seg + 2]!,
        width: (data[seg + 3]! << 8) | data[seg + 4]!,
        components,
        componentIds,
      };
    }
    p += 2 + len;
  }
  return result;
}

/** The SIZ segment of a J2K codestream (or of the jp2c box of a JP2 file). */
export function findJ2kSize(data: Uint8Array): StreamSize | null {
  let p = 0;
  const u32 = (q: number): number => ((data[q]! << 24) | (data[q + 1]! << 16) | (data[q + 2]! << 8) | data[q + 3]!) >>> 0;
  if (data.length >= 12 && u32(0) === 12 && u32(4) === 0x6a502020) {
    // JP2 boxes: find the contiguous codestream box.
    let q = 0;
    p = -1;
    while (q + 8 <= data.length) {
      let len = u32(q);
      const type = u32(q + 4);
      let header = 8;
      if (len === 1 && q + 16 <= data.length) {
        len = u32(q + 8) * 2 ** 32 + u32(q + 12);
        header = 16;
      }
      if (type === 0x6a703263) {
        p = q + header;
        break;
      }
      if (len === 0 || len < header) break;
      q += len;
    }
    if (p < 0) return null;
  }
  if (p + 42 > data.length || data[p] !== 0xff || data[p + 1] !== 0x4f || data[p + 2] !== 0xff || data[p + 3] !== 0x51) return null;
  const siz = p + 4;
  const xsiz = u32(siz + 4);
  const ysiz = u32(siz + 8);
  const xo = u32(siz + 12);
  const yo = u32(siz + 16);
  const components = (data[siz + 36]! << 8) | data[siz + 37]!;
  const ssiz = data[siz + 38] ?? 0;
  return { width: xsiz - xo, height: ysiz - yo, components, precision: (ssiz & 0x7f) + 1 };
}
