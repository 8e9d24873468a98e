/**
 * Where the image sits on the screen: fit-to-window scale times the user's zoom, a pan in CSS pixels,
 * quarter-turn rotation and flips. Flips act on the screen axes (Flip H always mirrors left-right as
 * seen, whatever the rotation), which is what a reader expects from the buttons.
 */
export interface ViewState {
  zoom: number;
  panX: number;
  panY: number;
  /** Quarter turns clockwise, 0..3. */
  rotation: number;
  flipH: boolean;
  flipV: boolean;
}

export const IDENTITY_VIEW: ViewState = { zoom: 1, panX: 0, panY: 0, rotation: 0, flipH: false, flipV: false };

export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 64;

export function fitScale(view: Pick<ViewState, 'rotation'>, imageW: number, imageH: number, viewW: number, viewH: number): number {
  const turned = view.rotation % 2 === 1;
  const w = turned ? imageH : imageW;
  const h = turned ? imageW : imageH;
  if (w <= 0 || h <= 0 || viewW <= 0 || viewH <= 0) return 1;
  return Math.min(viewW / w, viewH / h);
}

/** Image pixel coordinates -> CSS pixels of the viewport. */
export function imageToScreen(view: ViewState, imageW: number, imageH: number, viewW: number, viewH: number): DOMMatrix {
  const s = fitScale(view, imageW, imageH, viewW, viewH) * view.zoom;
  return new DOMMatrix()
    .translate(viewW / 2 + view.panX, viewH / 2 + view.panY)
    .scale(view.flipH ? -1 : 1, view.flipV ? -1 : 1)
    .rotate(view.rotation * 90)
    .scale(s, s)
    .translate(-imageW / 2, -imageH / 2);
}

/** Screen pixels per image pixel. */
export function screenScale(view: ViewState, imageW: number, imageH: number, viewW: number, viewH: number): number {
  return fitScale(view, imageW, imageH, viewW, viewH) * view.zoom;
}

/** The view zoomed by `factor` keeping the image point under (x, y) where it is. */
export function zoomAround(view: ViewState, factor: number, x: number, y: number, imageW: number, imageH: number, viewW: number, viewH: number): ViewState {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.zoom * factor));
  const before = imageToScreen(view, imageW, imageH, viewW, viewH);
  const p = before.inverse().transformPoint(new DOMPoint(x, y));
  const next = { ...view, zoom };
  const q = imageToScreen(next, imageW, imageH, viewW, viewH).transformPoint(p);
  return { ...next, panX: view.panX + (x - q.x), panY: view.panY + (y - q.y) };
}

export function rotate(view: ViewState, quarterTurns: number): ViewState {
  // A rotation on screen under a mirror turns the other way in image space.
  const dir = view.flipH !== view.flipV ? -1 : 1;
  return { ...view, rotation: (((view.rotation + dir * quarterTurns) % 4) + 4) % 4 };
}
