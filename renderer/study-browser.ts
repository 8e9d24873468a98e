/**
 * The study browser: the opened folder as Patient > Study > Series > Image for DICOM and by subfolder
 * for PNG/JPEG, unreadable files with their reason, thumbnails made lazily as items scroll into view,
 * and each image's top finding as a badge once known.
 */
import type { Api, StudyImage, StudyTree } from '../main/api';
import { errorInfo } from './bridge';
import { h, setChildren } from './dom';
import { baseName, formatDicomDate, formatPercent, formatPersonName, labelText } from './format';

export interface StudyBrowserCallbacks {
  onOpen(path: string): void;
}

type Top = NonNullable<StudyImage['top']>;

const THUMB_SIZE = 96;
const THUMB_CONCURRENCY = 2;

export class StudyBrowser {
  readonly root: HTMLElement;
  private readonly list = h('div', { class: 'tree-scroll', testid: 'study-tree', role: 'tree' });
  private readonly header = h('div', { class: 'tree-header' });
  private readonly filter = h('input', { type: 'search', class: 'tree-filter', placeholder: 'Filter images…', testid: 'tree-filter', spellcheck: 'false' });
  private tree: StudyTree | null = null;
  private readonly items = new Map<string, HTMLElement>();
  private readonly unreadableItems = new Map<string, HTMLElement>();
  private readonly tops = new Map<string, Top>();
  private selected: string | null = null;

  private readonly thumbs = new Map<string, string | Error>();
  private readonly queue: { path: string; img: HTMLImageElement }[] = [];
  private inFlight = 0;
  private readonly observer: IntersectionObserver;

