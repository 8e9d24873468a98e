/**
 * JPEG Extended (process 2 & 4): sequential DCT, Huffman coded, 12-bit samples.
 *
 * Written by hand because nothing on npm decodes it well: the @cornerstonejs codecs are 8-bit builds
 * of libjpeg-turbo only (12-bit needs a separate libjpeg build), pdf.js's JpegImage clamps every
 * sample to 8 bits, and the pdf.js-derived `jpeg.js` that @cornerstonejs/dicom-image-loader uses for
 * 12-bit (not exported by that package) is off by ~15 (mean absolute difference 14.9 against GDCM on
 * JPGExtended.dcm). This decoder follows IJG libjpeg 6b (what GDCM and DCMTK build for 12 bits):
 * the same "islow" integer IDCT with PASS1_BITS = 1 for 12-bit, the same rounding and range limit,
 * so grayscale output matches them exactly. Colour 12-bit JPEG is practically absent from DICOM:
 * components are returned as coded (no YCbCr conversion) with subsampled ones replicated.
 *
 * Also decodes 8-bit sequential streams (used when libjpeg-turbo is not wanted, e.g. in tests).
 */
import { CheXDeskError } from '../../errors';

export interface Jpeg12Output {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** Interleaved samples. */
  samples: Uint16Array;
}

const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56,
  57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

/** Pixels we decode at most: the DICOM layer checks the frame size before we get here. */
const MAX_PIXELS = 1 << 28;

interface HuffmanTable {
  maxcode: Int32Array; // indexed by code length 1..17 (17 = sentinel)
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Plane padded to whole MCUs. */
  stride: number;
  plane: Uint16Array;
  blocksPerLine: number;
  blocksPerColumn: number;
  pred: number;
  dc: HuffmanTable | null;
  ac: HuffmanTable | null;
}

