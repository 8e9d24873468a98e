/**
 * The class-activation overlay: the core's raw CAM grid, normalised to its own min..max, coloured
 * with a perceptual map and drawn over the image in image coordinates (so zoom, pan, rotation and
 * flips carry it along). Values below the threshold are transparent so the anatomy stays readable.
 */
import type { Heatmap } from '../../main/api';
import { rgbaWord } from './display-lut';

export type ColorMapName = 'inferno' | 'jet';

// Samples of matplotlib's inferno at 0, 0.1, …, 1 (its published table), interpolated linearly.
const INFERNO = [
  [0, 0, 4], [22, 11, 57], [66, 10, 104], [106, 23, 110], [147, 38, 103], [188, 55, 84],
  [221, 81, 58], [243, 120, 25], [252, 165, 10], [246, 215, 70], [252, 255, 164],
];
const JET = [
  [0, 0, 131], [0, 60, 170], [5, 255, 255], [255, 255, 0], [250, 0, 0], [128, 0, 0],
];

function sample(stops: number[][], t: number): [number, number, number] {
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f)) as [number, number, number];
}

export function colorMap(name: ColorMapName): Uint8Array {
  const stops = name === 'jet' ? JET : INFERNO;
  const out = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) out.set(sample(stops, i / 255), i * 3);
  return out;
}

export interface HeatmapStyle {
  colorMap: ColorMapName;
  /** Normalised values below this are transparent. */
  threshold: number;
}

/**
 * The heatmap as a small canvas of its own grid size; the viewer scales it onto the image with
 * smoothing, which interpolates it bilinearly. Opacity is applied by the viewer with globalAlpha.
 */
export function heatmapCanvas(map: Heatmap, style: HeatmapStyle): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = map.width;
  canvas.height = map.height;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(map.width, map.height);
  const out = new Uint32Array(img.data.buffer);
  const lut = colorMap(style.colorMap);
  let lo = map.min;
  let hi = map.max;
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) {
    lo = Infinity;
    hi = -Infinity;
    for (const v of map.values) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  }
  const span = hi > lo ? hi - lo : 1;
  const ramp = 0.12;
  for (let i = 0; i < out.length; i++) {
    const v = map.values[i]!;
    if (!Number.isFinite(v)) continue; // outside what the model saw: left transparent
    const t = (v - lo) / span;
    if (t < style.threshold) continue;
    const k = Math.round(t * 255) * 3;
    // A short alpha ramp above the threshold avoids a hard contour line.
    const alpha = Math.round(255 * Math.min(1, (t - style.threshold) / ramp));
    out[i] = rgbaWord(lut[k]!, lut[k + 1]!, lut[k + 2]!, alpha);
  }
  // ImageData is unpremultiplied; putImageData handles the conversion.
  ctx.putImageData(img, 0, 0);
  return canvas;
}
