/**
 * Batch scan: choose a folder and a mode, watch progress (done/total, images/s, ETA, current file),
 * cancel at once, then read a results table of one row per image, sortable by any column and
 * filterable to flagged images. The table is virtual (only the rows in view are in the DOM), so tens
 * of thousands of rows scroll smoothly. The last batch is loaded at start-up.
 */
import type { Api, ApiEvent, BatchProgress, BatchRow, BatchSummary, ExportFormat, Mode } from '../main/api';
import type { ErrorInfo } from '../main/error-info';
import { errorInfo } from './bridge';
import { h, perFrame, setChildren } from './dom';
import { formatDuration, formatPercent, labelText } from './format';
import { toast } from './toast';

export interface BatchPanelCallbacks {
  onOpen(path: string, frame: number): void;
  /** A row arrived: the study browser's badge for that image. */
  onRow(row: BatchRow, batch: BatchSummary): void;
  chooseFolder(): Promise<string | null>;
}

const ROW_HEIGHT = 24;
const OVERSCAN = 10;
/** Up to this many rows are all in the DOM (simple for automation); beyond, only those in view. */
const RENDER_ALL_BELOW = 200;

type SortKey = { kind: 'index' } | { kind: 'file' } | { kind: 'top' } | { kind: 'topP' } | { kind: 'label'; index: number } | { kind: 'error' };

interface Column {
  id: string;
  title: string;
  width: number;
  sort: SortKey;
  cls?: string;
}