function corrupt(reason: string): CheXDeskError {
  return new CheXDeskError('CorruptData', `JPEG data is corrupt: ${reason}`);
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  // jdhuff.c jpeg_make_d_derived_tbl: canonical codes, then per-length bounds.
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0;
  let p = 0;
  for (let l = 1; l <= 16; l++) {
    const n = counts[l - 1]!;
    if (n) {
      valptr[l] = p;
      mincode[l] = code;
      code += n;
      p += n;
      maxcode[l] = code - 1;
    }
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { maxcode, valptr, mincode, values };
}

/** Entropy-coded segment reader with libjpeg's behaviour at markers: pad with zeros, never run past. */
class BitReader {
  private acc = 0;
  private bits = 0;
  /** Set once a marker (other than stuffed FF00) is reached. */
  marker = 0;
  constructor(private readonly data: Uint8Array, public pos: number) {}

  private fill(): void {
    while (this.bits <= 24) {
      let byte = 0;
      if (!this.marker && this.pos < this.data.length) {
        byte = this.data[this.pos]!;
        if (byte === 0xff) {
          const next = this.pos + 1 < this.data.length ? this.data[this.pos + 1]! : 0xd9;
          if (next === 0) {
            this.pos += 2;
          } else {
            this.marker = 0xff00 | next;
            byte = 0;
          }
        } else {
          this.pos++;
        }
      } else if (!this.marker) {
        this.marker = 0xffd9;
      }
      this.acc = ((this.acc << 8) | byte) >>> 0;
      this.bits += 8;
    }
  }

  bit(): number {
    if (this.bits === 0) this.fill();
    this.bits--;
    return (this.acc >>> this.bits) & 1;
  }

  receive(n: number): number {
    if (n === 0) return 0;
    if (this.bits < n) this.fill();
    this.bits -= n;
    return (this.acc >>> this.bits) & ((1 << n) - 1);
  }

  /** Drops the buffered bits (the padding before a restart marker) and resumes reading at pos. */
  reset(): void {
    this.acc = 0;
    this.bits = 0;
    this.marker = 0;
  }
}

function decodeHuffman(r: BitReader, t: HuffmanTable): number {
  let code = r.bit();
  let l = 1;
  while (code > t.maxcode[l]!) {
    code = (code << 1) | r.bit();
    l++;
    if (l > 16) throw corrupt('invalid Huffman code');
  }
  return t.values[t.valptr[l]! + code - t.mincode[l]!]!;
}

function extend(v: number, s: number): number {
  return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}

// jidctint.c constants (CONST_BITS = 13).
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;
const CONST_BITS = 13;

/**
 * libjpeg 6b jpeg_idct_islow on dequantised coefficients (natural order), level-shifted and
 * range-limited into the plane.
 */
function idctIslow(coef: Int32Array, ws: Int32Array, out: Uint16Array, offset: number, stride: number, pass1Bits: number, maxSample: number): void {
  const center = (maxSample + 1) >> 1;
  const d1 = CONST_BITS - pass1Bits;
  const r1 = 1 << (d1 - 1);
  for (let c = 0; c < 8; c++) {
    if (coef[8 + c] === 0 && coef[16 + c] === 0 && coef[24 + c] === 0 && coef[32 + c] === 0 && coef[40 + c] === 0 && coef[48 + c] === 0 && coef[56 + c] === 0) {
      const dc = coef[c]! << pass1Bits;
      for (let k = 0; k < 64; k += 8) ws[k + c] = dc;
      continue;
    }
    let z2 = coef[16 + c]!;
    let z3 = coef[48 + c]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = coef[c]!;
    z3 = coef[32 + c]!;
    let tmp0 = (z2 + z3) << CONST_BITS;
    let tmp1 = (z2 - z3) << CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = coef[56 + c]!;
    tmp1 = coef[40 + c]!;
    tmp2 = coef[24 + c]!;
    tmp3 = coef[8 + c]!;
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    ws[c] = (tmp10 + tmp3 + r1) >> d1;
    ws[56 + c] = (tmp10 - tmp3 + r1) >> d1;
    ws[8 + c] = (tmp11 + tmp2 + r1) >> d1;
    ws[48 + c] = (tmp11 - tmp2 + r1) >> d1;
    ws[16 + c] = (tmp12 + tmp1 + r1) >> d1;
    ws[40 + c] = (tmp12 - tmp1 + r1) >> d1;
    ws[24 + c] = (tmp13 + tmp0 + r1) >> d1;
    ws[32 + c] = (tmp13 - tmp0 + r1) >> d1;
  }
  const d2 = CONST_BITS + pass1Bits + 3;
  const r2 = 1 << (d2 - 1);
  const d0 = pass1Bits + 3;
  const r0 = 1 << (d0 - 1);
  const clamp = (x: number): number => {
    const y = x + center;
    return y < 0 ? 0 : y > maxSample ? maxSample : y;
  };
  for (let row = 0; row < 8; row++) {
    const w = row * 8;
    const o = offset + row * stride;
    if (ws[w + 1] === 0 && ws[w + 2] === 0 && ws[w + 3] === 0 && ws[w + 4] === 0 && ws[w + 5] === 0 && ws[w + 6] === 0 && ws[w + 7] === 0) {
      const v = clamp((ws[w]! + r0) >> d0);
      for (let k = 0; k < 8; k++) out[o + k] = v;
      continue;
    }
    let z2 = ws[w + 2]!;
    let z3 = ws[w + 6]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp0 = (ws[w]! + ws[w + 4]!) << CONST_BITS;
    let tmp1 = (ws[w]! - ws[w + 4]!) << CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = ws[w + 7]!;
    tmp1 = ws[w + 5]!;
    tmp2 = ws[w + 3]!;
    tmp3 = ws[w + 1]!;
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    out[o] = clamp((tmp10 + tmp3 + r2) >> d2);
    out[o + 7] = clamp((tmp10 - tmp3 + r2) >> d2);
    out[o + 1] = clamp((tmp11 + tmp2 + r2) >> d2);
    out[o + 6] = clamp((tmp11 - tmp2 + r2) >> d2);
    out[o + 2] = clamp((tmp12 + tmp1 + r2) >> d2);
    out[o + 5] = clamp((tmp12 - tmp1 + r2) >> d2);
    out[o + 3] = clamp((tmp13 + tmp0 + r2) >> d2);
    out[o + 4] = clamp((tmp13 - tmp0 + r2) >> d2);
  }
}

export function decodeJpegSequential(data: Uint8Array): Jpeg12Output {
  const u16 = (p: number): number => {
    if (p + 1 >= data.length) throw corrupt('the stream ends inside a marker segment');
    return (data[p]! << 8) | data[p + 1]!;
  };
  if (u16(0) !== 0xffd8) throw corrupt('no start-of-image marker');
  const qt: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let components: Component[] = [];
  let width = 0;
  let height = 0;
  let precision = 8;
  let hmax = 1;
  let vmax = 1;
  let mcusPerLine = 0;
  let mcusPerColumn = 0;
  let restartInterval = 0;
  let frameSeen = false;
  let scans = 0;
  const coef = new Int32Array(64);
  const ws = new Int32Array(64);

  let pos = 2;
  for (;;) {
    // Skip fill bytes and anything between segments until the next marker.
    while (pos < data.length && data[pos] !== 0xff) pos++;
    while (pos < data.length && data[pos] === 0xff) pos++;
    if (pos >= data.length) break;
    const marker = 0xff00 | data[pos++]!;
    if (marker === 0xffd9) break;
    if (marker >= 0xffd0 && marker <= 0xffd7) continue;
    const len = u16(pos);
    const seg = pos + 2;
    const end = pos + len;
    if (len < 2 || end > data.length) throw corrupt('a marker segment runs past the end of the stream');
    switch (marker) {
      case 0xffdb: {
        let p = seg;
        while (p < end) {
          const pq = data[p]! >> 4;
          const tq = data[p]! & 15;
          p++;
          const table = new Uint16Array(64);
          for (let k = 0; k < 64; k++) {
            table[k] = pq ? u16(p + 2 * k) : data[p + k]!;
          }
          p += pq ? 128 : 64;
          if (tq > 3) throw corrupt('quantisation table id out of range');
          qt[tq] = table;
        }
        break;
      }
      case 0xffc4: {
        let p = seg;
        while (p < end) {
          const tc = data[p]! >> 4;
          const th = data[p]! & 15;
          const counts = data.subarray(p + 1, p + 17);
          let total = 0;
          for (let k = 0; k < 16; k++) total += counts[k]!;
          if (p + 17 + total > end || th > 3) throw corrupt('bad Huffman table');
          const table = buildHuffman(counts, data.slice(p + 17, p + 17 + total));
          (tc === 0 ? dcTables : acTables)[th] = table;
          p += 17 + total;
        }
        break;
      }
      case 0xffdd:
        restartInterval = u16(seg);
        break;
      case 0xffc0:
      case 0xffc1: {
        if (frameSeen) throw corrupt('more than one frame header');
        frameSeen = true;
        precision = data[seg]!;
        height = u16(seg + 1);
        width = u16(seg + 3);
        const nf = data[seg + 5]!;
        if (precision !== 8 && precision !== 12) throw corrupt(`sample precision ${precision} is not 8 or 12`);
        if (!width || !height) throw corrupt('zero image size (DNL-defined height is not supported)');
        if (width * height > MAX_PIXELS) throw corrupt(`declared size ${width}x${height} is too large`);
        if (nf < 1 || nf > 4 || seg + 6 + 3 * nf > end) throw corrupt('bad frame header');
        const raw = [];
        for (let i = 0; i < nf; i++) {
          const b = seg + 6 + 3 * i;
          const h = data[b + 1]! >> 4;
          const v = data[b + 1]! & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) throw corrupt('bad sampling factors');
          raw.push({ id: data[b]!, h, v, tq: data[b + 2]! });
          hmax = Math.max(hmax, h);
          vmax = Math.max(vmax, v);
        }
        mcusPerLine = Math.ceil(width / (8 * hmax));
        mcusPerColumn = Math.ceil(height / (8 * vmax));
        components = raw.map((c) => {
          const stride = mcusPerLine * c.h * 8;
          return {
            ...c,
            stride,
            plane: new Uint16Array(stride * mcusPerColumn * c.v * 8),
            blocksPerLine: Math.ceil(Math.ceil((width * c.h) / hmax) / 8),
            blocksPerColumn: Math.ceil(Math.ceil((height * c.v) / vmax) / 8),
            pred: 0,
            dc: null,
            ac: null,
          };
        });
        break;
      }
      case 0xffc2:
      case 0xffc3:
      case 0xffc5:
      case 0xffc6:
      case 0xffc7:
      case 0xffc9:
      case 0xffca:
      case 0xffcb:
      case 0xffcd:
      case 0xffce:
      case 0xffcf:
        throw new CheXDeskError('UnsupportedImage', `JPEG process SOF${(marker & 15).toString()} is not sequential Huffman DCT`);
      case 0xffda: {
        if (!frameSeen) throw corrupt('scan before frame header');
        const ns = data[seg]!;
        if (ns < 1 || ns > 4 || seg + 1 + 2 * ns + 3 > end) throw corrupt('bad scan header');
        const scanComps: Component[] = [];
        for (let i = 0; i < ns; i++) {
          const id = data[seg + 1 + 2 * i]!;
          const t = data[seg + 2 + 2 * i]!;
          const c = components.find((x) => x.id === id);
          if (!c) throw corrupt('scan names an unknown component');
          c.dc = dcTables[t >> 4] ?? null;
          c.ac = acTables[t & 15] ?? null;
          if (!c.dc || !c.ac) throw corrupt('scan uses a Huffman table that was not defined');
          scanComps.push(c);
        }
        pos = decodeScan(data, end, scanComps, mcusPerLine, mcusPerColumn, restartInterval, qt, precision, coef, ws);
        scans++;
        continue;
      }
      default:
        break; // APPn, COM, DNL, …: nothing we need
    }
    pos = end;
  }
  if (!frameSeen || scans === 0) throw corrupt('no frame or no scan in the stream');

  const n = components.length;
  const samples = new Uint16Array(width * height * n);
  for (let ci = 0; ci < n; ci++) {
    const c = components[ci]!;
    const sx = hmax / c.h;
    const sy = vmax / c.v;
    for (let y = 0; y < height; y++) {
      const row = Math.floor(y / sy) * c.stride;
      let o = y * width * n + ci;
      if (sx === 1) {
        for (let x = 0; x < width; x++, o += n) samples[o] = c.plane[row + x]!;
      } else {
        for (let x = 0; x < width; x++, o += n) samples[o] = c.plane[row + Math.floor(x / sx)]!;
      }
    }
  }
  return { width, height, components: n, precision, samples };
}

