/**
 * Deterministic synthetic images that look roughly like frontal chest radiographs (thorax, dark lungs,
 * ribs, spine, heart, clavicles, soft opacities, noise), for calibrating the untrained demo model's
 * BatchNorm statistics and classifier without shipping or downloading any real X-ray. They are not
 * anatomy; they only need first- and second-order image statistics in the range of real ones.
 */
import { SeededRandom } from './seeded-random';

/** ImageNet mean/std (the CheXNet manifest's preprocess), per RGB channel. */
const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;

const sigmoid = (t: number): number => 1 / (1 + Math.exp(-t));

/** Inside-ness of an ellipse with a soft edge: ~1 inside, ~0 outside, `soft` wide in normalised units. */
function ellipse(x: number, y: number, cx: number, cy: number, rx: number, ry: number, soft: number): number {
  const dx = (x - cx) / rx;
  const dy = (y - cy) / ry;
  return sigmoid((1 - Math.sqrt(dx * dx + dy * dy)) / soft);
}

/** A coarse random grid, bilinearly upsampled: smooth low-frequency variation. */
function lowFrequencyField(rng: SeededRandom, size: number, cells: number, amplitude: number): Float32Array {
  const grid = new Float32Array((cells + 1) * (cells + 1));
  for (let i = 0; i < grid.length; i++) grid[i] = rng.range(-amplitude, amplitude);
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const gy = (y / (size - 1)) * cells;
    const y0 = Math.min(Math.floor(gy), cells - 1);
    const fy = gy - y0;
    for (let x = 0; x < size; x++) {
      const gx = (x / (size - 1)) * cells;
      const x0 = Math.min(Math.floor(gx), cells - 1);
      const fx = gx - x0;
      const i = y0 * (cells + 1) + x0;
      const top = grid[i]! * (1 - fx) + grid[i + 1]! * fx;
      const bottom = grid[i + cells + 1]! * (1 - fx) + grid[i + cells + 2]! * fx;
      out[y * size + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** One gray image in [0, 1], row-major size x size, framed like a PA chest film (thorax fills it). */
export function syntheticChestGray(rng: SeededRandom, size: number): Float32Array {
  const img = new Float32Array(size * size);
  const j = (spread: number): number => rng.range(-spread, spread);
  const background = rng.range(0.0, 0.15);
  const tissue = rng.range(0.55, 0.8);
  const lungLevel = rng.range(0.1, 0.35);
  const bone = rng.range(0.08, 0.2);
  const thorax = { cx: 0.5 + j(0.03), cy: rng.range(0.55, 0.65), rx: rng.range(0.48, 0.66), ry: rng.range(0.6, 0.75) };
  const shoulders = [-1, 1].map((side) => ({ cx: 0.5 + side * rng.range(0.35, 0.45), cy: rng.range(0.05, 0.15), rx: rng.range(0.15, 0.25), ry: rng.range(0.1, 0.2) }));
  const lungs = [-1, 1].map((side) => ({
    cx: 0.5 + side * rng.range(0.18, 0.25),
    cy: rng.range(0.4, 0.5),
    rx: rng.range(0.13, 0.2),
    ry: rng.range(0.26, 0.36),
  }));
  const heart = { cx: 0.5 + rng.range(0.03, 0.1), cy: rng.range(0.58, 0.68), rx: rng.range(0.12, 0.22), ry: rng.range(0.1, 0.16) };
  const spineHalfWidth = rng.range(0.035, 0.055);
  const ribSpacing = rng.range(0.06, 0.085);
  const ribPhase = rng.uniform();
  const ribCurve = rng.range(0.5, 1.2);
  const ribWidth = rng.range(0.01, 0.03);
  const opacities = Array.from({ length: Math.floor(rng.range(0, 5)) }, () => {
    const lung = lungs[Math.floor(rng.range(0, 2))]!;
    return { cx: lung.cx + j(0.08), cy: lung.cy + j(0.2), r: rng.range(0.02, 0.14), level: rng.range(0.1, 0.4) };
  });
  const haze = rng.uniform() < 0.4 ? rng.range(0.05, 0.25) : 0;
  const electrodes = Array.from({ length: rng.uniform() < 0.5 ? Math.floor(rng.range(1, 7)) : 0 }, () => ({ x: rng.range(0.1, 0.9), y: rng.range(0.1, 0.9), r: rng.range(0.01, 0.025) }));
  const wire = rng.uniform() < 0.35 ? { y0: rng.range(0.2, 0.8), a: rng.range(0.05, 0.2), f: rng.range(1, 4), p: rng.range(0, 6.28) } : null;
  const marker = rng.uniform() < 0.6 ? { x: rng.range(0.03, 0.9), y: rng.range(0.02, 0.12), w: rng.range(0.02, 0.07) } : null;
  const smooth = lowFrequencyField(rng, size, 5, rng.range(0.02, 0.08));
  const vessels = lowFrequencyField(rng, size, 28, rng.range(0.03, 0.09));
  const fine = lowFrequencyField(rng, size, 56, rng.range(0.01, 0.05));
  const noise = rng.range(0.004, 0.03);
  const gamma = rng.range(0.75, 1.3);

  for (let py = 0; py < size; py++) {
    const y = py / (size - 1);
    for (let px = 0; px < size; px++) {
      const x = px / (size - 1);
      const i = py * size + px;
      let body = ellipse(x, y, thorax.cx, thorax.cy, thorax.rx, thorax.ry, 0.03);
      for (const s of shoulders) body = Math.max(body, ellipse(x, y, s.cx, s.cy, s.rx, s.ry, 0.05));
      let v = background + (tissue - background) * body;
      let lungMask = 0;
      for (const l of lungs) lungMask = Math.max(lungMask, ellipse(x, y, l.cx, l.cy, l.rx, l.ry, 0.04));
      lungMask *= 1 - ellipse(x, y, heart.cx, heart.cy, heart.rx, heart.ry, 0.05);
      v += (lungLevel + haze - tissue) * lungMask;
      // Vascular markings: band-passed noise, stronger towards the hila.
      v += (vessels[i]! + fine[i]!) * lungMask * (1.3 - Math.abs(x - 0.5));
      // Ribs: bright arcs across each lung, curving down towards the sides.
      const side = Math.abs(x - 0.5);
      const ribCoord = (y - ribCurve * side * side) / ribSpacing + ribPhase;
      const rib = Math.exp(-((ribCoord - Math.round(ribCoord)) ** 2) / ribWidth);
      v += bone * rib * lungMask;
      v += bone * 1.5 * ellipse(x, y, 0.5, 0.55, spineHalfWidth, 0.6, 0.1) * body;
      for (const s of [-1, 1]) v += bone * ellipse(x, y, 0.5 + s * 0.17, 0.14, 0.16, 0.018, 0.2) * body;
      for (const o of opacities) v += o.level * ellipse(x, y, o.cx, o.cy, o.r, o.r, 0.3) * lungMask;
      for (const e of electrodes) {
        const d = Math.hypot(x - e.x, y - e.y);
        if (d < e.r) v = Math.max(v, d < e.r * 0.6 ? 0.9 : 0.75);
      }
      if (wire && Math.abs(y - (wire.y0 + wire.a * Math.sin(wire.f * 6.28 * x + wire.p))) < 0.004) v = Math.max(v, 0.85);
      if (marker && x > marker.x && x < marker.x + marker.w && y > marker.y && y < marker.y + 0.04) v = 0.95;
      v += smooth[i]! + noise * rng.normal();
      img[i] = Math.min(1, Math.max(0, v)) ** gamma;
    }
  }
  return img;
}

/**
 * `count` images as the model's input: gray replicated to RGB and normalised with ImageNet mean/std,
 * float32 NCHW [count, 3, size, size].
 */
export function syntheticChestBatch(rng: SeededRandom, count: number, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(count * 3 * plane);
  for (let n = 0; n < count; n++) {
    const gray = syntheticChestGray(rng, size);
    for (let c = 0; c < 3; c++) {
      const base = (n * 3 + c) * plane;
      for (let i = 0; i < plane; i++) out[base + i] = (gray[i]! - MEAN[c]!) / STD[c]!;
    }
  }
  return out;
}
