/**
 * The image viewer: one canvas, painted from a full-resolution RGBA copy of the frame (remapped only
 * when the window changes) through the view transform, with the heatmap drawn in the same image
 * coordinates. Pointer input is coalesced to one paint per animation frame.
 *
 * Mouse: left-drag pans (or sets W/L in W/L mode, or with Shift), right-drag sets W/L, wheel zooms
 * around the cursor, double-click fits.
 */
import type { FrameResult, Heatmap, ImageInfo } from '../../main/api';
import type { ErrorInfo } from '../../main/error-info';
import type { GrayFrame, Voi } from '../../main/image/types';
import { modalityValue } from '../../main/image/render8';
import { h, perFrame, setChildren } from '../dom';
import { formatDicomDate, formatPersonName, formatValue, baseName } from '../format';
import { grayFrameOf, mapGray, mapRgb, modalityRange, windowFromTable } from './display-lut';
import { HALF_RES_MIN_PIXELS, halveFrame } from './half-res';
import { heatmapCanvas, type HeatmapStyle } from './heatmap-layer';
import { isHounsfield, presetsFor, windowVoi, type Preset } from './presets';
import { IDENTITY_VIEW, imageToScreen, rotate, screenScale, zoomAround, type ViewState } from './view-transform';

export interface ViewerCallbacks {
  /** The user moved the frame slider of a multi-frame image. */
  onFrameRequest(frame: number): void;
}

interface Loaded {
  result: FrameResult;
  info: ImageInfo;
  gray: GrayFrame | null;
  rgb: Uint8Array | null;
  width: number;
  height: number;
  presets: Preset[];
  /** Modality value range, for W/L drag sensitivity and the full-range preset. */
  range: { lo: number; hi: number };
}

type DragMode = 'pan' | 'wl';

const WHEEL_STEP = 1.0015;

export class Viewer {
  readonly root: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly src = document.createElement('canvas');
  private srcImage: ImageData | null = null;
  private srcWords: Uint32Array | null = null;
  /** The half-resolution copy used during a W/L drag on a large frame (half-res.ts). */
  private half: { frame: GrayFrame; canvas: HTMLCanvasElement; image: ImageData; words: Uint32Array } | null = null;
  /** The full-resolution copy does not show the current window (the drag drew the half one). */
  private fullStale = false;

  private loaded: Loaded | null = null;
  private voi: Voi | null = null;
  private presetId: string | null = 'default';
  private inverted = false;
  private view: ViewState = { ...IDENTITY_VIEW };
  private heat: { map: Heatmap; canvas: HTMLCanvasElement } | null = null;
  private heatOpacity = 0.5;
  private heatStyle: HeatmapStyle = { colorMap: 'inferno', threshold: 0.2 };
  private leftTool: DragMode = 'pan';

  private needsRemap = false;
  /** Pointer moves and state changes coalesce into one paint per frame. */
  private readonly schedule = perFrame(() => this.paint());
  private interacting = false;
  private settleTimer = 0;
  private cursor: { x: number; y: number } | null = null;
  private drag: { mode: DragMode; x: number; y: number; pointerId: number } | null = null;
  private cssW = 0;
  private cssH = 0;

  // Overlay and toolbar parts.
  private readonly tl = h('div', { class: 'ov ov-tl', testid: 'overlay-patient' });
  private readonly tr = h('div', { class: 'ov ov-tr', testid: 'overlay-study' });
  private readonly bl = h('div', { class: 'ov ov-bl' });
  private readonly br = h('div', { class: 'ov ov-br' });
  private readonly readout = h('div', { class: 'ov-line', testid: 'pixel-readout' });
  private readonly sizeLine = h('div', { class: 'ov-line dim' });
  private readonly wlValue = h('div', { class: 'ov-line wl', testid: 'wl-value' });
  private readonly zoomLine = h('div', { class: 'ov-line dim', testid: 'zoom-value' });
  private readonly frameLine = h('div', { class: 'ov-line dim' });
  private readonly message = h('div', { class: 'viewer-message hidden' });
  private readonly busy = h('div', { class: 'viewer-busy hidden', testid: 'viewer-busy' }, h('span', { class: 'spinner' }), 'Decoding…');
  private readonly presetSelect = h('select', { class: 'tb-select', testid: 'wl-preset', title: 'Window preset (1–9)' });
  private readonly widthInput = h('input', { type: 'number', class: 'tb-num', testid: 'wl-width', title: 'Window width (modality units)', step: 'any' });
  private readonly centerInput = h('input', { type: 'number', class: 'tb-num', testid: 'wl-center', title: 'Window level / center (modality units)', step: 'any' });
  private readonly invertButton: HTMLButtonElement;
  private readonly toolButton: HTMLButtonElement;
  private readonly frameSlider = h('input', { type: 'range', class: 'tb-range', testid: 'frame-slider', min: 0, max: 0, value: 0, title: 'Frame' });
  private readonly frameLabel = h('span', { class: 'tb-label', testid: 'frame-label' });
  private readonly frameGroup: HTMLElement;
  private readonly toolbar: HTMLElement;

