/**
 * The application: lays out the panels and connects them to the core. It owns what is open (folder,
 * image, frame), the model status and the inference mode, and makes sure a newer request supersedes
 * an older one: every frame, prediction and heatmap request carries a sequence number, and a result
 * that is no longer the latest is dropped.
 */
import type { ApiEvent, AppInfo, BatchRow, FrameResult, Mode, ModelStatus, PredictionResult, StudyTree } from '../main/api';
import { bridge, errorInfo, type Bridge, type ConnectionState } from './bridge';
import { BatchPanel } from './batch-panel';
import { h, setChildren } from './dom';
import { FindingsPanel } from './findings-panel';
import { ImageInfoPanel } from './image-info';
import { formatPercent, labelText } from './format';
import { bindKeys, shortcuts, shortcutsOverlay, type Commands } from './keyboard';
import { ModelDialog } from './model-dialog';
import { StudyBrowser } from './study-browser';
import { toast } from './toast';
import type { ColorMapName } from './viewer/heatmap-layer';
import { Viewer } from './viewer/viewer';

const HEATMAP_MAX_SIDE = 256;
const LOADING_DELAY_MS = 150;

export class App {
  private readonly bridge: Bridge = bridge();
  private readonly api = this.bridge.api;
  private info: AppInfo | null = null;
  private model: ModelStatus | null = null;
  private mode: Mode = 'center';
  private tree: StudyTree | null = null;
  private current: { path: string; frame: number } | null = null;

  private frameSeq = 0;
  private predSeq = 0;
  private heatSeq = 0;
  private heatmapOn = false;
  private selectedLabel: string | null = null;
  /** The user picked a condition: keep it across images instead of following each image's top one. */
  private labelChosen = false;
  private prediction: PredictionResult | null = null;
  private opacity = 0.5;

  private readonly browser: StudyBrowser;
  private readonly viewer: Viewer;
  private readonly findings: FindingsPanel;
  private readonly batch: BatchPanel;
  private readonly modelDialog: ModelDialog;
  private readonly imageInfo = new ImageInfoPanel();
  private readonly shortcutsDialog: HTMLDialogElement;

  private readonly folderInput = h('input', { type: 'text', class: 'path-input', testid: 'open-folder-input', placeholder: 'Folder path, e.g. /data/cxr', spellcheck: 'false', list: 'recent-folders' });
  private readonly recent = h('datalist', { id: 'recent-folders' });
  private readonly openButton = h('button', { type: 'button', class: 'btn primary', testid: 'open-folder-button' }, 'Open');
  private readonly browseButton = h('button', { type: 'button', class: 'btn hidden', testid: 'open-folder-browse' }, 'Browse…');
  private readonly modelButton = h('button', { type: 'button', class: 'model-button', testid: 'model-button', title: 'Model (M)' });
  private readonly banner = h('div', { class: 'banner hidden' });
  private readonly statusLeft = h('span', { class: 'status-item', testid: 'status-folder' });
  private readonly statusImage = h('span', { class: 'status-item grow', testid: 'status-image' });
  private readonly statusConn = h('span', { class: 'status-item', testid: 'status-connection' });
  private readonly statusHost = h('span', { class: 'status-item dim' });
  private readonly dropHint = h('div', { class: 'drop-hint hidden' }, 'Drop a folder to open it');

