/**
 * The facts about the image in the viewer that a researcher checks first: how it is encoded and
 * what the pipeline did with it (transfer syntax, photometric, bits, rescale, file window, spacing).
 */
import type { FrameResult } from '../main/api';
import type { ErrorInfo } from '../main/error-info';
import { h, setChildren } from './dom';
import { formatMs, formatValue } from './format';

export class ImageInfoPanel {
  readonly root: HTMLDetailsElement;
  private readonly body = h('div', { class: 'info-body' });

  constructor() {
    this.root = h('details', { class: 'image-info', testid: 'image-info', open: true }, h('summary', { class: 'panel-title' }, 'Image'), this.body);
  }

  clear(): void {
    this.body.replaceChildren();
  }

  showError(info: ErrorInfo): void {
    setChildren(this.body, kv('Error', info.code), kv('Reason', info.reason));
  }

  show(r: FrameResult): void {
    const i = r.info;
    const d = i.dicom;
    const rows: (HTMLElement | null)[] = [kv('Size', `${i.columns} × ${i.rows}${i.frames > 1 ? ` × ${i.frames} frames` : ''}`), kv('Decode', formatMs(r.decodeMs))];
    if (d) {
      rows.push(
        kv('Syntax', d.transferSyntax?.name),
        kv('Photometric', d.photometric),
        kv('Bits', `${d.bitsStored} of ${d.bitsAllocated}${d.pixelRepresentation ? ', signed' : ''}`),
        d.rescale && (d.rescale.slope !== 1 || d.rescale.intercept !== 0) ? kv('Rescale', `× ${formatValue(d.rescale.slope)} + ${formatValue(d.rescale.intercept)}`) : null,
        d.window ? kv('File window', `W ${formatValue(d.window.width)} L ${formatValue(d.window.center)}`) : null,
        d.pixelSpacing ? kv('Spacing', `${formatValue(d.pixelSpacing[0])} × ${formatValue(d.pixelSpacing[1])} mm`) : null,
        kv('Modality', [d.modality, d.bodyPartExamined, d.viewPosition].filter(Boolean).join(' · ')),
      );
    } else if (i.raster) {
      rows.push(kv('Format', `${i.raster.format.toUpperCase()}, ${i.raster.bitDepth}-bit, ${i.raster.channels} channel${i.raster.channels === 1 ? '' : 's'}${i.raster.hasAlpha ? ' (alpha dropped)' : ''}`), i.raster.exifOrientation && i.raster.exifOrientation !== 1 ? kv('EXIF', `orientation ${i.raster.exifOrientation} applied`) : null);
    }
    if (r.header.kind === 'gray') {
      const voi = r.header.voi;
      rows.push(kv('Stored range', `${r.header.min} … ${r.header.max}`), kv('Default VOI', voi.kind === 'table' ? 'VOI LUT table' : `${voi.fn}, ${voi.source}`));
    }
    rows.push(kv('File', i.path, true));
    setChildren(this.body, rows);
  }
}

function kv(k: string, v: string | undefined, wide = false): HTMLElement | null {
  if (!v) return null;
  // Long paths are cut on the left (rtl box); the isolated text keeps its own order.
  return h('div', { class: `kv${wide ? ' wide' : ''}` }, h('span', { class: 'k' }, k), h('span', { class: 'v', title: v }, wide ? h('bdi', null, v) : v));
}
