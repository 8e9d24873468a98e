/**
 * Types for the codec packages, which ship none: the emscripten factories of the @cornerstonejs
 * codecs (embind classes; method names checked against the builds in node_modules) and
 * jpeg-lossless-decoder-js (its package.json names a .d.ts it does not ship).
 */

interface EmscriptenModuleOptions {
  print?: (text: string) => void;
  printErr?: (text: string) => void;
  locateFile?: (path: string, prefix: string) => string;
}

/** Every embind object owns C++ memory until delete() is called. */
interface EmbindObject {
  delete(): void;
}

interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

/** The decoder surface the four codecs share: copy in, decode, read a view of WASM memory. */
interface WasmFrameDecoder extends EmbindObject {
  /** A view of WASM memory sized for the encoded stream; valid until the next call. */
  getEncodedBuffer(length: number): Uint8Array;
  /** A view of WASM memory holding the decoded samples; valid until the next call. */
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CodecFrameInfo;
}

interface WasmFrameEncoder extends EmbindObject {
  getDecodedBuffer(frameInfo: CodecFrameInfo): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
}

interface JpegLsDecoder extends WasmFrameDecoder {
  getInterleaveMode(): number;
  getNearLossless(): number;
}

interface JpegLsEncoder extends WasmFrameEncoder {
  setNearLossless(near: number): void;
  setInterleaveMode(mode: number): void;
}

interface J2kDecoder extends WasmFrameDecoder {
  readHeader(): void;
  getIsReversible(): boolean;
  getColorSpace(): number;
}

interface J2kEncoder extends WasmFrameEncoder {
  setDecompositions(n: number): void;
  setQuality(lossless: boolean, quantizationStep: number): void;
  setCompressionRatio(layer: number, ratio: number): void;
  setBlockDimensions(size: { width: number; height: number }): void;
}

interface HtJ2kEncoder extends WasmFrameEncoder {
  setDecompositions(n: number): void;
  setQuality(lossless: boolean, quantizationStep: number): void;
  setBlockDimensions(size: { width: number; height: number }): void;
}

interface LibJpegEncoder extends WasmFrameEncoder {
  setQuality(quality: number): void;
}

interface CharlsModule {
  JpegLSDecoder: new () => JpegLsDecoder;
  JpegLSEncoder?: new () => JpegLsEncoder;
}
interface OpenJpegModule {
  J2KDecoder: new () => J2kDecoder;
  J2KEncoder?: new () => J2kEncoder;
}
interface OpenJphModule {
  HTJ2KDecoder: new () => J2kDecoder;
  HTJ2KEncoder: new () => HtJ2kEncoder;
}
interface LibJpegTurboModule {
  JPEGDecoder: new () => WasmFrameDecoder;
  JPEGEncoder?: new () => LibJpegEncoder;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (options?: EmscriptenModuleOptions) => Promise<CharlsModule>;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/wasmjs' {
  const factory: (options?: EmscriptenModuleOptions) => Promise<Required<CharlsModule>>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (options?: EmscriptenModuleOptions) => Promise<OpenJpegModule>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/wasmjs' {
  const factory: (options?: EmscriptenModuleOptions) => Promise<Required<OpenJpegModule>>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: (options?: EmscriptenModuleOptions) => Promise<OpenJphModule>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (options?: EmscriptenModuleOptions) => Promise<LibJpegTurboModule>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs' {
  const factory: (options?: EmscriptenModuleOptions) => Promise<Required<LibJpegTurboModule>>;
  export default factory;
}

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor(buffer?: ArrayBuffer | null, numBytes?: number);
    /** numBytes: bytes per output sample (1 or 2). Returns the samples, interleaved. */
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
    numComp: number;
    xDim: number;
    yDim: number;
    precision: number | undefined;
  }
}