  constructor(private readonly root: HTMLElement) {
    this.viewer = new Viewer({ onFrameRequest: (frame) => this.current && void this.openImage(this.current.path, frame) });
    this.browser = new StudyBrowser(this.api, { onOpen: (path) => void this.openImage(path, 0) });
    this.findings = new FindingsPanel({
      onToggleMode: () => this.toggleMode(),
      onToggleHeatmap: () => this.toggleHeatmap(),
      onSelectLabel: (label) => this.selectLabel(label),
      onOpacity: (o) => this.setOpacity(o),
      onColorMap: (name: ColorMapName) => this.viewer.setHeatmapStyle({ colorMap: name }),
      onThreshold: (t) => this.viewer.setHeatmapStyle({ threshold: t }),
      onMakeDemoModel: () => void this.modelDialog.makeDemo(),
      onOpenModelDialog: () => this.modelDialog.open(),
    });
    this.batch = new BatchPanel(this.api, {
      onOpen: (path, frame) => void this.openImage(path, frame),
      onRow: (row) => this.onBatchRow(row),
      chooseFolder: () => this.chooseFolder('batch'),
    });
    this.modelDialog = new ModelDialog(this.api, { chooseFolder: () => this.chooseFolder('import-model'), onStatus: (s) => this.setModelStatus(s) });

    const commands = this.commands();
    const table = shortcuts(commands);
    this.shortcutsDialog = shortcutsOverlay(table);
    bindKeys(table, () => commands.closeOverlays());

    this.layout();
    this.bindOpenFolder();
    this.bindDrop();
  }

