/**
 * Window presets. Values are in modality units (HU for CT). The CT windows are the usual
 * radiology ones; every image also gets its file's own window, the full range, and a percentile
 * "auto" window that ignores collimator edges and burnt-in labels.
 */
import type { ImageInfo } from '../../main/api';
import type { GrayFrame, Voi, VoiFunction } from '../../main/image/types';
import { minMaxWindow } from '../../main/image/render8';
import { percentileWindow } from './display-lut';

export interface Preset {
  id: string;
  name: string;
  voi: Voi;
}

const CT_WINDOWS: { id: string; name: string; width: number; center: number }[] = [
  { id: 'lung', name: 'Lung', width: 1500, center: -600 },
  { id: 'mediastinum', name: 'Mediastinum', width: 350, center: 50 },
  { id: 'bone', name: 'Bone', width: 1800, center: 400 },
  { id: 'soft', name: 'Soft tissue', width: 400, center: 40 },
];

/** Images whose modality values are Hounsfield units. */
export function isHounsfield(info: ImageInfo): boolean {
  return info.dicom?.modality === 'CT';
}

export function windowVoi(center: number, width: number, fn: VoiFunction = 'LINEAR'): Voi {
  return { kind: 'window', center, width: Math.max(width, fn === 'LINEAR' ? 1 : Number.MIN_VALUE), fn, source: 'tags' };
}

export function presetsFor(frame: GrayFrame, info: ImageInfo): Preset[] {
  const defaultName =
    frame.voi.kind === 'table' ? 'Default (VOI LUT)'
    : frame.voi.source === 'tags' ? 'Default (from file)'
    : 'Default';
  const out: Preset[] = [{ id: 'default', name: defaultName, voi: frame.voi }];
  (info.dicom?.windows ?? []).slice(1).forEach((w, i) =>
    out.push({ id: `file-${i + 2}`, name: `${w.explanation || `File window ${i + 2}`} (W ${w.width} L ${w.center})`, voi: windowVoi(w.center, w.width) }),
  );
  out.push({ id: 'full', name: 'Full range', voi: minMaxWindow(frame) });
  const auto = percentileWindow(frame);
  if (auto) out.push({ id: 'auto', name: 'Auto (0.5–99.5 %)', voi: windowVoi(auto.center, auto.width, 'LINEAR_EXACT') });
  if (isHounsfield(info)) for (const w of CT_WINDOWS) out.push({ id: w.id, name: `${w.name} (W ${w.width} L ${w.center})`, voi: windowVoi(w.center, w.width) });
  return out;
}
