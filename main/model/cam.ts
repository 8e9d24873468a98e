/**
 * A class activation map, from the model's per-crop grids back onto the original image: each crop's
 * h x w map (cell (r, c) covering crop pixels [r*S/h, (r+1)*S/h) x [c*S/w, (c+1)*S/w)) is placed where
 * that crop came from in the resized image (TenCrop's mirrored crops mirrored back), interpolated
 * bilinearly between cell centres, averaged over the crops that cover a point, and sampled on the
 * original image's pixel grid (or a smaller grid of the same aspect for display). The resize maps pixel
 * edges to pixel edges (Pillow: source = (x + 0.5) * scale for centre x), so a point at continuous
 * original coordinate X sits at X * resizedWidth / originalWidth in the resized image.
 *
 * Values stay in raw CAM units (no bias, no sigmoid). Points no crop covers (in center mode, the strips
 * the center crop cuts away) are NaN: the model never saw them, so no heat is drawn there.
 */
import { CheXDeskError } from '../errors';
import { resizedToCropX, type CropBox } from '../preprocess/geometry';
import type { RawCam } from './predict';

export interface CamHeatmap {
  width: number;
  height: number;
  /** Row-major; NaN where no crop covers the point. */
  data: Float32Array;
  /** Over the covered points. */
  min: number;
  max: number;
}

export interface HeatmapOptions {
  /** Longest side of the output grid; default the original image's size (never larger). */
  maxSide?: number;
}

/** Output grid size: the original's, or scaled down (same aspect) so the longer side is maxSide. */
export function heatmapSize(width: number, height: number, maxSide?: number): { width: number; height: number } {
  if (maxSide === undefined || Math.max(width, height) <= maxSide) return { width, height };
  if (!(Number.isInteger(maxSide) && maxSide >= 1)) throw new CheXDeskError('InvalidArgument', `maxSide must be a positive integer, not ${maxSide}`);
  const s = maxSide / Math.max(width, height);
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

/**
 * Per output sample along one axis of one crop: the two neighbouring cell indices and the weight of the
 * second, or -1 when the sample lies outside the crop.
 */
interface AxisTaps {
  i0: Int32Array;
  i1: Int32Array;
  f: Float32Array;
}

function axisTaps(samples: number, toCrop: (center: number) => number, cropSize: number, cells: number): AxisTaps {
  const i0 = new Int32Array(samples);
  const i1 = new Int32Array(samples);
  const f = new Float32Array(samples);
  const cell = cropSize / cells;
  for (let s = 0; s < samples; s++) {
    const u = toCrop(s);
    if (!(u >= 0 && u < cropSize)) {
      i0[s] = -1;
      continue;
    }
    // Cell centres sit at (j + 0.5) * cell; beyond the outer centres the edge cell's value holds.
    let t = u / cell - 0.5;
    if (t < 0) t = 0;
    if (t > cells - 1) t = cells - 1;
    const j = Math.floor(t);
    i0[s] = j;
    i1[s] = Math.min(j + 1, cells - 1);
    f[s] = t - j;
  }
  return { i0, i1, f };
}

/** The heat map of one label (its index in the model's labels). */
export function camHeatmap(cam: RawCam, labelIndex: number, opts: HeatmapOptions = {}): CamHeatmap {
  const [crops, labels, h, w] = cam.dims;
  const { geometry } = cam;
  if (!(Number.isInteger(labelIndex) && labelIndex >= 0 && labelIndex < labels)) {
    throw new CheXDeskError('InvalidArgument', `label index ${labelIndex} is not one of the model's ${labels} labels`);
  }
  if (crops !== geometry.crops.length) throw new CheXDeskError('InvalidArgument', `the CAM has ${crops} crops but the geometry ${geometry.crops.length}`);
  if (cam.data.length !== crops * labels * h * w) throw new CheXDeskError('InvalidArgument', `the CAM holds ${cam.data.length} values, [${cam.dims.join(', ')}] needs ${crops * labels * h * w}`);

  const out = heatmapSize(geometry.original.width, geometry.original.height, opts.maxSide);
  const { width: W, height: H } = out;
  const Wr = geometry.resized.width;
  const Hr = geometry.resized.height;
  const sum = new Float64Array(W * H);
  const count = new Uint8Array(W * H);

  geometry.crops.forEach((box: CropBox, k) => {
    const map = cam.data.subarray((k * labels + labelIndex) * h * w, (k * labels + labelIndex + 1) * h * w);
    const cols = axisTaps(W, (x) => resizedToCropX(box, Wr, ((x + 0.5) * Wr) / W), box.size, w);
    const rows = axisTaps(H, (y) => ((y + 0.5) * Hr) / H - box.top, box.size, h);
    for (let y = 0; y < H; y++) {
      const r0 = rows.i0[y]!;
      if (r0 < 0) continue;
      const r1 = rows.i1[y]!;
      const fy = rows.f[y]!;
      for (let x = 0; x < W; x++) {
        const c0 = cols.i0[x]!;
        if (c0 < 0) continue;
        const c1 = cols.i1[x]!;
        const fx = cols.f[x]!;
        const top = map[r0 * w + c0]! * (1 - fx) + map[r0 * w + c1]! * fx;
        const bottom = map[r1 * w + c0]! * (1 - fx) + map[r1 * w + c1]! * fx;
        const i = y * W + x;
        sum[i] = sum[i]! + top * (1 - fy) + bottom * fy;
        count[i] = count[i]! + 1;
      }
    }
  });

  const data = new Float32Array(W * H);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (count[i] === 0) {
      data[i] = NaN;
      continue;
    }
    const v = Math.fround(sum[i]! / count[i]!);
    data[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) {
    min = 0;
    max = 0;
  }
  return { width: W, height: H, data, min, max };
}
