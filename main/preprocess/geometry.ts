/**
 * Where the model's crops come from, in the arithmetic torchvision 0.14 uses (Resize(int), CenterCrop,
 * TenCrop on PIL images). The preprocessing cuts its crops with these boxes and the class activation
 * maps are placed back onto the image with the same boxes, so both always agree.
 */

export type CropMode = 'center' | 'tencrop';

export interface Size {
  width: number;
  height: number;
}

/**
 * One square crop of the resized image, as torchvision cuts it: (left, top) in the resized image, or,
 * when `flipped`, in its horizontal mirror image (TenCrop's second five).
 */
export interface CropBox {
  left: number;
  top: number;
  size: number;
  flipped: boolean;
}

export interface Geometry {
  mode: CropMode;
  original: Size;
  resized: Size;
  crop: number;
  /** In the order of the model's batch rows. */
  crops: CropBox[];
}

/**
 * torchvision's Resize(shortSide): the shorter side becomes shortSide, the longer
 * int(shortSide * long / short), truncated (the same IEEE double division as Python's).
 */
export function resizedSize(width: number, height: number, shortSide: number): Size {
  if (!(width >= 1 && height >= 1)) throw new RangeError(`image size ${width}x${height} is empty`);
  if (width <= height) return { width: shortSide, height: Math.trunc((shortSide * height) / width) };
  return { width: Math.trunc((shortSide * width) / height), height: shortSide };
}

/** Python 3's round(): halves go to the even neighbour (round(37.5) = 38, round(44.5) = 44). */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** CenterCrop: top = int(round((H - crop) / 2)), left likewise. */
export function centerCropBox(resized: Size, crop: number, flipped = false): CropBox {
  return { left: pyRound((resized.width - crop) / 2), top: pyRound((resized.height - crop) / 2), size: crop, flipped };
}

/** five_crop: top-left, top-right, bottom-left, bottom-right, center. */
export function fiveCropBoxes(resized: Size, crop: number, flipped = false): CropBox[] {
  const right = resized.width - crop;
  const bottom = resized.height - crop;
  return [
    { left: 0, top: 0, size: crop, flipped },
    { left: right, top: 0, size: crop, flipped },
    { left: 0, top: bottom, size: crop, flipped },
    { left: right, top: bottom, size: crop, flipped },
    centerCropBox(resized, crop, flipped),
  ];
}

/** ten_crop: the five crops of the resized image, then the same five of its horizontal flip. */
export function tenCropBoxes(resized: Size, crop: number): CropBox[] {
  return [...fiveCropBoxes(resized, crop, false), ...fiveCropBoxes(resized, crop, true)];
}

export function cropGeometry(width: number, height: number, resize: number, crop: number, mode: CropMode): Geometry {
  const resized = resizedSize(width, height, resize);
  if (resized.width < crop || resized.height < crop) throw new RangeError(`resized image ${resized.width}x${resized.height} is smaller than the ${crop} crop`);
  return {
    mode,
    original: { width, height },
    resized,
    crop,
    crops: mode === 'center' ? [centerCropBox(resized, crop)] : tenCropBoxes(resized, crop),
  };
}

/**
 * Column in the (unflipped) resized image of column cx of a crop, for pixel indices. A flipped crop's
 * column cx sits at left + cx in the mirror image, i.e. at W - 1 - (left + cx) in the resized image.
 */
export function cropColumnToResized(box: CropBox, resizedWidth: number, cx: number): number {
  return box.flipped ? resizedWidth - 1 - (box.left + cx) : box.left + cx;
}

/**
 * The same for continuous coordinates (pixel i spans [i, i + 1)): crop-local u -> resized x, and back.
 * Mirroring maps x to W - x.
 */
export function cropToResizedX(box: CropBox, resizedWidth: number, u: number): number {
  return box.flipped ? resizedWidth - (box.left + u) : box.left + u;
}

export function resizedToCropX(box: CropBox, resizedWidth: number, x: number): number {
  return box.flipped ? resizedWidth - x - box.left : x - box.left;
}