  constructor(private readonly cb: ViewerCallbacks) {
    this.canvas = h('canvas', { class: 'viewer-canvas', testid: 'viewer-canvas' });
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas');
    this.ctx = ctx;

    const button = (label: string, title: string, testid: string, action: () => void) =>
      h('button', { class: 'tb-btn', title, testid, type: 'button', onclick: () => action() }, label);
    this.invertButton = button('Invert', 'Invert (I)', 'invert-button', () => this.toggleInvert());
    this.toolButton = button('Drag: Pan', 'What the left mouse button does (right-drag is always W/L)', 'drag-tool', () => this.setLeftTool(this.leftTool === 'pan' ? 'wl' : 'pan'));
    this.frameGroup = h('div', { class: 'tb-group hidden' }, h('span', { class: 'tb-label' }, 'Frame'), this.frameSlider, this.frameLabel);

    this.presetSelect.addEventListener('change', () => this.applyPreset(this.presetSelect.value));
    const onWindowInput = () => {
      const w = Number(this.widthInput.value);
      const c = Number(this.centerInput.value);
      if (this.widthInput.value !== '' && this.centerInput.value !== '' && Number.isFinite(w) && Number.isFinite(c) && w > 0) this.setWindow(c, w);
    };
    this.widthInput.addEventListener('change', onWindowInput);
    this.centerInput.addEventListener('change', onWindowInput);
    this.frameSlider.addEventListener('input', () => {
      this.frameLabel.textContent = `${Number(this.frameSlider.value) + 1} / ${Number(this.frameSlider.max) + 1}`;
      this.cb.onFrameRequest(Number(this.frameSlider.value));
    });

    this.toolbar = h(
      'div',
      { class: 'viewer-toolbar', testid: 'viewer-toolbar' },
      h('div', { class: 'tb-group' }, h('span', { class: 'tb-label' }, 'Window'), this.presetSelect, h('span', { class: 'tb-label' }, 'W'), this.widthInput, h('span', { class: 'tb-label' }, 'L'), this.centerInput),
      h('div', { class: 'tb-group' }, this.invertButton),
      h(
        'div',
        { class: 'tb-group' },
        button('⟲', 'Rotate left ([)', 'rotate-left', () => this.rotateBy(-1)),
        button('⟳', 'Rotate right (])', 'rotate-right', () => this.rotateBy(1)),
        button('⇆', 'Flip horizontal', 'flip-h', () => this.flip('h')),
        button('⇅', 'Flip vertical', 'flip-v', () => this.flip('v')),
      ),
      h(
        'div',
        { class: 'tb-group' },
        button('Fit', 'Fit to window (F)', 'fit-button', () => this.fit()),
        button('1:1', 'One image pixel per screen pixel', 'actual-size', () => this.actualSize()),
        this.toolButton,
        button('Reset', 'Reset window, zoom, rotation (R)', 'reset-button', () => this.reset()),
      ),
      this.frameGroup,
    );

    this.stage = h(
      'div',
      { class: 'viewer-stage', testid: 'viewer-stage' },
      this.canvas,
      h('div', { class: 'ov-layer' }, this.tl, this.tr, this.bl, this.br),
      this.message,
      this.busy,
    );
    setChildren(this.bl, this.readout, this.sizeLine);
    setChildren(this.br, this.wlValue, this.zoomLine, this.frameLine);
    this.root = h('section', { class: 'viewer', testid: 'viewer' }, this.toolbar, this.stage);

    this.bindPointer();
    new ResizeObserver(() => this.resize()).observe(this.stage);
    this.showEmpty('Open a folder, then pick an image on the left.');
  }