function decodeScan(
  data: Uint8Array,
  start: number,
  comps: Component[],
  mcusPerLine: number,
  mcusPerColumn: number,
  restartInterval: number,
  qt: (Uint16Array | undefined)[],
  precision: number,
  coef: Int32Array,
  ws: Int32Array,
): number {
  const reader = new BitReader(data, start);
  const pass1Bits = precision === 8 ? 2 : 1;
  const maxSample = (1 << precision) - 1;
  const single = comps.length === 1;
  const c0 = comps[0]!;
  const total = single ? c0.blocksPerLine * c0.blocksPerColumn : mcusPerLine * mcusPerColumn;
  const quant = comps.map((c) => {
    const q = qt[c.tq];
    if (!q) throw corrupt('component uses a quantisation table that was not defined');
    return q;
  });
  for (const c of comps) c.pred = 0;

  const block = (c: Component, q: Uint16Array, bx: number, by: number): void => {
    coef.fill(0);
    const t = decodeHuffman(reader, c.dc!);
    if (t > 16) throw corrupt('DC difference category out of range');
    c.pred += t ? extend(reader.receive(t), t) : 0;
    coef[0] = c.pred * q[0]!;
    for (let k = 1; k < 64; ) {
      const rs = decodeHuffman(reader, c.ac!);
      const s = rs & 15;
      const r = rs >> 4;
      if (s === 0) {
        if (r !== 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) throw corrupt('AC coefficient index out of range');
      coef[ZIGZAG[k]!] = extend(reader.receive(s), s) * q[k]!;
      k++;
    }
    idctIslow(coef, ws, c.plane, by * 8 * c.stride + bx * 8, c.stride, pass1Bits, maxSample);
  };

  for (let mcu = 0; mcu < total; mcu++) {
    if (restartInterval && mcu > 0 && mcu % restartInterval === 0) {
      // Expect RSTn; libjpeg resynchronises on whatever marker it finds.
      reader.reset();
      let p = reader.pos;
      while (p + 1 < data.length && !(data[p] === 0xff && data[p + 1]! >= 0xd0 && data[p + 1]! <= 0xd7)) {
        if (data[p] === 0xff && data[p + 1] !== 0 && data[p + 1] !== 0xff) break;
        p++;
      }
      if (p + 1 < data.length && data[p] === 0xff && data[p + 1]! >= 0xd0 && data[p + 1]! <= 0xd7) p += 2;
      reader.pos = p;
      for (const c of comps) c.pred = 0;
    }
    if (single) {
      block(c0, quant[0]!, mcu % c0.blocksPerLine, Math.floor(mcu / c0.blocksPerLine));
    } else {
      const mx = mcu % mcusPerLine;
      const my = Math.floor(mcu / mcusPerLine);
      for (let i = 0; i < comps.length; i++) {
        const c = comps[i]!;
        for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) block(c, quant[i]!, mx * c.h + h, my * c.v + v);
      }
    }
  }
  // Continue after the entropy-coded data: find the next marker that is not a restart marker.
  let p = reader.pos;
  while (p + 1 < data.length && !(data[p] === 0xff && data[p + 1] !== 0 && !(data[p + 1]! >= 0xd0 && data[p + 1]! <= 0xd7))) p++;
  return p;
}
