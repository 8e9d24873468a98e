/**
 * The Model dialog: the model in use (name, trained or not, labels, provenance), the others
 * installed, importing a model folder, making the untrained demo model, and how to convert the real
 * CheXNet weights.
 */
import type { Api, ModelInfo, ModelStatus } from '../main/api';
import { errorInfo } from './bridge';
import { h, setChildren } from './dom';
import { labelText } from './format';
import { toast } from './toast';

export interface ModelDialogCallbacks {
  chooseFolder(): Promise<string | null>;
  onStatus(status: ModelStatus): void;
}

export class ModelDialog {
  readonly root: HTMLDialogElement;
  private readonly body = h('div', { class: 'dialog-body' });
  private readonly importPath = h('input', { type: 'text', class: 'path-input', testid: 'import-model-path', placeholder: 'Model folder (holding model.onnx and model.json)', spellcheck: 'false' });
  private readonly browse = h('button', { type: 'button', class: 'btn hidden', testid: 'import-model-browse' }, 'Browse…');
  private readonly importButton = h('button', { type: 'button', class: 'btn', testid: 'import-model' }, 'Import');
  private readonly demoButton = h('button', { type: 'button', class: 'btn', testid: 'make-demo-model' }, 'Make the demo model');
  private readonly actionStatus = h('div', { class: 'dim small', testid: 'model-action-status' });

  constructor(private readonly api: Api, private readonly cb: ModelDialogCallbacks) {
    this.root = h(
      'dialog',
      { class: 'dialog model-dialog', testid: 'model-dialog' },
      h('div', { class: 'dialog-head' }, h('div', { class: 'dialog-title' }, 'Model'), h('button', { type: 'button', class: 'btn ghost', testid: 'model-dialog-close', title: 'Close (Esc)', onclick: () => this.close() }, '×')),
      this.body,
    );
    this.browse.addEventListener('click', () => {
      void this.cb.chooseFolder().then((p) => {
        if (p) this.importPath.value = p;
      });
    });
    this.importButton.addEventListener('click', () => void this.run('Importing…', () => this.api.importModel({ path: this.importPath.value.trim() }), 'Model imported'));
    this.importPath.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.importButton.click();
    });
    this.demoButton.addEventListener('click', () => void this.makeDemo());
    this.root.addEventListener('click', (e) => {
      // A click on the backdrop (the dialog element itself, outside its box) closes it.
      if (e.target === this.root) this.close();
    });
  }

  setNativeDialogs(on: boolean): void {
    this.browse.classList.toggle('hidden', !on);
  }

  open(): void {
    if (!this.root.open) {
      this.actionStatus.textContent = '';
      this.actionStatus.classList.remove('error');
      this.root.showModal();
    }
    void this.api.getModelStatus({}).then(
      (s) => this.setStatus(s),
      (err: unknown) => toast(errorInfo(err), 'error'),
    );
  }

  close(): void {
    if (this.root.open) this.root.close();
  }

  get isOpen(): boolean {
    return this.root.open;
  }

  async makeDemo(): Promise<void> {
    await this.run('Making the demo model (a few seconds)…', () => this.api.makeDemoModel({}), 'Demo model ready (untrained)');
  }

  private async run(busyText: string, action: () => Promise<ModelStatus>, done: string): Promise<void> {
    for (const b of [this.importButton, this.demoButton]) b.disabled = true;
    this.actionStatus.textContent = busyText;
    this.actionStatus.classList.remove('error');
    try {
      const s = await action();
      this.setStatus(s);
      this.cb.onStatus(s);
      this.actionStatus.textContent = done;
      toast(done, 'ok');
    } catch (err) {
      const info = errorInfo(err);
      this.actionStatus.textContent = info.reason;
      this.actionStatus.classList.add('error');
      if (!this.root.open) toast(info, 'error');
    } finally {
      for (const b of [this.importButton, this.demoButton]) b.disabled = false;
    }
  }

  setStatus(s: ModelStatus): void {
    const m = s.current;
    setChildren(
      this.body,
      h('section', { class: 'dialog-section' }, h('h3', null, 'In use'), m ? modelCard(m) : h('div', { class: 'no-model', testid: 'model-dialog-none' }, h('div', { class: 'strong' }, 'No model'), h('div', null, s.problem?.reason ?? 'No model is installed. The viewer works; findings need a model.'))),
      s.installed.length > 1 || (s.installed.length === 1 && s.installed[0]!.id !== m?.id)
        ? h(
            'section',
            { class: 'dialog-section' },
            h('h3', null, 'Installed'),
            h(
              'div',
              { class: 'installed' },
              s.installed.map((x) =>
                h(
                  'div',
                  { class: `installed-row${x.id === m?.id ? ' current' : ''}`, testid: 'installed-model', 'data-id': x.id },
                  h('span', { class: 'strong' }, x.name),
                  h('span', { class: 'dim' }, ` ${x.version}`),
                  x.trained ? null : h('span', { class: 'chip danger' }, 'UNTRAINED'),
                  h('span', { class: 'spring' }),
                  x.id === m?.id ? h('span', { class: 'dim' }, 'in use') : h('button', { type: 'button', class: 'btn small', testid: 'select-model', onclick: () => void this.run('Loading…', () => this.api.selectModel({ id: x.id }), `Using ${x.name}`) }, 'Use'),
                ),
              ),
            ),
          )
        : null,
      h(
        'section',
        { class: 'dialog-section' },
        h('h3', null, 'Add a model'),
        h('div', { class: 'row' }, this.importPath, this.browse, this.importButton),
        h('div', { class: 'row' }, this.demoButton, h('span', { class: 'dim small' }, 'Untrained DenseNet121 with CheXNet’s 14 outputs: for trying the app, not for reading images.')),
        this.actionStatus,
      ),
      h('section', { class: 'dialog-section' }, h('h3', null, 'Using the real CheXNet weights'), h('pre', { class: 'help', testid: 'conversion-help' }, s.conversionHelp)),
    );
  }
}