  // ─── what is shown ──────────────────────────────────────────────────────────────────────────

  showEmpty(text: string): void {
    this.unload();
    this.setMessage('empty', null, text);
  }

  showLoading(show: boolean): void {
    this.busy.classList.toggle('hidden', !show);
  }

  showError(info: ErrorInfo, path?: string): void {
    this.unload();
    this.setMessage('error', info, path ? baseName(path) : undefined);
  }

  /** Shows a decoded frame. The same image at another frame keeps the window and the view. */
  showFrame(result: FrameResult): void {
    const same = this.loaded?.result.path === result.path;
    const header = result.header;
    const gray = header.kind === 'gray' ? grayFrameOf(result) : null;
    const rgb = header.kind === 'rgb' ? (result.pixels as Uint8Array) : null;
    const width = header.columns;
    const height = header.rows;
    const presets = gray ? presetsFor(gray, result.info) : [];
    const range = gray ? modalityRange(gray) : { lo: 0, hi: 255 };
    this.loaded = { result, info: result.info, gray, rgb, width, height, presets, range };
    if (!same) {
      this.view = { ...IDENTITY_VIEW };
      this.inverted = false;
      this.presetId = 'default';
      this.voi = gray ? gray.voi : null;
      this.heat = null;
    } else if (this.presetId === 'default' && gray) {
      // Each frame may carry its own default window.
      this.voi = gray.voi;
    }
    this.setMessage(null);
    this.canvas.dataset.path = result.path;
    this.canvas.dataset.frame = String(result.frame);
    this.half = null;
    this.fullStale = false;
    this.allocSource(width, height);
    this.fillPresets();
    this.fillOverlay();
    this.syncFrameControls();
    this.needsRemap = true;
    this.schedule();
  }

  private unload(): void {
    this.loaded = null;
    this.half = null;
    this.fullStale = false;
    delete this.canvas.dataset.path;
    delete this.canvas.dataset.frame;
    this.heat = null;
    this.srcImage = null;
    this.srcWords = null;
    this.src.width = this.src.height = 1;
    for (const el of [this.tl, this.tr]) el.replaceChildren();
    for (const el of [this.readout, this.sizeLine, this.wlValue, this.zoomLine, this.frameLine]) el.textContent = '';
    this.presetSelect.replaceChildren();
    this.widthInput.value = '';
    this.centerInput.value = '';
    this.frameGroup.classList.add('hidden');
    this.toolbar.classList.add('disabled');
    this.schedule();
  }

  private setMessage(kind: 'error' | 'empty' | null, info?: ErrorInfo | null, text?: string): void {
    this.message.className = `viewer-message${kind ? ` ${kind}` : ' hidden'}`;
    this.message.removeAttribute('data-testid');
    this.message.replaceChildren();
    this.canvas.classList.toggle('hidden', kind === 'error');
    if (kind === 'error' && info) {
      this.message.dataset.testid = 'error-message';
      this.message.dataset.code = info.code;
      setChildren(
        this.message,
        h('div', { class: 'msg-title' }, 'This image cannot be shown'),
        text ? h('div', { class: 'msg-file' }, text) : null,
        h('div', { class: 'msg-reason' }, info.reason),
        h('div', { class: 'msg-code' }, info.code),
      );
    } else if (kind === 'empty') {
      this.message.append(h('div', { class: 'msg-empty' }, text ?? ''));
    }
  }

  // ─── heatmap ────────────────────────────────────────────────────────────────────────────────

  setHeatmap(map: Heatmap | null): void {
    if (map && this.loaded && map.path !== this.loaded.result.path) return;
    this.heat = map ? { map, canvas: heatmapCanvas(map, this.heatStyle) } : null;
    this.canvas.dataset.heatmap = map ? map.label : '';
    this.schedule();
  }

  setHeatmapOpacity(opacity: number): void {
    this.heatOpacity = Math.min(1, Math.max(0, opacity));
    this.schedule();
  }

  setHeatmapStyle(style: Partial<HeatmapStyle>): void {
    this.heatStyle = { ...this.heatStyle, ...style };
    if (this.heat) this.heat = { map: this.heat.map, canvas: heatmapCanvas(this.heat.map, this.heatStyle) };
    this.schedule();
  }

  // ─── commands (buttons, keys, menu) ─────────────────────────────────────────────────────────

