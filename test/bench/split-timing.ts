// Where one image's time goes: decode (sharp), preprocess (Pillow-exact resize + crops + normalise),
// inference (onnxruntime-node), for center and TenCrop, on shared images. Medians of N runs after a
// warm-up. Usage: node --import tsx test/bench/split-timing.ts [runs=7] [image ...]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openRaster, sniffRaster } from '../../main/raster/open-raster';
import { render8 } from '../../main/image/render8';
import { preprocess } from '../../main/preprocess/preprocess';
import { infer } from '../../main/model/predict';
import { loadModel, releaseAllModels } from '../../main/model/session';
import { sharedPath } from '../support/shared';

const runs = Number(process.argv[2] ?? 7);
const names = process.argv.length > 3 ? process.argv.slice(3) : ['00000001_000.png', '00000075_000.png', '16747_3_1.jpg', 'covid-19-pneumonia-2.jpg'];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const t0 = performance.now();
const model = await loadModel(sharedPath('models', 'chexnet-standin'));
console.log(`session created in ${(performance.now() - t0).toFixed(0)} ms, ${model.threads} intra-op threads`);

for (const name of names) {
  const path = sharedPath('fixtures', 'cxr', name);
  const bytes = new Uint8Array(readFileSync(path));
  for (const mode of ['center', 'tencrop'] as const) {
    const decode: number[] = [];
    const prep: number[] = [];
    const inference: number[] = [];
    for (let i = -1; i < runs; i++) {
      const a = performance.now();
      const image = render8(await (await openRaster(bytes, path, sniffRaster(bytes)!)).frame(0));
      const b = performance.now();
      const p = preprocess(image, model.manifest, mode);
      const c = performance.now();
      await infer(model, p.tensor, p.dims);
      const d = performance.now();
      if (i < 0) continue; // warm-up
      decode.push(b - a);
      prep.push(c - b);
      inference.push(d - c);
    }
    console.log(
      `${name.padEnd(26)} ${mode.padEnd(7)} decode ${median(decode).toFixed(1).padStart(6)} ms  preprocess ${median(prep).toFixed(1).padStart(6)} ms  inference ${median(inference).toFixed(1).padStart(7)} ms  (medians of ${runs})`,
    );
  }
}
await releaseAllModels();
