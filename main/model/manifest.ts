/**
 * model.json, format chexdesk-model/1 (../shared/models/README.md): what a model folder declares
 * about its ONNX graph. Parsing checks every field and names the first one that is wrong; checking
 * the manifest against the graph itself happens where the session is created.
 */
import { CheXDeskError } from '../errors';

export const MANIFEST_FORMAT = 'chexdesk-model/1';

export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  version: string;
  /** false: untrained weights. Every output of such a model says it is not a finding. */
  trained: boolean;
  architecture?: string;
  description?: string;
  /** In the order of the probabilities output's last axis. */
  labels: string[];
  input: { name: string; channels: 1 | 3; size: number };
  preprocess: {
    /** Shorter side after resizing (torchvision Resize(int)). */
    resize: number;
    /** Square crop fed to the model (CenterCrop / TenCrop). */
    crop: number;
    resample: 'pil-bilinear';
    /** Pixel range before mean/std: [0, 1] is torchvision's ToTensor. */
    scale: [number, number];
    /** One per input channel (a single value applies to all). */
    mean: number[];
    std: number[];
  };
  outputs: {
    /** [N, labels] after the sigmoid. */
    probabilities: string;
    /** Optional [N, labels, h, w] class activation maps. */
    cam?: string | null;
  };
  /** label -> probability threshold. */
  operatingPoints?: Record<string, number> | null;
  provenance?: Record<string, unknown>;
}

type Json = unknown;

function fail(file: string | undefined, field: string, what: string): never {
  throw new CheXDeskError('InvalidManifest', `model.json: ${field} ${what}`, file);
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, Json>, key: string, path: string, file?: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0) fail(file, `${path}${key}`, 'must be a non-empty string');
  return v;
}

function num(o: Record<string, Json>, key: string, path: string, file?: string, opts: { int?: boolean; min?: number } = {}): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(file, `${path}${key}`, 'must be a number');
  if (opts.int && !Number.isInteger(v)) fail(file, `${path}${key}`, 'must be an integer');
  if (opts.min !== undefined && v < opts.min) fail(file, `${path}${key}`, `must be at least ${opts.min}`);
  return v;
}

function numArray(o: Record<string, Json>, key: string, path: string, file?: string): number[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    fail(file, `${path}${key}`, 'must be a non-empty array of numbers');
  }
  return v as number[];
}

/** Validates a parsed model.json. `file` is named in every error. */
export function parseManifest(json: Json, file?: string): ModelManifest {
  if (!isObject(json)) fail(file, '(top level)', 'must be a JSON object');
  if (json.format !== MANIFEST_FORMAT) fail(file, 'format', `must be "${MANIFEST_FORMAT}" (found ${JSON.stringify(json.format)})`);
  const name = str(json, 'name', '', file);
  const version = typeof json.version === 'string' ? json.version : typeof json.version === 'number' ? String(json.version) : fail(file, 'version', 'must be a string');
  if (typeof json.trained !== 'boolean') fail(file, 'trained', 'must be true or false');

  const labels = json.labels;
  if (!Array.isArray(labels) || labels.length === 0) fail(file, 'labels', 'must be a non-empty array of strings');
  labels.forEach((l, i) => {
    if (typeof l !== 'string' || l.length === 0) fail(file, `labels[${i}]`, 'must be a non-empty string');
  });
  if (new Set(labels).size !== labels.length) fail(file, 'labels', 'must not repeat a label');

  if (!isObject(json.input)) fail(file, 'input', 'must be an object');
  const channels = num(json.input, 'channels', 'input.', file, { int: true });
  if (channels !== 1 && channels !== 3) fail(file, 'input.channels', 'must be 1 or 3');
  const input = { name: str(json.input, 'name', 'input.', file), channels: channels as 1 | 3, size: num(json.input, 'size', 'input.', file, { int: true, min: 1 }) };

  if (!isObject(json.preprocess)) fail(file, 'preprocess', 'must be an object');
  const p = json.preprocess;
  const resize = num(p, 'resize', 'preprocess.', file, { int: true, min: 1 });
  const crop = num(p, 'crop', 'preprocess.', file, { int: true, min: 1 });
  if (crop > resize) fail(file, 'preprocess.crop', `(${crop}) must not exceed preprocess.resize (${resize})`);
  if (crop !== input.size) fail(file, 'preprocess.crop', `(${crop}) must equal input.size (${input.size})`);
  const resample = p.resample ?? 'pil-bilinear';
  if (resample !== 'pil-bilinear') fail(file, 'preprocess.resample', `"${String(resample)}" is not supported (only "pil-bilinear")`);
  const scale = p.scale === undefined ? [0, 1] : numArray(p, 'scale', 'preprocess.', file);
  if (scale.length !== 2 || !(scale[1]! > scale[0]!)) fail(file, 'preprocess.scale', 'must be [low, high] with high > low');
  const mean = numArray(p, 'mean', 'preprocess.', file);
  const std = numArray(p, 'std', 'preprocess.', file);
  for (const [key, arr] of [['mean', mean], ['std', std]] as const) {
    if (arr.length !== 1 && arr.length !== channels) fail(file, `preprocess.${key}`, `must have 1 or ${channels} values (input.channels), not ${arr.length}`);
  }
  if (std.some((s) => s === 0)) fail(file, 'preprocess.std', 'must not contain 0');

  if (!isObject(json.outputs)) fail(file, 'outputs', 'must be an object');
  const probabilities = str(json.outputs, 'probabilities', 'outputs.', file);
  const camRaw = json.outputs.cam;
  if (camRaw !== undefined && camRaw !== null && (typeof camRaw !== 'string' || camRaw.length === 0)) fail(file, 'outputs.cam', 'must be a string or null');
  const cam = typeof camRaw === 'string' ? camRaw : null;

  let operatingPoints: Record<string, number> | null = null;
  if (json.operatingPoints !== undefined && json.operatingPoints !== null) {
    if (!isObject(json.operatingPoints)) fail(file, 'operatingPoints', 'must be an object of label: threshold, or null');
    operatingPoints = {};
    for (const [label, t] of Object.entries(json.operatingPoints)) {
      if (!labels.includes(label)) fail(file, `operatingPoints.${label}`, 'is not one of the labels');
      if (typeof t !== 'number' || !(t >= 0 && t <= 1)) fail(file, `operatingPoints.${label}`, 'must be a probability between 0 and 1');
      operatingPoints[label] = t;
    }
  }

  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    name,
    version,
    trained: json.trained,
    labels: labels as string[],
    input,
    preprocess: { resize, crop, resample: 'pil-bilinear', scale: [scale[0]!, scale[1]!], mean, std },
    outputs: { probabilities, cam },
    operatingPoints,
  };
  if (typeof json.architecture === 'string') manifest.architecture = json.architecture;
  if (typeof json.description === 'string') manifest.description = json.description;
  if (isObject(json.provenance)) manifest.provenance = json.provenance;
  return manifest;
}