  toggleInvert(): void {
    if (!this.loaded) return;
    this.inverted = !this.inverted;
    this.needsRemap = true;
    this.syncWindowControls();
    this.schedule();
  }

  reset(): void {
    if (!this.loaded) return;
    this.view = { ...IDENTITY_VIEW };
    this.inverted = false;
    this.applyPreset('default');
  }

  fit(): void {
    this.view = { ...this.view, zoom: 1, panX: 0, panY: 0 };
    this.schedule();
  }

  actualSize(): void {
    if (!this.loaded) return;
    const s = screenScale({ ...this.view, zoom: 1 }, this.loaded.width, this.loaded.height, this.cssW, this.cssH);
    this.view = { ...this.view, zoom: 1 / (s * devicePixelRatio), panX: 0, panY: 0 };
    this.schedule();
  }

  zoomBy(factor: number): void {
    this.view = zoomAround(this.view, factor, this.cssW / 2, this.cssH / 2, this.loaded?.width ?? 1, this.loaded?.height ?? 1, this.cssW, this.cssH);
    this.schedule();
  }

  rotateBy(quarterTurns: number): void {
    this.view = rotate(this.view, quarterTurns);
    this.schedule();
  }

  flip(axis: 'h' | 'v'): void {
    this.view = axis === 'h' ? { ...this.view, flipH: !this.view.flipH } : { ...this.view, flipV: !this.view.flipV };
    this.schedule();
  }

  applyPreset(id: string): void {
    const loaded = this.loaded;
    if (!loaded) return;
    const preset = loaded.presets.find((p) => p.id === id);
    if (!preset && loaded.gray) return;
    this.voi = preset ? preset.voi : null;
    this.presetId = preset ? id : 'default';
    this.needsRemap = true;
    this.syncWindowControls();
    this.schedule();
  }

  /** Presets by position (keys 1..9). */
  applyPresetIndex(index: number): void {
    const p = this.loaded?.presets[index];
    if (p) this.applyPreset(p.id);
  }

  setWindow(center: number, width: number): void {
    if (!this.loaded) return;
    const fn = this.voi?.kind === 'window' ? this.voi.fn : 'LINEAR';
    this.voi = windowVoi(center, width, fn);
    this.presetId = null;
    this.needsRemap = true;
    this.syncWindowControls();
    this.schedule();
  }

  setLeftTool(mode: DragMode): void {
    this.leftTool = mode;
    this.toolButton.textContent = mode === 'pan' ? 'Drag: Pan' : 'Drag: W/L';
    this.toolButton.classList.toggle('active', mode === 'wl');
  }

  /** The current window in modality units (a VOI LUT table reads as its equivalent window). */
  currentWindow(): { center: number; width: number } | null {
    const voi = this.voi;
    if (!voi) return this.loaded?.rgb ? { center: 127.5, width: 256 } : null;
    return voi.kind === 'window' ? { center: voi.center, width: voi.width } : windowFromTable(voi);
  }

  // ─── painting ───────────────────────────────────────────────────────────────────────────────

  private allocSource(w: number, h: number): void {
    if (this.src.width !== w || this.src.height !== h || !this.srcImage) {
      this.src.width = w;
      this.src.height = h;
      const sctx = this.src.getContext('2d')!;
      this.srcImage = sctx.createImageData(w, h);
      this.srcWords = new Uint32Array(this.srcImage.data.buffer);
    }
  }