  constructor(private readonly api: Api, private readonly cb: StudyBrowserCallbacks) {
    this.root = h('aside', { class: 'panel study-browser', testid: 'study-browser' }, h('div', { class: 'panel-title' }, 'Studies'), this.header, this.filter, this.list);
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), { root: this.list, rootMargin: '200px 0px' });
    this.filter.addEventListener('input', () => this.applyFilter());
    this.list.addEventListener('click', (e) => {
      // Unreadable files open too: the viewer then says why in place of the image.
      const item = (e.target as HTMLElement).closest<HTMLElement>('[data-testid="image-item"], [data-testid="unreadable-item"]');
      if (item?.dataset.path) this.cb.onOpen(item.dataset.path);
    });
    this.setTree(null);
  }

  get order(): string[] {
    return this.tree?.order ?? [];
  }

  setTree(tree: StudyTree | null): void {
    this.tree = tree;
    this.items.clear();
    this.unreadableItems.clear();
    this.observer.disconnect();
    this.queue.length = 0;
    for (const url of this.thumbs.values()) if (typeof url === 'string') URL.revokeObjectURL(url);
    this.thumbs.clear();
    if (!tree) {
      setChildren(this.header, h('div', { class: 'dim' }, 'No folder open'));
      setChildren(this.list, h('div', { class: 'tree-empty' }, 'Open a folder of DICOM, PNG or JPEG images (the box at the top, or drop a folder here in the desktop app).'));
      return;
    }
    for (const img of allImages(tree)) if (img.top) this.tops.set(img.path, img.top);
    const nImages = tree.order.length;
    setChildren(
      this.header,
      // Right-to-left box with an isolated path: a long path is cut on the left, its end stays visible.
      h('div', { class: 'tree-root', title: tree.root, testid: 'tree-root' }, h('bdi', null, tree.root)),
      h(
        'div',
        { class: 'dim', testid: 'tree-counts' },
        `${nImages} image${nImages === 1 ? '' : 's'}`,
        tree.patients.length ? ` · ${tree.patients.length} patient${tree.patients.length === 1 ? '' : 's'}` : '',
        tree.unreadable.length ? ` · ${tree.unreadable.length} unreadable` : '',
        tree.skipped ? ` · ${tree.skipped} other file${tree.skipped === 1 ? '' : 's'} skipped` : '',
      ),
    );
    const nodes: HTMLElement[] = [];
    for (const p of tree.patients) {
      const studies = p.studies.map((s) => {
        const series = s.series.map((se) =>
          group(
            'series',
            [h('span', { class: 'tag' }, se.modality ?? '—'), ` Se ${se.seriesNumber ?? '–'}`, se.description ? h('span', { class: 'dim' }, ` ${se.description}`) : null, h('span', { class: 'count' }, String(se.images.length))],
            se.images.map((img) => this.item(img)),
          ),
        );
        return group(
          'study',
          [formatDicomDate(s.studyDate) || 'No date', s.description ? h('span', { class: 'dim' }, ` ${s.description}`) : null, s.accessionNumber ? h('span', { class: 'dim' }, ` #${s.accessionNumber}`) : null],
          series,
        );
      });
      nodes.push(
        group(
          'patient',
          [h('span', { class: 'strong' }, formatPersonName(p.patientName) || 'Anonymous'), h('span', { class: 'dim' }, ` ${[p.patientId, p.sex, formatDicomDate(p.birthDate)].filter(Boolean).join(' · ')}`)],
          studies,
        ),
      );
    }
    for (const f of tree.folders) {
      nodes.push(group('folder', [h('span', { class: 'folder-icon' }, '▸'), ` ${f.relDir || '(this folder)'}`, h('span', { class: 'count' }, String(f.images.length))], f.images.map((img) => this.item(img))));
    }
    if (tree.unreadable.length) {
      nodes.push(
        group(
          'unreadable',
          [h('span', { class: 'warn' }, '⚠'), ` Unreadable`, h('span', { class: 'count' }, String(tree.unreadable.length))],
          tree.unreadable.map((u) => {
            const el = h(
              'div',
              { class: 'unreadable-item', testid: 'unreadable-item', 'data-path': u.path, title: `${u.path}\n${u.error.code}: ${u.error.reason}` },
              h('div', { class: 'name' }, u.relPath),
              h('div', { class: 'reason' }, u.error.reason),
            );
            this.unreadableItems.set(u.path, el);
            return el;
          }),
        ),
      );
    }
    if (!nodes.length) nodes.push(h('div', { class: 'tree-empty' }, 'No DICOM, PNG or JPEG images in this folder.'));
    setChildren(this.list, nodes);
    this.applyFilter();
    if (this.selected) this.select(this.selected);
  }

  private item(img: StudyImage): HTMLElement {
    const thumb = h('img', { class: 'thumb', alt: '', draggable: 'false' });
    thumb.dataset.path = img.path;
    const meta = [img.viewPosition, img.columns && img.rows ? `${img.columns}×${img.rows}` : '', img.frames > 1 ? `${img.frames} fr` : '', img.kind === 'dicom' ? '' : img.kind.toUpperCase()].filter(Boolean).join(' · ');
    const el = h(
      'div',
      { class: 'image-item', testid: 'image-item', 'data-path': img.path, role: 'treeitem', title: img.relPath },
      h('div', { class: 'thumb-box' }, thumb),
      h('div', { class: 'item-text' }, h('div', { class: 'name' }, img.instanceNumber !== undefined && img.kind === 'dicom' ? `Im ${img.instanceNumber} · ${baseName(img.relPath)}` : baseName(img.relPath)), h('div', { class: 'meta' }, meta), h('div', { class: 'badge-slot' })),
    );
    this.items.set(img.path, el);
    this.renderTop(img.path);
    // The box, not the image: an <img> without a source is not laid out, so it never "intersects".
    this.observer.observe(el.firstElementChild!);
    return el;
  }

  select(path: string | null): void {
    if (this.selected) (this.items.get(this.selected) ?? this.unreadableItems.get(this.selected))?.classList.remove('selected');
    this.selected = path;
    const el = path ? (this.items.get(path) ?? this.unreadableItems.get(path)) : undefined;
    if (el) {
      el.classList.add('selected');
      el.setAttribute('aria-selected', 'true');
      // Open the groups it is in so the selection is visible.
      for (let d = el.parentElement?.closest('details'); d; d = d.parentElement?.closest('details')) d.open = true;
      el.scrollIntoView({ block: 'nearest' });
    }
  }

  setTop(path: string, top: Top | null): void {
    if (top) this.tops.set(path, top);
    else this.tops.delete(path);
    this.renderTop(path);
  }

  private renderTop(path: string): void {
    const slot = this.items.get(path)?.querySelector('.badge-slot');
    if (!slot) return;
    const top = this.tops.get(path);
    setChildren(
      slot,
      top
        ? h(
            'span',
            { class: `badge${top.above ? ' above' : ''}`, testid: 'top-badge', title: `Top output: ${labelText(top.label)} ${formatPercent(top.probability, 2)}${top.above ? ' (above operating point)' : ''}` },
            `${labelText(top.label)} ${formatPercent(top.probability, 0)}`,
          )
        : null,
    );
  }

  private applyFilter(): void {
    const q = this.filter.value.trim().toLowerCase();
    for (const [path, el] of this.items) el.classList.toggle('filtered', q !== '' && !path.toLowerCase().includes(q));
    for (const d of this.list.querySelectorAll('details')) {
      const any = d.querySelector('[data-testid="image-item"]:not(.filtered), .unreadable-item');
      d.classList.toggle('filtered', q !== '' && !any);
    }
  }

  // ─── thumbnails ─────────────────────────────────────────────────────────────────────────────

  private onVisible(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      this.observer.unobserve(e.target);
      const img = e.target.querySelector('img')!;
      const path = img.dataset.path!;
      const cached = this.thumbs.get(path);
      if (typeof cached === 'string') img.src = cached;
      else if (cached instanceof Error) markFailed(img, cached.message);
      else this.queue.push({ path, img });
    }
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < THUMB_CONCURRENCY && this.queue.length) {
      const job = this.queue.shift()!;
      if (!job.img.isConnected) continue;
      this.inFlight++;
      const tree = this.tree;
      this.api
        .getThumbnail({ path: job.path, size: THUMB_SIZE })
        .then(
          (t) => {
            if (tree !== this.tree) return;
            const url = URL.createObjectURL(new Blob([t.png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
            this.thumbs.set(job.path, url);
            job.img.src = url;
          },
          (err: unknown) => {
            if (tree !== this.tree) return;
            const reason = errorInfo(err).reason;
            this.thumbs.set(job.path, new Error(reason));
            markFailed(job.img, reason);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}

function markFailed(img: HTMLImageElement, reason: string): void {
  img.classList.add('failed');
  img.parentElement?.classList.add('failed');
  img.parentElement?.setAttribute('title', `No thumbnail: ${reason}`);
}

function group(kind: string, summary: (Node | string | null)[], children: HTMLElement[]): HTMLDetailsElement {
  const d = h('details', { class: `group ${kind}`, open: true }, h('summary', { class: 'group-summary' }, ...summary), h('div', { class: 'group-body' }, children));
  return d;
}

function allImages(tree: StudyTree): StudyImage[] {
  const out: StudyImage[] = [];
  for (const p of tree.patients) for (const s of p.studies) for (const se of s.series) out.push(...se.images);
  for (const f of tree.folders) out.push(...f.images);
  return out;
}
