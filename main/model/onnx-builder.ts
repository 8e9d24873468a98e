/**
 * A small ONNX graph builder over onnx-proto's generated protobuf classes: initializers, nodes, graph
 * inputs/outputs with shapes (a string dimension is symbolic, e.g. "batch"), serialised as an
 * opset-17 model. It exists so the project can write models itself (the untrained demo model, tiny
 * test models) without Python; the ONNX format is onnx-proto's, only the bookkeeping is ours.
 *
 * It checks what a typo would otherwise turn into an opaque onnxruntime error: every node input must
 * name a value defined before it, and every name is defined once.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

// onnx-proto is a CommonJS module whose only export is the `onnx` namespace object.
const { onnx } = onnxProto;
export { onnx };

export const OPSET = 17;
/** IR version 8 is the one that goes with opset 17 (onnx 1.12). */
export const IR_VERSION = 8;

export type Dim = number | string;
export type ElemType = 'float32' | 'int64';

const elemTypeCode: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

/** A typed attribute value: ONNX tells INT from FLOAT, which a JS number cannot. */
export type AttrValue =
  | { type: 'int'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'float'; value: number }
  | { type: 'floats'; value: number[] }
  | { type: 'string'; value: string };

export const attr = {
  int: (value: number): AttrValue => ({ type: 'int', value }),
  ints: (value: number[]): AttrValue => ({ type: 'ints', value }),
  float: (value: number): AttrValue => ({ type: 'float', value }),
  floats: (value: number[]): AttrValue => ({ type: 'floats', value }),
  string: (value: string): AttrValue => ({ type: 'string', value }),
};

export interface ModelMeta {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Written as the model's metadata_props (shown by Netron, readable by onnxruntime). */
  metadata?: Record<string, string>;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** ONNX raw_data is little-endian whatever the host is. */
function rawBytes(data: Float32Array | BigInt64Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return out;
}

function valueInfo(name: string, elemType: ElemType, shape: Dim[]): OnnxTypes.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: elemTypeCode[elemType],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function attributeProto(name: string, a: AttrValue): OnnxTypes.AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int':
      return onnx.AttributeProto.create({ name, type: T.INT, i: a.value });
    case 'ints':
      return onnx.AttributeProto.create({ name, type: T.INTS, ints: a.value });
    case 'float':
      return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.value });
    case 'floats':
      return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: a.value });
    case 'string':
      return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(a.value) });
  }
}

export class OnnxGraphBuilder {
  private readonly inputs: OnnxTypes.ValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.ValueInfoProto[] = [];
  private readonly initializers: OnnxTypes.TensorProto[] = [];
  private readonly nodes: OnnxTypes.NodeProto[] = [];
  private readonly defined = new Set<string>();
  private readonly outputNames = new Set<string>();
  private counter = 0;

  constructor(readonly graphName: string) {}

  private define(name: string): void {
    if (!name) throw new Error('ONNX value names must not be empty');
    if (this.defined.has(name)) throw new Error(`ONNX value "${name}" is defined twice`);
    this.defined.add(name);
  }

  /** True when `name` is a graph input, an initializer or a node output already added. */
  has(name: string): boolean {
    return this.defined.has(name);
  }

  /** A fresh value name starting with `prefix`. */
  uniqueName(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.defined.has(name));
    return name;
  }

  addInput(name: string, shape: Dim[], elemType: ElemType = 'float32'): string {
    this.define(name);
    this.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  /** Declares an existing value (or one a later node will produce) as a graph output. */
  addOutput(name: string, shape: Dim[], elemType: ElemType = 'float32'): string {
    if (this.outputNames.has(name)) throw new Error(`ONNX output "${name}" is declared twice`);
    this.outputNames.add(name);
    this.outputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  /** A float32 or int64 constant tensor of shape `dims`. */
  addInitializer(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw new Error(`initializer "${name}": ${data.length} values for shape [${dims.join(', ')}]`);
    this.define(name);
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: data instanceof Float32Array ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.INT64,
        rawData: rawBytes(data),
      }),
    );
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, pads). */
  addInt64s(name: string, values: number[]): string {
    return this.addInitializer(name, [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /** A node with explicitly named outputs. Returns the output names. */
  addNode(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): string[] {
    for (const input of inputs) {
      // '' is ONNX's way to leave an optional input out.
      if (input !== '' && !this.defined.has(input)) throw new Error(`${opType} node ${name ?? ''}: input "${input}" is not defined yet`);
    }
    for (const output of outputs) this.define(output);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: outputs,
        name: name ?? outputs[0]!,
        attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
      }),
    );
    return outputs;
  }

  /** A node with one output; named `output`, or a fresh name derived from the op type. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.addNode(opType, inputs, [output ?? this.uniqueName(opType)], attrs)[0]!;
  }

  toModelProto(meta: ModelMeta = {}): OnnxTypes.ModelProto {
    for (const out of this.outputs) {
      if (!this.defined.has(out.name)) throw new Error(`ONNX output "${out.name}" is never produced`);
    }
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: meta.producerName ?? 'chexdesk',
      producerVersion: meta.producerVersion ?? '',
      docString: meta.docString ?? '',
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }

  /** The serialised model (the bytes of a .onnx file). */
  toBytes(meta: ModelMeta = {}): Uint8Array {
    return onnx.ModelProto.encode(this.toModelProto(meta)).finish();
  }
}

type Scalar = string | number | boolean | Uint8Array | { low: number; high: number; unsigned: boolean };
type DecodedItem<U> = U extends Scalar ? U : Decoded<U>;
/**
 * A message as protobufjs decodes it: repeated fields are arrays and scalars have their defaults
 * (never undefined), while a sub-message that is absent stays null. The generated typings mark every
 * field optional, which would force a `?.` on each array access in readers.
 */
export type Decoded<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends (infer U)[] ? DecodedItem<U>[] : NonNullable<T[K]> extends Scalar ? NonNullable<T[K]> : Decoded<NonNullable<T[K]>> | null;
};
export type DecodedModel = Decoded<OnnxTypes.IModelProto>;
export type DecodedNode = Decoded<OnnxTypes.INodeProto>;
export type DecodedTensor = Decoded<OnnxTypes.ITensorProto>;

/** Parses the bytes of a .onnx file. */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  return onnx.ModelProto.decode(bytes) as unknown as DecodedModel;
}

/** The values of a float32 initializer, whichever field holds them. */
export function tensorFloats(t: OnnxTypes.ITensorProto): Float32Array {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) throw new Error(`tensor "${t.name}" is not float32`);
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const out = new Float32Array(t.rawData.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  return Float32Array.from(t.floatData ?? []);
}

/** The dims of a tensor as plain numbers (protobufjs may give Long objects for int64). */
export function tensorDims(t: OnnxTypes.ITensorProto): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}