  private resize(): void {
    const r = this.stage.getBoundingClientRect();
    this.cssW = Math.max(1, r.width);
    this.cssH = Math.max(1, r.height);
    const dpr = devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.cssW * dpr));
    const hh = Math.max(1, Math.round(this.cssH * dpr));
    if (this.canvas.width !== w || this.canvas.height !== hh) {
      this.canvas.width = w;
      this.canvas.height = hh;
    }
    this.paint();
  }

  private remap(): void {
    const l = this.loaded;
    if (!l || !this.srcImage || !this.srcWords) return;
    if (l.gray) mapGray(l.gray, this.voi ?? l.gray.voi, l.gray.invert !== this.inverted, this.srcWords);
    else if (l.rgb) mapRgb(l.rgb, this.presetId === 'default' ? null : this.voi, this.inverted, this.srcWords);
    this.src.getContext('2d')!.putImageData(this.srcImage, 0, 0);
  }

  private remapHalf(): void {
    const l = this.loaded!;
    const gray = l.gray!;
    if (!this.half) {
      const frame = halveFrame(gray);
      const canvas = document.createElement('canvas');
      canvas.width = frame.columns;
      canvas.height = frame.rows;
      const image = canvas.getContext('2d')!.createImageData(frame.columns, frame.rows);
      this.half = { frame, canvas, image, words: new Uint32Array(image.data.buffer) };
    }
    const hf = this.half;
    mapGray(hf.frame, this.voi ?? gray.voi, gray.invert !== this.inverted, hf.words);
    hf.canvas.getContext('2d')!.putImageData(hf.image, 0, 0);
  }

  /** Paints so far and their summed script time (the e2e W/L benchmark reads both). */
  paints = 0;
  private paintMsTotal = 0;

  private paint(): void {
    const t0 = performance.now();
    const ctx = this.ctx;
    const dpr = devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const l = this.loaded;
    if (!l) return;
    const m = imageToScreen(this.view, l.width, l.height, this.cssW, this.cssH);
    const scale = screenScale(this.view, l.width, l.height, this.cssW, this.cssH) * dpr;
    const useHalf = !!l.gray && this.drag?.mode === 'wl' && scale < 0.5 && l.width * l.height >= HALF_RES_MIN_PIXELS;
    if (this.needsRemap) {
      this.needsRemap = false;
      if (useHalf) this.remapHalf();
      else this.remap();
      this.fullStale = useHalf;
    } else if (this.fullStale && !useHalf) {
      this.remap();
      this.fullStale = false;
    }
    ctx.setTransform(new DOMMatrix().scale(dpr, dpr).multiply(m));
    // Minified: smooth, and at rest with the better (slower) filter. Zoomed in by the user far past
    // fit: show the pixels as they are.
    ctx.imageSmoothingEnabled = !(this.view.zoom > 1 && scale >= 4);
    ctx.imageSmoothingQuality = this.interacting || scale >= 1 ? 'low' : 'high';
    if (this.fullStale && this.half) ctx.drawImage(this.half.canvas, 0, 0, this.half.frame.columns * 2, this.half.frame.rows * 2);
    else ctx.drawImage(this.src, 0, 0);
    if (this.heat) {
      ctx.globalAlpha = this.heatOpacity;
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'low';
      ctx.drawImage(this.heat.canvas, 0, 0, l.width, l.height);
      ctx.globalAlpha = 1;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.paints++;
    this.canvas.dataset.paints = String(this.paints);
    // What the W/L benchmark reads: the cost of this paint in the script (remap + draw calls).
    const ms = performance.now() - t0;
    this.paintMsTotal += ms;
    this.canvas.dataset.paintMs = ms.toFixed(2);
    this.canvas.dataset.paintMsTotal = this.paintMsTotal.toFixed(2);
    // Zoom reads in device pixels: 100% is one image pixel per screen pixel, as the 1:1 button sets.
    this.syncViewOverlay(scale);
    this.updateReadout();
  }

  /** During a drag or wheel the cheaper filter is used; the better one paints once input rests. */
  private touch(): void {
    this.interacting = true;
    clearTimeout(this.settleTimer);
    this.settleTimer = window.setTimeout(() => {
      this.interacting = false;
      this.schedule();
    }, 180);
  }

  // ─── pointer ────────────────────────────────────────────────────────────────────────────────

  private bindPointer(): void {
    const c = this.stage;
    c.addEventListener('contextmenu', (e) => e.preventDefault());
    c.addEventListener('pointerdown', (e) => {
      if (!this.loaded) return;
      const mode: DragMode | null = e.button === 2 ? 'wl' : e.button === 0 ? (e.shiftKey || this.leftTool === 'wl' ? 'wl' : 'pan') : e.button === 1 ? 'pan' : null;
      if (!mode) return;
      e.preventDefault();
      try {
        c.setPointerCapture(e.pointerId);
      } catch {
        // A pointer the browser no longer tracks (or a synthetic one): the drag still works inside the stage.
      }
      this.drag = { mode, x: e.clientX, y: e.clientY, pointerId: e.pointerId };
      this.stage.classList.add(mode === 'wl' ? 'dragging-wl' : 'dragging-pan');
      if (mode === 'wl' && this.voi?.kind === 'table') {
        // A drag starts from the table's equivalent window.
        const w = windowFromTable(this.voi);
        this.voi = windowVoi(w.center, w.width);
      }
    });
    c.addEventListener('pointermove', (e) => {
      const r = this.stage.getBoundingClientRect();
      this.cursor = { x: e.clientX - r.left, y: e.clientY - r.top };
      const d = this.drag;
      if (d && d.pointerId === e.pointerId && this.loaded) {
        // Coalesced events carry every sample since the last one; the sum is the same movement.
        const dx = e.clientX - d.x;
        const dy = e.clientY - d.y;
        d.x = e.clientX;
        d.y = e.clientY;
        this.touch();
        if (d.mode === 'pan') {
          this.view = { ...this.view, panX: this.view.panX + dx, panY: this.view.panY + dy };
        } else {
          this.dragWindow(dx, dy);
        }
      }
      this.schedule();
    });
    const end = (e: PointerEvent) => {
      if (this.drag?.pointerId !== e.pointerId) return;
      this.drag = null;
      this.stage.classList.remove('dragging-wl', 'dragging-pan');
      if (c.hasPointerCapture(e.pointerId)) c.releasePointerCapture(e.pointerId);
      this.schedule();
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('pointerleave', () => {
      if (!this.drag) {
        this.cursor = null;
        this.updateReadout();
      }
    });
    c.addEventListener(
      'wheel',
      (e) => {
        if (!this.loaded) return;
        e.preventDefault();
        const r = this.stage.getBoundingClientRect();
        const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaMode === 2 ? e.deltaY * 400 : e.deltaY;
        this.touch();
        this.view = zoomAround(this.view, Math.pow(WHEEL_STEP, -dy), e.clientX - r.left, e.clientY - r.top, this.loaded.width, this.loaded.height, this.cssW, this.cssH);
        this.schedule();
      },
      { passive: false },
    );
    c.addEventListener('dblclick', () => this.fit());
  }

  private dragWindow(dx: number, dy: number): void {
    const l = this.loaded!;
    const cur = this.currentWindow() ?? { center: (l.range.lo + l.range.hi) / 2, width: l.range.hi - l.range.lo };
    // Sensitivity scales with the image's value range: a 12-bit CR and an 8-bit PNG feel the same.
    const span = Math.max(l.range.hi - l.range.lo, 1);
    const perPixel = span / 600;
    const width = Math.max(cur.width + dx * perPixel, perPixel);
    const center = cur.center + dy * perPixel;
    const fn = this.voi?.kind === 'window' ? this.voi.fn : 'LINEAR';
    this.voi = windowVoi(center, width, fn);
    this.presetId = null;
    this.needsRemap = true;
    this.syncWindowControls();
  }

  // ─── overlay and controls ───────────────────────────────────────────────────────────────────

  private fillPresets(): void {
    const l = this.loaded!;
    const options = l.presets.map((p) => h('option', { value: p.id }, p.name));
    if (l.rgb) options.push(h('option', { value: 'default' }, 'Colour (as stored)'));
    setChildren(this.presetSelect, h('option', { value: '', disabled: true }, 'Custom'), options);
    this.toolbar.classList.remove('disabled');
    this.syncWindowControls();
  }

  private syncWindowControls(): void {
    const w = this.currentWindow();
    this.presetSelect.value = this.presetId ?? '';
    if (w) {
      if (document.activeElement !== this.widthInput) this.widthInput.value = formatValue(round(w.width));
      if (document.activeElement !== this.centerInput) this.centerInput.value = formatValue(round(w.center));
    }
    const unit = this.loaded && isHounsfield(this.loaded.info) ? ' HU' : '';
    if (w) {
      this.wlValue.textContent = `W ${formatValue(round(w.width))}  L ${formatValue(round(w.center))}${unit}${this.voi?.kind === 'table' ? ' (VOI LUT)' : ''}`;
      this.wlValue.dataset.center = String(w.center);
      this.wlValue.dataset.width = String(w.width);
    } else {
      this.wlValue.textContent = '';
    }
    this.invertButton.classList.toggle('active', this.inverted);
    this.invertButton.setAttribute('aria-pressed', String(this.inverted));
    this.canvas.dataset.inverted = String(this.inverted);
  }

  private syncFrameControls(): void {
    const l = this.loaded!;
    const frames = l.info.frames;
    this.frameGroup.classList.toggle('hidden', frames <= 1);
    this.frameSlider.max = String(Math.max(0, frames - 1));
    this.frameSlider.value = String(l.result.frame);
    this.frameLabel.textContent = `${l.result.frame + 1} / ${frames}`;
    this.frameLine.textContent = frames > 1 ? `Frame ${l.result.frame + 1}/${frames}` : '';
  }

  private syncViewOverlay(scale: number): void {
    const parts = [`Zoom ${Math.round(scale * 100)}%`];
    if (this.view.rotation) parts.push(`Rot ${this.view.rotation * 90}°`);
    if (this.view.flipH) parts.push('Flip H');
    if (this.view.flipV) parts.push('Flip V');
    if (this.inverted) parts.push('Inverted');
    this.zoomLine.textContent = parts.join('  ·  ');
  }

  private fillOverlay(): void {
    const l = this.loaded!;
    const d = l.info.dicom;
    const line = (text: string | undefined, cls = 'ov-line') => (text ? h('div', { class: cls }, text) : null);
    if (d) {
      setChildren(
        this.tl,
        line(formatPersonName(d.patientName) || 'Anonymous', 'ov-line strong'),
        line(d.patientId ? `ID ${d.patientId}` : undefined),
        line([d.patientSex, formatDicomDate(d.patientBirthDate) && `b. ${formatDicomDate(d.patientBirthDate)}`].filter(Boolean).join('  ') || undefined),
        line(d.institutionName, 'ov-line dim'),
      );
      setChildren(
        this.tr,
        line([formatDicomDate(d.studyDate), d.studyTime ? d.studyTime.slice(0, 2) + ':' + d.studyTime.slice(2, 4) : ''].filter(Boolean).join(' ') || undefined, 'ov-line strong'),
        line(d.studyDescription),
        line([d.modality, d.viewPosition, d.laterality, d.bodyPartExamined].filter(Boolean).join('  ') || undefined),
        line(d.seriesNumber !== undefined || d.instanceNumber !== undefined ? `Se ${d.seriesNumber ?? '–'}  Im ${d.instanceNumber ?? '–'}` : undefined, 'ov-line dim'),
      );
    } else {
      setChildren(this.tl, line(baseName(l.info.path), 'ov-line strong'), line(l.info.raster ? `${l.info.raster.format.toUpperCase()}, ${l.info.raster.bitDepth}-bit` : undefined, 'ov-line dim'));
      setChildren(this.tr, line(l.info.kind.toUpperCase(), 'ov-line dim'));
    }
    const bits = l.gray ? `${l.gray.bitsStored}-bit${l.gray.signed ? ' signed' : ''}${l.gray.invert ? ', MONOCHROME1' : ''}` : 'RGB';
    this.sizeLine.textContent = `${l.width} × ${l.height}  ${bits}`;
  }

  private updateReadout(): void {
    const l = this.loaded;
    const p = this.cursor;
    if (!l || !p) {
      this.readout.textContent = '';
      return;
    }
    const inv = imageToScreen(this.view, l.width, l.height, this.cssW, this.cssH).inverse();
    const q = inv.transformPoint(new DOMPoint(p.x, p.y));
    const x = Math.floor(q.x);
    const y = Math.floor(q.y);
    if (x < 0 || y < 0 || x >= l.width || y >= l.height) {
      this.readout.textContent = '';
      return;
    }
    const i = y * l.width + x;
    if (l.gray) {
      const sv = l.gray.stored[i]!;
      const mv = modalityValue(l.gray.modality, sv);
      const identity = l.gray.modality.kind === 'linear' && l.gray.modality.slope === 1 && l.gray.modality.intercept === 0;
      const unit = isHounsfield(l.info) ? 'HU' : 'MV';
      this.readout.textContent = identity ? `(${x}, ${y})  Value ${sv}` : `(${x}, ${y})  SV ${sv}  ${unit} ${formatValue(mv)}`;
      this.readout.dataset.stored = String(sv);
      this.readout.dataset.modality = String(mv);
    } else if (l.rgb) {
      const j = i * 3;
      this.readout.textContent = `(${x}, ${y})  RGB ${l.rgb[j]}, ${l.rgb[j + 1]}, ${l.rgb[j + 2]}`;
    }
  }
}

/** Window values shown with sensible precision. */
function round(v: number): number {
  const a = Math.abs(v);
  return a >= 100 ? Math.round(v) : a >= 1 ? Math.round(v * 10) / 10 : Math.round(v * 1000) / 1000;
}
