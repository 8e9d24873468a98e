/**
 * The DenseNet121 graph of torchvision (growth 32, blocks 6/12/24/16, bottleneck 4x, 64 initial
 * features) with CheXNet's classifier Linear(1024, labels) + Sigmoid, as ONNX. Parameter names are
 * those of arnoweng/CheXNet's state dict ("densenet121.features.denseblock1.denselayer1.norm1.weight"),
 * so the file reads like the PyTorch model it mirrors.
 *
 * Outputs: "probabilities" [batch, labels] and "cam" [batch, labels, 7, 7], the classifier weights
 * applied to the final ReLU'd feature map (no bias, no sigmoid), computed as a 1x1 Conv whose weight
 * is the Linear weight reshaped in the graph (so the weights are stored once).
 *
 * The calibration build replaces every BatchNormalization's running statistics by the statistics of
 * the batch being run, and exposes them as extra outputs: one run over a batch of images then yields
 * the running mean/var of every BN exactly as calibrating them one after another would (each BN
 * normalises with the statistics of its own input, which depend on the BNs before it).
 */
import { OnnxGraphBuilder, attr, type ModelMeta } from './onnx-builder';

export const DENSENET121 = {
  growthRate: 32,
  blockConfig: [6, 12, 24, 16] as const,
  bnSize: 4,
  numInitFeatures: 64,
  inputSize: 224,
  /** torch.nn.BatchNorm2d's default. */
  bnEpsilon: 1e-5,
} as const;

export const INPUT_NAME = 'input';
export const PROBABILITIES_OUTPUT = 'probabilities';
export const CAM_OUTPUT = 'cam';
/** Pooled 1024-d features (after norm5, ReLU, global average pool): only in the calibration build. */
export const POOLED_OUTPUT = 'pooled_features';

export type ParamRole = 'conv.weight' | 'bn.weight' | 'bn.bias' | 'bn.running_mean' | 'bn.running_var' | 'linear.weight' | 'linear.bias';

/** Supplies the values of a parameter; called in a fixed order (the graph's), once per parameter. */
export type ParamSource = (name: string, shape: number[], role: ParamRole) => Float32Array;

export interface BnStatOutputs {
  /** The BN's parameter prefix, e.g. "densenet121.features.norm0". */
  prefix: string;
  channels: number;
  /** Graph outputs holding the batch mean and variance, each [channels]. */
  mean: string;
  var: string;
}

export interface DenseNetBuild {
  bytes: Uint8Array;
  /** Calibration build only: one entry per BatchNormalization, in graph order. */
  bnStats: BnStatOutputs[];
}

export interface DenseNetOptions {
  numClasses: number;
  /** Build the calibration variant (batch statistics, extra outputs, no classifier). */
  calibration?: boolean;
  /**
   * Calibration build only: a channel's variance is raised to at least this fraction of its layer's
   * mean variance, so a channel that barely varies on the calibration images cannot be amplified
   * hundreds of times (1/sqrt(eps)) when a real image does move it.
   */
  varianceFloor?: number;
  meta?: ModelMeta;
}

const P = 'densenet121.';