export class BatchPanel {
  readonly root: HTMLElement;
  private readonly folderInput = h('input', { type: 'text', class: 'path-input', testid: 'batch-folder', placeholder: 'Folder to scan (absolute path)', spellcheck: 'false' });
  private readonly browse = h('button', { type: 'button', class: 'btn hidden', testid: 'batch-browse' }, 'Browse…');
  private readonly tencrop = h('input', { type: 'checkbox', testid: 'batch-tencrop' });
  private readonly start = h('button', { type: 'button', class: 'btn primary', testid: 'batch-start', title: 'Start the scan (Space)' }, 'Start scan');
  private readonly cancel = h('button', { type: 'button', class: 'btn danger', testid: 'batch-cancel', disabled: true, title: 'Cancel the scan (Space)' }, 'Cancel');
  private readonly progressFill = h('div', { class: 'progress-fill' });
  private readonly progressText = h('div', { class: 'progress-text', testid: 'batch-progress-text' });
  private readonly progressBox = h('div', { class: 'progress', testid: 'batch-progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, this.progressFill, this.progressText);
  private readonly summary = h('div', { class: 'batch-summary', testid: 'batch-summary' });
  private readonly flaggedOnly = h('input', { type: 'checkbox', testid: 'batch-filter-flagged' });
  private readonly errorsOnly = h('input', { type: 'checkbox', testid: 'batch-filter-errors' });
  private readonly exportFormat = h('select', { class: 'tb-select', testid: 'export-format' }, h('option', { value: 'csv' }, 'CSV'), h('option', { value: 'json' }, 'JSON'));
  private readonly exportButton = h('button', { type: 'button', class: 'btn', testid: 'export-button', disabled: true, title: 'Export the results (E)' }, 'Export');
  private readonly untrainedNote = h('div', { class: 'batch-untrained hidden', testid: 'batch-untrained' }, 'UNTRAINED MODEL — these numbers are not findings');
  private readonly head = h('div', { class: 'vt-head' });
  private readonly body = h('div', { class: 'vt-body' });
  private readonly spacer = h('div', { class: 'vt-spacer' });
  private readonly scroller = h('div', { class: 'vt-scroll', testid: 'batch-results' }, this.head, h('div', { class: 'vt-rows' }, this.spacer, this.body));
  private readonly drawerToggle: HTMLButtonElement;
  private readonly compactStatus = h('span', { class: 'compact-status dim', testid: 'batch-compact-status' });

  private batch: BatchSummary | null = null;
  private rows: BatchRow[] = [];
  private view: number[] = [];
  private columns: Column[] = [];
  private sort: { key: SortKey; dir: 1 | -1 } = { key: { kind: 'index' }, dir: 1 };
  /** Scrolls, resizes and arriving rows coalesce into one render per frame. */
  private readonly queueRender = perFrame(() => this.renderRows());
  private renderGeneration = 0;
  private renderedKey = '';
  private viewDirty = true;
  private openState = false;
  private busy = false;
  private progress: BatchProgress | null = null;
  private selectedKey: string | null = null;
  /**
   * A cancelled batch is over for the user at once, but the core finishes its in-flight image before
   * it accepts a new batch (batch-finished says when). A start in between waits for that.
   */
  private windingDown: number | null = null;
  private finishWaiters: (() => void)[] = [];
  private readonly finishedIds = new Set<number>();

  constructor(private readonly api: Api, private readonly cb: BatchPanelCallbacks) {
    this.drawerToggle = h('button', { type: 'button', class: 'drawer-toggle', testid: 'batch-toggle', title: 'Show or hide the batch panel (B)', onclick: () => this.toggleOpen() }, '▴ Batch scan');
    this.start.addEventListener('click', () => void this.startScan());
    this.cancel.addEventListener('click', () => void this.cancelScan());
    this.exportButton.addEventListener('click', () => void this.exportResults(this.exportFormat.value as ExportFormat));
    this.browse.addEventListener('click', () => {
      void this.cb.chooseFolder().then((p) => {
        if (p) this.folderInput.value = p;
      });
    });
    this.folderInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        this.folderInput.blur();
        void this.startScan();
      }
    });
    this.flaggedOnly.addEventListener('change', () => this.invalidate());
    this.errorsOnly.addEventListener('change', () => this.invalidate());
    this.scroller.addEventListener('scroll', () => this.queueRender());
    new ResizeObserver(() => this.queueRender()).observe(this.scroller);
    this.body.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('[data-testid="batch-row"]');
      if (!row?.dataset.path) return;
      this.selectedKey = `${row.dataset.path}\0${row.dataset.frame}`;
      this.renderGeneration++;
      this.queueRender();
      this.cb.onOpen(row.dataset.path, Number(row.dataset.frame ?? 0));
    });
    this.head.addEventListener('click', (e) => {
      const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-col]');
      const col = cell && this.columns.find((c) => c.id === cell.dataset.col);
      if (!col) return;
      const same = JSON.stringify(col.sort) === JSON.stringify(this.sort.key);
      // Probabilities read best highest first; names A→Z.
      const firstDir: 1 | -1 = col.sort.kind === 'label' || col.sort.kind === 'topP' ? -1 : 1;
      this.sort = { key: col.sort, dir: same ? ((-this.sort.dir) as 1 | -1) : firstDir };
      this.invalidate();
    });

    this.root = h(
      'section',
      { class: 'batch-panel', testid: 'batch-panel' },
      h('div', { class: 'drawer-bar' }, this.drawerToggle, this.compactStatus),
      h(
        'div',
        { class: 'drawer-body' },
        h(
          'div',
          { class: 'batch-controls' },
          h('label', { class: 'field grow' }, h('span', { class: 'dim' }, 'Folder'), this.folderInput, this.browse),
          h('label', { class: 'check', title: 'Average 10 crops per image: slower, the way CheXNet was evaluated' }, this.tencrop, ' TenCrop'),
          this.start,
          this.cancel,
          this.progressBox,
        ),
        h(
          'div',
          { class: 'batch-controls second' },
          this.summary,
          this.untrainedNote,
          h('div', { class: 'spring' }),
          h('label', { class: 'check' }, this.flaggedOnly, ' Flagged only'),
          h('label', { class: 'check' }, this.errorsOnly, ' Errors only'),
          this.exportFormat,
          this.exportButton,
        ),
        this.scroller,
      ),
    );
    this.setColumns([]);
    this.renderProgress();
  }

  // ─── state from outside ─────────────────────────────────────────────────────────────────────

  setNativeDialogs(on: boolean): void {
    this.browse.classList.toggle('hidden', !on);
  }

  setDefaultFolder(folder: string | null): void {
    if (folder && (!this.folderInput.value || !this.busy)) this.folderInput.value = folder;
  }

  setMode(mode: Mode): void {
    if (!this.busy) this.tencrop.checked = mode === 'tencrop';
  }

  toggleOpen(open = !this.openState): void {
    this.openState = open;
    this.root.classList.toggle('open', open);
    this.drawerToggle.textContent = open ? '▾ Batch scan' : '▴ Batch scan';
    this.queueRender();
  }

  /** Loads a batch (the last one at start-up). */
  async load(batchId?: number): Promise<void> {
    const res = await this.api.getBatchResults(batchId === undefined ? {} : { batchId });
    if (!res.batch) return;
    this.show(res.batch, res.rows);
  }

  private show(batch: BatchSummary, rows: BatchRow[]): void {
    this.batch = batch;
    this.rows = rows;
    this.busy = batch.state === 'running';
    // A cancelled run keeps the total it was heading for (the store counts only what was done).
    const keep = this.progress?.batchId === batch.id && (this.busy || batch.state === 'cancelled');
    this.progress = keep && this.progress ? { ...this.progress, state: batch.state, done: batch.done, failed: batch.failed } : null;
    this.setColumns(batch.labels);
    this.syncButtons();
    this.renderSummary();
    this.renderProgress();
    this.invalidate();
  }

  handleEvent(ev: ApiEvent): void {
    if (ev.type === 'batch-progress') {
      if (this.batch && ev.progress.batchId !== this.batch.id) return;
      this.progress = ev.progress;
      if (this.batch) this.batch = { ...this.batch, done: ev.progress.done, total: ev.progress.total, failed: ev.progress.failed, reused: ev.progress.reused, state: ev.progress.state };
      if (ev.progress.state !== 'running' && this.busy) {
        this.busy = false;
        if (ev.progress.state === 'cancelled' && !this.finishedIds.has(ev.progress.batchId)) this.windingDown = ev.progress.batchId;
        this.syncButtons();
      }
      this.renderProgress();
      this.renderSummary();
    } else if (ev.type === 'batch-row') {
      if (!this.batch || ev.batchId !== this.batch.id) return;
      this.rows.push(ev.row);
      this.cb.onRow(ev.row, this.batch);
      this.invalidate();
    } else if (ev.type === 'batch-finished') {
      this.finishedIds.add(ev.batch.id);
      if (ev.batch.id === this.windingDown) this.windingDown = null;
      for (const w of this.finishWaiters.splice(0)) w();
      if (this.batch && ev.batch.id !== this.batch.id) return;
      this.busy = false;
      this.batch = ev.batch;
      // Rows may have been missed while the event stream reconnected: the store has them all.
      void this.load(ev.batch.id).catch((err: unknown) => toast(errorInfo(err), 'error'));
      this.syncButtons();
      this.renderProgress();
      this.renderSummary();
      const b = ev.batch;
      const failed = b.failed ? `, ${b.failed} failed` : '';
      toast(b.state === 'done' ? `Batch done: ${b.done} images${failed}` : `Batch ${b.state} after ${b.done} images${failed}`, b.state === 'done' ? 'ok' : 'info');
    }
  }

  // ─── actions ────────────────────────────────────────────────────────────────────────────────

  async startScan(): Promise<void> {
    if (this.busy) return;
    const folder = this.folderInput.value.trim();
    if (!folder) {
      this.toggleOpen(true);
      this.folderInput.focus();
      toast('Type or choose the folder to scan first.', 'info');
      return;
    }
    const mode: Mode = this.tencrop.checked ? 'tencrop' : 'center';
    this.busy = true;
    this.syncButtons();
    this.toggleOpen(true);
    if (this.windingDown !== null) {
      this.progressText.textContent = 'Waiting for the cancelled scan to stop…';
      await new Promise<void>((done) => {
        this.finishWaiters.push(done);
        setTimeout(done, 30_000);
      });
      this.windingDown = null;
    }
    try {
      const batch = await this.api.startBatch({ folder, mode });
      this.progress = { batchId: batch.id, state: batch.state, done: batch.done, total: batch.total, failed: batch.failed, reused: batch.reused, rate: 0, etaSeconds: null, currentFile: null };
      this.show(batch, []);
      this.busy = batch.state === 'running';
      this.syncButtons();
      if (!this.busy) void this.load(batch.id);
    } catch (err) {
      this.busy = false;
      this.syncButtons();
      this.showProgressError(errorInfo(err));
    }
  }

  async cancelScan(): Promise<void> {
    if (!this.batch || !this.busy) return;
    this.cancel.disabled = true;
    this.progressText.textContent = 'Cancelling…';
    try {
      const b = await this.api.cancelBatch({ batchId: this.batch.id });
      this.batch = b;
      this.busy = b.state === 'running';
      if (b.state === 'cancelled' && !this.finishedIds.has(b.id)) this.windingDown = b.id;
      this.renderSummary();
      this.renderProgress();
    } catch (err) {
      toast(errorInfo(err), 'error');
    } finally {
      this.syncButtons();
    }
  }

  /** Space: start when idle, cancel when running. */
  toggleRun(): void {
    if (this.busy) void this.cancelScan();
    else void this.startScan();
  }

  async exportResults(format: ExportFormat = 'csv'): Promise<void> {
    if (!this.batch) {
      toast('No batch to export yet: run a batch scan first.', 'info');
      return;
    }
    this.exportButton.disabled = true;
    try {
      const file = await this.api.exportResults({ batchId: this.batch.id, format });
      if (file.savedTo) toast(`Saved ${file.savedTo}`, 'ok');
      else if (file.content) {
        const url = URL.createObjectURL(new Blob([file.content as Uint8Array<ArrayBuffer>], { type: file.mime }));
        const a = h('a', { href: url, download: file.filename, class: 'hidden', testid: 'export-link' });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        toast(`Exported ${file.filename}`, 'ok');
      }
    } catch (err) {
      toast(errorInfo(err), 'error');
    } finally {
      this.exportButton.disabled = !this.batch;
    }
  }

  // ─── rendering ──────────────────────────────────────────────────────────────────────────────

  private syncButtons(): void {
    this.start.disabled = this.busy;
    this.cancel.disabled = !this.busy;
    this.exportButton.disabled = !this.batch;
    this.tencrop.disabled = this.busy;
    this.folderInput.disabled = this.busy;
    this.root.classList.toggle('running', this.busy);
  }

  private showProgressError(info: ErrorInfo): void {
    this.progressFill.style.width = '0%';
    this.progressBox.classList.add('error');
    this.progressText.textContent = `Could not start: ${info.reason}`;
    this.progressBox.dataset.state = 'error';
    this.compactStatus.textContent = `Could not start: ${info.reason}`;
  }

  private renderProgress(): void {
    this.progressBox.classList.remove('error');
    const p = this.progress;
    const b = this.batch;
    const done = p?.done ?? b?.done ?? 0;
    const total = p?.total ?? b?.total ?? 0;
    const state = p?.state ?? b?.state ?? null;
    const pct = total ? (done / total) * 100 : 0;
    this.progressFill.style.width = `${pct}%`;
    this.progressBox.setAttribute('aria-valuenow', String(Math.round(pct)));
    this.progressBox.dataset.done = String(done);
    this.progressBox.dataset.total = String(total);
    this.progressBox.dataset.state = state ?? 'idle';
    let text: string;
    if (!state) text = 'No batch yet';
    else if (state === 'running' && p) {
      const rate = p.rate > 0 ? `${p.rate.toFixed(p.rate < 10 ? 2 : 1)} img/s` : '— img/s';
      const eta = p.etaSeconds !== null ? `ETA ${formatDuration(p.etaSeconds)}` : 'ETA —';
      text = `${done} / ${total} · ${rate} · ${eta}${p.currentFile ? ` · ${p.currentFile}` : ''}`;
    } else text = `${done} / ${total} · ${state}`;
    this.progressText.textContent = text;
    this.progressText.title = text;
    this.compactStatus.textContent = state ? `${state === 'running' ? 'Scanning' : `Last batch ${state}`}: ${done} / ${total}` : '';
  }

  private renderSummary(): void {
    const b = this.batch;
    if (!b) {
      this.summary.textContent = '';
      this.untrainedNote.classList.add('hidden');
      return;
    }
    const when = new Date(b.startedAt);
    this.summary.textContent = `Batch #${b.id} · ${b.mode === 'tencrop' ? 'TenCrop' : 'center crop'} · ${b.model.name} ${b.model.version} · ${b.total} images${b.failed ? ` · ${b.failed} failed` : ''}${b.reused ? ` · ${b.reused} reused` : ''} · ${isNaN(when.getTime()) ? b.startedAt : when.toLocaleString()}`;
    this.summary.title = b.folder;
    this.untrainedNote.classList.toggle('hidden', b.model.trained);
    this.root.classList.toggle('untrained', !b.model.trained);
  }

  private setColumns(labels: string[]): void {
    const cols: Column[] = [
      { id: 'index', title: '#', width: 52, sort: { kind: 'index' }, cls: 'num' },
      { id: 'file', title: 'File', width: 280, sort: { kind: 'file' } },
      { id: 'top', title: 'Top output', width: 150, sort: { kind: 'top' } },
      { id: 'topP', title: 'P(top)', width: 64, sort: { kind: 'topP' }, cls: 'num' },
      ...labels.map((l, i) => ({ id: `label-${i}`, title: labelText(l), width: 90, sort: { kind: 'label', index: i } as SortKey, cls: 'num' })),
      { id: 'error', title: 'Error', width: 360, sort: { kind: 'error' } },
    ];
    this.columns = cols;
    this.scroller.dataset.labels = JSON.stringify(labels);
    const template = cols.map((c) => `${c.width}px`).join(' ');
    this.scroller.style.setProperty('--vt-cols', template);
    this.scroller.style.setProperty('--vt-width', `${cols.reduce((s, c) => s + c.width, 0)}px`);
    this.renderHead();
  }

  private renderHead(): void {
    setChildren(
      this.head,
      this.columns.map((c) => {
        const active = JSON.stringify(c.sort) === JSON.stringify(this.sort.key);
        return h('div', { class: `vt-cell head ${c.cls ?? ''}${active ? ' sorted' : ''}`, 'data-col': c.id, testid: `sort-${c.id}`, title: `Sort by ${c.title}` }, c.title, active ? (this.sort.dir === 1 ? ' ▲' : ' ▼') : '');
      }),
    );
  }

  private invalidate(): void {
    this.viewDirty = true;
    this.renderGeneration++;
    this.queueRender();
  }

  private rebuildView(): void {
    const flagged = this.flaggedOnly.checked;
    const errors = this.errorsOnly.checked;
    const idx: number[] = [];
    for (let i = 0; i < this.rows.length; i++) {
      const r = this.rows[i]!;
      if (flagged && r.flagged.length === 0) continue;
      if (errors && !r.error) continue;
      idx.push(i);
    }
    const { key, dir } = this.sort;
    const rows = this.rows;
    if (key.kind === 'index' && dir === 1) {
      // Arrival order needs no sort: the common case while a large batch streams in.
      this.finishView(idx);
      return;
    }
    const val = (i: number): number | string | null => {
      const r = rows[i]!;
      switch (key.kind) {
        case 'index':
          return i;
        case 'file':
          return r.relPath + (r.frames > 1 ? `#${String(r.frame).padStart(6, '0')}` : '');
        case 'top':
          return r.topLabel;
        case 'topP':
          return r.topProbability;
        case 'label':
          return r.probabilities ? r.probabilities[key.index]! : null;
        case 'error':
          return r.error ? `${r.error.code} ${r.error.reason}` : null;
      }
    };
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    idx.sort((a, b) => {
      const va = val(a);
      const vb = val(b);
      // Empty values (failed rows, no error) always sort last.
      if (va === null || vb === null) return va === vb ? a - b : va === null ? 1 : -1;
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : collator.compare(String(va), String(vb));
      return c !== 0 ? c * dir : a - b;
    });
    this.finishView(idx);
  }

  private finishView(idx: number[]): void {
    this.view = idx;
    this.renderHead();
    this.scroller.dataset.rowCount = String(this.rows.length);
    this.scroller.dataset.shownCount = String(idx.length);
  }

  private renderRows(): void {
    if (this.viewDirty) {
      this.viewDirty = false;
      this.rebuildView();
    }
    const total = this.view.length;
    this.spacer.style.height = `${total * ROW_HEIGHT}px`;
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 400;
    const all = total <= RENDER_ALL_BELOW;
    // Rows are drawn in blocks of OVERSCAN with a block of margin each side, so most scroll steps
    // land inside what is already drawn.
    const first = all ? 0 : Math.max(0, (Math.floor(top / ROW_HEIGHT / OVERSCAN) - 1) * OVERSCAN);
    const last = all ? total : Math.min(total, (Math.floor((top + height) / ROW_HEIGHT / OVERSCAN) + 2) * OVERSCAN);
    // Scrolling within the rows already drawn needs no new DOM.
    const key = `${first}:${last}:${this.renderGeneration}`;
    if (key === this.renderedKey) return;
    this.renderedKey = key;
    const batch = this.batch;
    const ops = batch?.operatingPoints ?? null;
    const labels = batch?.labels ?? [];
    const out: HTMLElement[] = [];
    for (let v = first; v < last; v++) {
      const i = this.view[v]!;
      const r = this.rows[i]!;
      const key = `${r.path}\0${r.frame}`;
      const cells: HTMLElement[] = [
        h('div', { class: 'vt-cell num dim' }, String(i + 1)),
        h('div', { class: 'vt-cell file', title: r.path }, r.relPath, r.frames > 1 ? h('span', { class: 'dim' }, ` [${r.frame + 1}/${r.frames}]`) : null, r.reused ? h('span', { class: 'chip' }, 'reused') : null),
        r.error
          ? h('div', { class: 'vt-cell error', title: `${r.error.code}: ${r.error.reason}` }, `✕ ${r.error.code}`)
          : h('div', { class: `vt-cell${r.topLabel && r.flagged.includes(r.topLabel) ? ' flag' : ''}` }, r.topLabel ? labelText(r.topLabel) : ''),
        h('div', { class: 'vt-cell num' }, r.topProbability !== null ? formatPercent(r.topProbability, 1) : ''),
      ];
      labels.forEach((l, k) => {
        const p = r.probabilities?.[k];
        const above = r.flagged.includes(l);
        const cell = h('div', { class: `vt-cell num prob${above ? ' flag' : ''}`, title: p !== undefined ? `${labelText(l)}: ${p}${ops?.[l] !== undefined ? ` (operating point ${ops[l]})` : ''}` : '' }, p !== undefined ? formatPercent(p, 1) : '');
        if (p !== undefined) cell.style.setProperty('--p', String(p));
        cells.push(cell);
      });
      cells.push(h('div', { class: 'vt-cell error', title: r.error ? `${r.error.code}: ${r.error.reason}` : '' }, r.error ? `${r.error.reason}` : ''));
      const row = h(
        'div',
        {
          class: `vt-row${r.error ? ' failed' : ''}${r.flagged.length ? ' flagged' : ''}${key === this.selectedKey ? ' selected' : ''}${v % 2 ? ' odd' : ''}`,
          testid: 'batch-row',
          'data-path': r.path,
          'data-frame': String(r.frame),
          'data-index': String(i),
          'data-probabilities': r.probabilities ? JSON.stringify(r.probabilities) : '',
          'data-error': r.error?.code ?? '',
        },
        cells,
      );
      row.style.transform = `translateY(${v * ROW_HEIGHT}px)`;
      out.push(row);
    }
    this.body.replaceChildren(...out);
    if (!total) {
      this.body.append(h('div', { class: 'vt-empty dim' }, this.rows.length ? 'No rows match the filter.' : this.busy ? 'Waiting for the first results…' : 'No results yet. Choose a folder and start a scan.'));
    }
  }
}