function modelCard(m: ModelInfo): HTMLElement {
  const kv = (k: string, v: string | Node | null | undefined) => (v === undefined || v === null || v === '' ? null : h('div', { class: 'kv' }, h('span', { class: 'k' }, k), h('span', { class: 'v' }, v)));
  const provenance = m.provenance
    ? Object.entries(m.provenance).map(([k, v]) => kv(k, typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v)))
    : [];
  return h(
    'div',
    { class: 'model-card', testid: 'model-card', 'data-trained': String(m.trained) },
    h('div', { class: 'model-name' }, h('span', { class: 'strong' }, m.name), h('span', { class: 'dim' }, ` ${m.version}`), m.trained ? h('span', { class: 'chip ok' }, 'trained') : h('span', { class: 'chip danger', testid: 'model-untrained-chip' }, 'UNTRAINED — outputs are not findings')),
    m.description ? h('div', { class: 'dim' }, m.description) : null,
    kv('Architecture', m.architecture),
    kv('Input', `${m.inputSize}×${m.inputSize}, ${m.channels === 3 ? 'RGB' : 'gray'}`),
    kv('Heatmaps', m.hasCam ? 'class activation maps' : 'none'),
    kv('Operating points', m.operatingPoints ? `${Object.keys(m.operatingPoints).length} labels` : 'none (nothing is flagged)'),
    kv('Folder', m.dir),
    h('div', { class: 'labels' }, m.labels.map((l) => h('span', { class: 'chip', title: m.operatingPoints?.[l] !== undefined ? `operating point ${m.operatingPoints[l]}` : '' }, labelText(l)))),
    provenance.length ? h('details', { class: 'provenance' }, h('summary', null, 'Provenance'), provenance) : null,
  );
}