  // ─── start-up ───────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    this.bridge.onEvent((ev) => this.onEvent(ev));
    this.bridge.onConnection((s) => this.setConnection(s));
    let info: AppInfo;
    try {
      info = await this.api.getAppInfo({});
    } catch (err) {
      const e = errorInfo(err);
      this.viewer.showError(e);
      this.setBanner(
        'error',
        e.code === 'AccessDenied' && this.bridge.host === 'browser'
          ? 'This page has no valid access token for the running server: open the address that `chexdesk serve` printed (it ends with #token=…).'
          : `Cannot reach the CheXDesk core: ${e.reason}`,
      );
      return;
    }
    this.info = info;
    this.mode = info.settings.mode;
    this.opacity = info.settings.heatmapOpacity;
    this.findings.setMode(this.mode);
    this.findings.setOpacity(this.opacity);
    this.viewer.setHeatmapOpacity(this.opacity);
    this.batch.setMode(this.mode);
    this.batch.setNativeDialogs(info.nativeDialogs);
    this.modelDialog.setNativeDialogs(info.nativeDialogs);
    this.browseButton.classList.toggle('hidden', !info.nativeDialogs);
    this.statusHost.textContent = `CheXDesk ${info.version} · ${info.host === 'serve' ? 'browser (serve)' : 'desktop'}`;
    setChildren(this.recent, info.settings.recentFolders.map((f) => h('option', { value: f })));
    this.setModelStatus(info.model);
    const folder = info.openedFolders[info.openedFolders.length - 1];
    const jobs: Promise<unknown>[] = [this.batch.load().catch((err: unknown) => toast(errorInfo(err), 'error'))];
    if (folder) jobs.push(this.openFolder(folder));
    else if (info.settings.recentFolders[0]) this.folderInput.value = info.settings.recentFolders[0];
    await Promise.all(jobs);
    this.root.dataset.ready = 'true';
  }

  // ─── layout ─────────────────────────────────────────────────────────────────────────────────

  private layout(): void {
    const top = h(
      'header',
      { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'logo' }), 'CheXDesk'),
      h('form', { class: 'open-form', testid: 'open-folder-form' }, this.folderInput, this.recent, this.openButton, this.browseButton),
      h('div', { class: 'spring' }),
      this.modelButton,
      h('button', { type: 'button', class: 'btn ghost', testid: 'shortcuts-button', title: 'Keyboard shortcuts (?)', onclick: () => this.toggleShortcuts() }, '?'),
    );
    this.findings.root.append(this.imageInfo.root);
    const main = h('main', { class: 'workspace' }, this.browser.root, this.viewer.root, this.findings.root);
    const status = h('footer', { class: 'statusbar' }, this.statusLeft, this.statusImage, this.statusConn, this.statusHost);
    this.modelButton.addEventListener('click', () => this.modelDialog.open());
    setChildren(this.root, top, this.banner, main, this.batch.root, status, this.modelDialog.root, this.shortcutsDialog, this.dropHint);
  }

  private setBanner(kind: 'untrained' | 'none' | 'error' | null, text?: string): void {
    this.banner.className = kind ? `banner ${kind}` : 'banner hidden';
    this.banner.removeAttribute('data-testid');
    this.banner.replaceChildren();
    if (!kind) return;
    if (kind === 'untrained') {
      const m = this.model?.current;
      this.banner.dataset.testid = 'model-banner';
      this.banner.append(
        h('span', { class: 'banner-strong' }, 'UNTRAINED MODEL — outputs are not findings'),
        h('span', { class: 'banner-text' }, `${m?.name ?? ''} ${m?.version ?? ''}: random weights, for trying the app. Do not read images with it.`),
        h('button', { type: 'button', class: 'btn small', onclick: () => this.modelDialog.open() }, 'Model…'),
      );
    } else if (kind === 'none') {
      this.banner.dataset.testid = 'no-model-banner';
      this.banner.append(
        h('span', { class: 'banner-strong' }, 'No model installed'),
        h('span', { class: 'banner-text' }, text ?? 'The viewer works; findings need a model. Import one, or make the demo model to try the app.'),
        h('button', { type: 'button', class: 'btn small primary', testid: 'make-demo-model-banner', onclick: () => void this.modelDialog.makeDemo() }, 'Make the demo model'),
        h('button', { type: 'button', class: 'btn small', onclick: () => this.modelDialog.open() }, 'Model…'),
      );
    } else {
      this.banner.dataset.testid = 'app-error-banner';
      this.banner.append(h('span', { class: 'banner-strong' }, text ?? ''));
    }
  }

  private setConnection(s: ConnectionState): void {
    this.statusConn.textContent = s === 'connected' ? '● connected' : s === 'connecting' ? '◌ connecting…' : '○ disconnected';
    this.statusConn.className = `status-item conn ${s}`;
  }

  private setStatusImage(): void {
    const c = this.current;
    if (!c) {
      this.statusImage.textContent = '';
      return;
    }
    const idx = this.browser.order.indexOf(c.path);
    const rel = this.tree && c.path.startsWith(this.tree.root) ? c.path.slice(this.tree.root.length).replace(/^[\\/]/, '') : c.path;
    this.statusImage.textContent = `${idx >= 0 ? `${idx + 1}/${this.browser.order.length}  ` : ''}${rel}${c.frame ? `  frame ${c.frame + 1}` : ''}`;
    this.statusImage.title = c.path;
  }

  // ─── folders ────────────────────────────────────────────────────────────────────────────────

  private bindOpenFolder(): void {
    const form = this.folderInput.form!;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const p = this.folderInput.value.trim();
      if (p) void this.openFolder(p);
      else if (this.info?.nativeDialogs) void this.pickAndOpen();
      else this.folderInput.focus();
    });
    this.browseButton.addEventListener('click', () => void this.pickAndOpen());
  }

  private async pickAndOpen(): Promise<void> {
    const p = await this.chooseFolder('open');
    if (p) await this.openFolder(p);
  }

  private async chooseFolder(purpose: 'open' | 'batch' | 'import-model'): Promise<string | null> {
    try {
      return await this.api.chooseFolder({ purpose });
    } catch (err) {
      toast(errorInfo(err), 'error');
      return null;
    }
  }

  async openFolder(path: string): Promise<void> {
    this.openButton.disabled = true;
    this.statusLeft.textContent = `Opening ${path}…`;
    try {
      const tree = await this.api.openFolder({ path });
      // Hand the keyboard back to the shortcuts once the folder is open.
      if (document.activeElement === this.folderInput) this.folderInput.blur();
      this.setTree(tree);
    } catch (err) {
      const e = errorInfo(err);
      toast(e, 'error');
      this.statusLeft.textContent = this.tree ? this.tree.root : '';
    } finally {
      this.openButton.disabled = false;
    }
  }

  private setTree(tree: StudyTree): void {
    const same = this.tree && this.tree.root === tree.root && this.tree.order.join('\0') === tree.order.join('\0') && this.tree.unreadable.length === tree.unreadable.length;
    this.tree = tree;
    this.folderInput.value = tree.root;
    this.batch.setDefaultFolder(tree.root);
    this.statusLeft.textContent = tree.root;
    this.statusLeft.title = tree.root;
    if (same) return;
    this.browser.setTree(tree);
    if (this.current && tree.order.includes(this.current.path)) this.browser.select(this.current.path);
    else if (tree.order[0]) void this.openImage(tree.order[0], 0);
    else {
      this.current = null;
      this.viewer.showEmpty(tree.unreadable.length ? 'No readable images in this folder (see the list on the left).' : 'No images in this folder.');
      this.findings.setIdle('No image.');
    }
  }

  private bindDrop(): void {
    let depth = 0;
    window.addEventListener('dragenter', (e) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      depth++;
      this.dropHint.classList.remove('hidden');
    });
    window.addEventListener('dragleave', () => {
      if (--depth <= 0) {
        depth = 0;
        this.dropHint.classList.add('hidden');
      }
    });
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      this.dropHint.classList.add('hidden');
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      const path = this.bridge.pathForFile(file);
      if (!path) {
        toast('A browser cannot tell the app where a dropped folder is: type its path in the box at the top.', 'info');
        return;
      }
      void this.openFolder(path);
    });
  }

  // ─── images ─────────────────────────────────────────────────────────────────────────────────

  async openImage(path: string, frame: number): Promise<void> {
    const seq = ++this.frameSeq;
    const samePath = this.current?.path === path;
    this.current = { path, frame };
    this.browser.select(path);
    this.setStatusImage();
    if (!samePath) {
      this.prediction = null;
      this.heatSeq++;
      this.viewer.setHeatmap(null);
    }
    this.runPrediction();
    const loading = setTimeout(() => seq === this.frameSeq && this.viewer.showLoading(true), LOADING_DELAY_MS);
    try {
      const res = await this.api.getFrame({ path, frame });
      if (seq !== this.frameSeq) return;
      this.viewer.showFrame(res);
      this.showImageInfo(res);
    } catch (err) {
      if (seq !== this.frameSeq) return;
      this.viewer.showError(errorInfo(err), path);
      this.imageInfo.showError(errorInfo(err));
    } finally {
      clearTimeout(loading);
      if (seq === this.frameSeq) this.viewer.showLoading(false);
    }
  }

  /** The info panel is secondary: a field it cannot read must never take the image off screen. */
  private showImageInfo(res: FrameResult): void {
    try {
      this.imageInfo.show(res);
    } catch (err) {
      this.imageInfo.showError(errorInfo(err));
    }
  }

  private step(delta: number): void {
    const order = this.browser.order;
    if (!order.length) return;
    const i = this.current ? order.indexOf(this.current.path) : -1;
    const next = order[Math.min(order.length - 1, Math.max(0, i < 0 ? 0 : i + delta))];
    if (next && next !== this.current?.path) void this.openImage(next, 0);
  }

  private stepFrame(delta: number): void {
    const c = this.current;
    if (!c) return;
    const frames = this.tree ? findFrames(this.tree, c.path) : 1;
    const f = Math.min(frames - 1, Math.max(0, c.frame + delta));
    if (f !== c.frame) void this.openImage(c.path, f);
  }

  // ─── model and findings ─────────────────────────────────────────────────────────────────────

  private setModelStatus(s: ModelStatus): void {
    const before = this.model?.current;
    this.model = s;
    const m = s.current;
    this.findings.setModel(s);
    if (this.modelDialog.isOpen) this.modelDialog.setStatus(s);
    setChildren(this.modelButton, m ? [h('span', { class: 'dim' }, 'Model '), m.name, !m.trained ? h('span', { class: 'chip danger' }, 'UNTRAINED') : null] : [h('span', { class: 'chip danger' }, 'No model')]);
    this.modelButton.classList.toggle('untrained', !!m && !m.trained);
    if (!m) this.setBanner('none', s.problem?.reason ? `${s.problem.reason.replace(/\.?$/, '.')} The viewer works without one.` : undefined);
    else if (!m.trained) this.setBanner('untrained');
    else this.setBanner(null);
    document.body.classList.toggle('model-untrained', !!m && !m.trained);
    const changed = (before?.id ?? null) !== (m?.id ?? null) || before?.version !== m?.version;
    if (changed && this.current) {
      this.prediction = null;
      this.runPrediction();
    } else if (!m) this.findings.setModel(s);
  }

  private runPrediction(): void {
    const c = this.current;
    if (!c) return;
    if (!this.model?.current) {
      this.predSeq++;
      if (this.model) this.findings.setModel(this.model);
      return;
    }
    const seq = ++this.predSeq;
    const mode = this.mode;
    this.findings.setBusy(mode);
    const started = performance.now();
    this.api.predict({ path: c.path, frame: c.frame, mode }).then(
      (p) => {
        if (seq !== this.predSeq) return;
        this.prediction = p;
        this.findings.setResult(p);
        // Seen by the e2e timing: from the request to numbers on screen.
        this.findings.root.dataset.clickToFindingsMs = String(performance.now() - started);
        const top = p.findings[0];
        if (top) this.browser.setTop(p.path, { label: top.label, probability: top.probability, above: top.above });
        if (!this.labelChosen || !this.selectedLabel || !p.findings.some((f) => f.label === this.selectedLabel)) this.selectedLabel = top?.label ?? null;
        this.findings.selectLabel(this.selectedLabel);
        if (this.heatmapOn) this.loadHeatmap();
      },
      (err: unknown) => {
        if (seq !== this.predSeq) return;
        this.prediction = null;
        this.findings.setError(errorInfo(err));
      },
    );
  }

  private toggleMode(): void {
    this.mode = this.mode === 'center' ? 'tencrop' : 'center';
    this.findings.setMode(this.mode);
    this.batch.setMode(this.mode);
    this.api.updateSettings({ mode: this.mode }).catch((err: unknown) => toast(errorInfo(err), 'error'));
    this.runPrediction();
  }

  private toggleHeatmap(): void {
    if (!this.model?.current?.hasCam) {
      toast(this.model?.current ? 'This model has no class-activation output, so no heatmap.' : 'No model: a heatmap needs one.', 'info');
      return;
    }
    this.heatmapOn = !this.heatmapOn;
    if (this.heatmapOn) this.loadHeatmap();
    else {
      this.heatSeq++;
      this.viewer.setHeatmap(null);
      this.findings.setHeatmap({ on: false, label: this.selectedLabel });
    }
  }

  private selectLabel(label: string): void {
    this.selectedLabel = label;
    this.labelChosen = true;
    this.findings.selectLabel(label);
    if (this.heatmapOn) this.loadHeatmap();
    else this.findings.setHeatmap({ on: false, label });
  }

  private setOpacity(o: number): void {
    this.opacity = o;
    this.viewer.setHeatmapOpacity(o);
    clearTimeout(this.opacitySave);
    this.opacitySave = window.setTimeout(() => this.api.updateSettings({ heatmapOpacity: o }).catch((err: unknown) => toast(errorInfo(err), 'error')), 400);
  }
  private opacitySave = 0;

  private loadHeatmap(): void {
    const c = this.current;
    const p = this.prediction;
    const label = this.selectedLabel;
    if (!c || !p || !label) {
      // It is drawn as soon as the prediction it belongs to arrives.
      this.findings.setHeatmap({ on: this.heatmapOn, label, busy: this.heatmapOn && !!c });
      return;
    }
    const seq = ++this.heatSeq;
    this.findings.setHeatmap({ on: true, label, busy: true });
    this.api.getHeatmap({ path: c.path, frame: c.frame, mode: p.mode, label, maxSide: HEATMAP_MAX_SIDE }).then(
      (map) => {
        if (seq !== this.heatSeq || !this.heatmapOn) return;
        this.viewer.setHeatmap(map);
        this.findings.setHeatmap({ on: true, label });
      },
      (err: unknown) => {
        if (seq !== this.heatSeq) return;
        this.viewer.setHeatmap(null);
        this.findings.setHeatmap({ on: true, label, error: errorInfo(err) });
      },
    );
  }

  private onBatchRow(row: BatchRow): void {
    if (row.frame !== 0 || !row.topLabel || row.topProbability === null) return;
    this.browser.setTop(row.path, { label: row.topLabel, probability: row.topProbability, above: row.flagged.includes(row.topLabel) });
  }

  // ─── events and commands ────────────────────────────────────────────────────────────────────

  private onEvent(ev: ApiEvent): void {
    switch (ev.type) {
      case 'batch-progress':
      case 'batch-row':
      case 'batch-finished':
        this.batch.handleEvent(ev);
        break;
      case 'model-changed':
        this.setModelStatus(ev.model);
        break;
      case 'folder-opened':
        this.setTree(ev.tree);
        break;
      case 'menu':
        if (ev.command === 'open-folder' && ev.path) void this.openFolder(ev.path);
        else this.commands()[ev.command]();
        break;
    }
  }

  private toggleShortcuts(): void {
    if (this.shortcutsDialog.open) this.shortcutsDialog.close();
    else this.shortcutsDialog.showModal();
  }

  private cachedCommands: Commands | null = null;

  commands(): Commands {
    if (this.cachedCommands) return this.cachedCommands;
    this.cachedCommands = {
      'open-folder': () => {
        if (this.info?.nativeDialogs) void this.pickAndOpen();
        else {
          this.folderInput.focus();
          this.folderInput.select();
        }
      },
      'batch-scan': () => {
        this.batch.toggleOpen(true);
        void this.batch.startScan();
      },
      'export-results': () => void this.batch.exportResults('csv'),
      'model-dialog': () => this.modelDialog.open(),
      invert: () => this.viewer.toggleInvert(),
      reset: () => this.viewer.reset(),
      heatmap: () => this.toggleHeatmap(),
      tencrop: () => this.toggleMode(),
      shortcuts: () => this.toggleShortcuts(),
      nextImage: () => this.step(1),
      previousImage: () => this.step(-1),
      nextFrame: () => this.stepFrame(1),
      previousFrame: () => this.stepFrame(-1),
      fit: () => this.viewer.fit(),
      zoomIn: () => this.viewer.zoomBy(1.25),
      zoomOut: () => this.viewer.zoomBy(0.8),
      rotateLeft: () => this.viewer.rotateBy(-1),
      rotateRight: () => this.viewer.rotateBy(1),
      preset: (i) => this.viewer.applyPresetIndex(i),
      toggleBatchPanel: () => this.batch.toggleOpen(),
      batchStartStop: () => this.batch.toggleRun(),
      closeOverlays: () => {
        let closed = false;
        for (const d of document.querySelectorAll<HTMLDialogElement>('dialog[open]')) {
          d.close();
          closed = true;
        }
        return closed;
      },
    };
    return this.cachedCommands;
  }

  /** What the e2e tests and a user's automation can read without scraping the DOM. */
  describe(): { current: { path: string; frame: number } | null; mode: Mode; heatmap: boolean; label: string | null; top: string | null } {
    const top = this.prediction?.findings[0];
    return { current: this.current, mode: this.mode, heatmap: this.heatmapOn, label: this.selectedLabel, top: top ? `${labelText(top.label)} ${formatPercent(top.probability)}` : null };
  }
}

function findFrames(tree: StudyTree, path: string): number {
  for (const p of tree.patients) for (const s of p.studies) for (const se of s.series) for (const i of se.images) if (i.path === path) return i.frames;
  for (const f of tree.folders) for (const i of f.images) if (i.path === path) return i.frames;
  return 1;
}