export function buildDenseNet121(param: ParamSource, opts: DenseNetOptions): DenseNetBuild {
  const { growthRate, blockConfig, bnSize, numInitFeatures, inputSize, bnEpsilon } = DENSENET121;
  const calibration = opts.calibration ?? false;
  const varianceFloor = opts.varianceFloor ?? 0.01;
  const g = new OnnxGraphBuilder('densenet121');
  const bnStats: BnStatOutputs[] = [];
  if (calibration) {
    g.addInt64s('calib.flat_shape', [-1]);
    g.addInitializer('calib.variance_floor', [1], new Float32Array([varianceFloor]));
  }

  const weight = (name: string, shape: number[], role: ParamRole): string => {
    const data = param(name, shape, role);
    return g.addInitializer(name, shape, data);
  };

  const conv = (x: string, name: string, inC: number, outC: number, k: number, stride: number, pad: number): string =>
    g.op(
      'Conv',
      [x, weight(`${P}${name}.weight`, [outC, inC, k, k], 'conv.weight')],
      { kernel_shape: attr.ints([k, k]), strides: attr.ints([stride, stride]), pads: attr.ints([pad, pad, pad, pad]), dilations: attr.ints([1, 1]), group: attr.int(1) },
      name,
    );

  const bn = (x: string, name: string, channels: number): string => {
    const prefix = `${P}${name}`;
    const gamma = weight(`${prefix}.weight`, [channels], 'bn.weight');
    const beta = weight(`${prefix}.bias`, [channels], 'bn.bias');
    let mean: string;
    let variance: string;
    if (calibration) {
      const axes = { axes: attr.ints([0, 2, 3]), keepdims: attr.int(1) };
      const m4 = g.op('ReduceMean', [x], axes, `${name}.batch_mean4`);
      const centred = g.op('Sub', [x, m4], {}, `${name}.centred`);
      const v4 = g.op('ReduceMean', [g.op('Mul', [centred, centred], {}, `${name}.sq`)], axes, `${name}.batch_var4`);
      const layerMean = g.op('ReduceMean', [v4], { axes: attr.ints([1]), keepdims: attr.int(1) }, `${name}.layer_var`);
      const floor = g.op('Mul', [layerMean, 'calib.variance_floor'], {}, `${name}.var_floor`);
      const v4floored = g.op('Max', [v4, floor], {}, `${name}.batch_var4_floored`);
      mean = g.op('Reshape', [m4, 'calib.flat_shape'], {}, `${prefix}.running_mean`);
      variance = g.op('Reshape', [v4floored, 'calib.flat_shape'], {}, `${prefix}.running_var`);
      g.addOutput(mean, [channels]);
      g.addOutput(variance, [channels]);
      bnStats.push({ prefix, channels, mean, var: variance });
    } else {
      mean = weight(`${prefix}.running_mean`, [channels], 'bn.running_mean');
      variance = weight(`${prefix}.running_var`, [channels], 'bn.running_var');
    }
    return g.op('BatchNormalization', [x, gamma, beta, mean, variance], { epsilon: attr.float(bnEpsilon) }, name);
  };

  const relu = (x: string, name: string): string => g.op('Relu', [x], {}, name);

  g.addInput(INPUT_NAME, ['batch', 3, inputSize, inputSize]);

  let x = conv(INPUT_NAME, 'features.conv0', 3, numInitFeatures, 7, 2, 3);
  x = relu(bn(x, 'features.norm0', numInitFeatures), 'features.relu0');
  x = g.op('MaxPool', [x], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) }, 'features.pool0');

  let channels = numInitFeatures;
  blockConfig.forEach((numLayers, b) => {
    const block = `features.denseblock${b + 1}`;
    // torchvision's _DenseBlock: every layer reads the concatenation of all earlier outputs.
    const features = [x];
    for (let l = 0; l < numLayers; l++) {
      const layer = `${block}.denselayer${l + 1}`;
      const inC = channels + l * growthRate;
      const cat = g.op('Concat', [...features], { axis: attr.int(1) }, `${layer}.cat`);
      let y = relu(bn(cat, `${layer}.norm1`, inC), `${layer}.relu1`);
      y = conv(y, `${layer}.conv1`, inC, bnSize * growthRate, 1, 1, 0);
      y = relu(bn(y, `${layer}.norm2`, bnSize * growthRate), `${layer}.relu2`);
      y = conv(y, `${layer}.conv2`, bnSize * growthRate, growthRate, 3, 1, 1);
      features.push(y);
    }
    channels += numLayers * growthRate;
    x = g.op('Concat', features, { axis: attr.int(1) }, `${block}.cat`);
    if (b !== blockConfig.length - 1) {
      const t = `features.transition${b + 1}`;
      x = relu(bn(x, `${t}.norm`, channels), `${t}.relu`);
      x = conv(x, `${t}.conv`, channels, channels / 2, 1, 1, 0);
      x = g.op('AveragePool', [x], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }, `${t}.pool`);
      channels /= 2;
    }
  });
  x = bn(x, 'features.norm5', channels);
  // CheXNet's forward: F.relu(features) -> adaptive_avg_pool2d(1) -> flatten -> classifier.
  const featureMap = relu(x, 'relu');
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [featureMap], {}, 'avgpool')], { axis: attr.int(1) }, calibration ? POOLED_OUTPUT : 'flatten');

  if (calibration) {
    g.addOutput(POOLED_OUTPUT, ['batch', channels]);
  } else {
    const n = opts.numClasses;
    const w = weight(`${P}classifier.0.weight`, [n, channels], 'linear.weight');
    const bias = weight(`${P}classifier.0.bias`, [n], 'linear.bias');
    const logits = g.op('Gemm', [pooled, w, bias], { alpha: attr.float(1), beta: attr.float(1), transB: attr.int(1) }, 'classifier.0');
    g.op('Sigmoid', [logits], {}, PROBABILITIES_OUTPUT);
    g.addInt64s('cam.weight_shape', [n, channels, 1, 1]);
    const camWeight = g.op('Reshape', [w, 'cam.weight_shape'], {}, 'cam.weight');
    g.op('Conv', [featureMap, camWeight], { kernel_shape: attr.ints([1, 1]) }, CAM_OUTPUT);
    const grid = inputSize / 32;
    g.addOutput(PROBABILITIES_OUTPUT, ['batch', n]);
    g.addOutput(CAM_OUTPUT, ['batch', n, grid, grid]);
  }
  return { bytes: g.toBytes(opts.meta), bnStats };
}
