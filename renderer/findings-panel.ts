/**
 * The model's outputs for the image in the viewer: every condition ranked by probability with a bar,
 * the model's operating point marked on it and those at or above it flagged; which mode produced the
 * numbers and how long it took; the TenCrop and heatmap toggles. An untrained model's outputs are
 * headed as not findings.
 */
import type { Mode, ModelStatus, PredictionResult } from '../main/api';
import type { ErrorInfo } from '../main/error-info';
import { h, setChildren } from './dom';
import { formatMs, formatPercent, labelText } from './format';
import type { ColorMapName } from './viewer/heatmap-layer';

export interface FindingsCallbacks {
  onToggleMode(): void;
  onToggleHeatmap(): void;
  onSelectLabel(label: string): void;
  onOpacity(opacity: number): void;
  onColorMap(name: ColorMapName): void;
  onThreshold(fraction: number): void;
  onMakeDemoModel(): void;
  onOpenModelDialog(): void;
}

export const MODE_NAMES: Record<Mode, string> = { center: 'Center crop', tencrop: 'TenCrop (10 crops)' };

export class FindingsPanel {
  readonly root: HTMLElement;
  private readonly heading = h('div', { class: 'panel-title', testid: 'findings-heading' }, 'Findings');
  private readonly modelLine = h('div', { class: 'findings-model dim', testid: 'findings-model' });
  private readonly tencrop: HTMLButtonElement;
  private readonly modeLabel = h('div', { class: 'mode-label', testid: 'mode-label' });
  private readonly timingLabel = h('div', { class: 'timing-label dim', testid: 'timing-label' });
  private readonly busy = h('div', { class: 'findings-busy hidden', testid: 'findings-busy' }, h('span', { class: 'spinner' }), h('span', { class: 'busy-text' }, 'Running the model…'));
  private readonly list = h('div', { class: 'findings-list', testid: 'findings-list', role: 'list' });
  private readonly note = h('div', { class: 'findings-note' });
  private readonly heatToggle: HTMLButtonElement;
  private readonly heatLabel = h('span', { class: 'heat-label dim', testid: 'heatmap-label' });
  private readonly opacity = h('input', { type: 'range', min: 0, max: 100, value: 50, class: 'opacity', testid: 'heatmap-opacity', title: 'Heatmap opacity' });
  private readonly threshold = h('input', { type: 'range', min: 0, max: 90, value: 20, class: 'opacity', testid: 'heatmap-threshold', title: 'Hide activations below this fraction of the map’s range' });
  private readonly colorMap = h('select', { class: 'tb-select', testid: 'heatmap-colormap', title: 'Colour map' }, h('option', { value: 'inferno' }, 'Inferno'), h('option', { value: 'jet' }, 'Jet'));
  private readonly heatStatus = h('div', { class: 'heat-status dim', testid: 'heatmap-status' });
  private readonly heatBox: HTMLElement;

  private selectedLabel: string | null = null;
  private busyTimer = 0;
  private busyStart = 0;

  constructor(private readonly cb: FindingsCallbacks) {
    this.tencrop = h('button', { type: 'button', class: 'switch', role: 'switch', 'aria-checked': 'false', testid: 'tencrop-toggle', title: 'TenCrop: average 10 crops (T)', onclick: () => this.cb.onToggleMode() }, h('span', { class: 'knob' }), 'TenCrop');
    this.heatToggle = h('button', { type: 'button', class: 'switch', role: 'switch', 'aria-checked': 'false', testid: 'heatmap-toggle', title: 'Heatmap of the selected condition (H)', onclick: () => this.cb.onToggleHeatmap() }, h('span', { class: 'knob' }), 'Heatmap');
    this.opacity.addEventListener('input', () => this.cb.onOpacity(Number(this.opacity.value) / 100));
    this.colorMap.addEventListener('change', () => this.cb.onColorMap(this.colorMap.value as ColorMapName));
    this.threshold.addEventListener('input', () => this.cb.onThreshold(Number(this.threshold.value) / 100));
    this.list.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('[data-testid="finding-row"]');
      if (row?.dataset.label) this.cb.onSelectLabel(row.dataset.label);
    });
    this.heatBox = h('div', { class: 'heat-box' }, h('div', { class: 'row' }, this.heatToggle, this.heatLabel), h('div', { class: 'row' }, h('span', { class: 'dim heat-k' }, 'Opacity'), this.opacity, this.colorMap), h('div', { class: 'row' }, h('span', { class: 'dim heat-k' }, 'Threshold'), this.threshold), this.heatStatus);
    this.root = h(
      'aside',
      { class: 'panel findings-panel', testid: 'findings-panel' },
      this.heading,
      this.modelLine,
      h('div', { class: 'findings-controls' }, this.tencrop, h('div', { class: 'mode-box' }, this.modeLabel), this.timingLabel),
      this.busy,
      this.list,
      this.note,
      this.heatBox,
    );
    this.setIdle('Select an image to run the model.');
  }

  setModel(status: ModelStatus): void {
    const m = status.current;
    this.heading.textContent = m && !m.trained ? 'Model outputs — NOT findings' : 'Findings';
    this.heading.classList.toggle('untrained', !!m && !m.trained);
    this.root.classList.toggle('untrained', !!m && !m.trained);
    setChildren(
      this.modelLine,
      m ? [`${m.name} ${m.version}`, !m.trained ? h('span', { class: 'chip danger' }, 'UNTRAINED') : null, m.operatingPoints ? null : h('span', { class: 'chip' }, 'no operating points')] : 'No model',
    );
    this.heatBox.classList.toggle('disabled', !m?.hasCam);
    this.heatToggle.disabled = !m?.hasCam;
    if (m && !m.hasCam) this.heatStatus.textContent = 'This model has no class-activation output.';
    if (!m) this.showNoModel(status.problem);
  }

  setMode(mode: Mode): void {
    this.tencrop.setAttribute('aria-checked', String(mode === 'tencrop'));
    this.tencrop.classList.toggle('on', mode === 'tencrop');
  }

  setHeatmap(state: { on: boolean; label: string | null; busy?: boolean; error?: ErrorInfo | null }): void {
    this.heatToggle.setAttribute('aria-checked', String(state.on));
    this.heatToggle.classList.toggle('on', state.on);
    this.heatLabel.textContent = state.on && state.label ? labelText(state.label) : '';
    this.heatStatus.textContent = state.error ? `Heatmap failed: ${state.error.reason}` : state.busy ? 'Computing heatmap…' : state.on ? 'Class activation map, scaled to its own range' : '';
    this.heatStatus.classList.toggle('error', !!state.error);
  }

  setOpacity(opacity: number): void {
    this.opacity.value = String(Math.round(opacity * 100));
  }

  setColorMap(name: ColorMapName): void {
    this.colorMap.value = name;
  }

  selectLabel(label: string | null): void {
    this.selectedLabel = label;
    for (const row of this.list.querySelectorAll<HTMLElement>('[data-testid="finding-row"]')) row.classList.toggle('selected', row.dataset.label === label);
  }

  setIdle(text: string): void {
    this.stopBusy();
    this.list.replaceChildren();
    this.modeLabel.textContent = '';
    this.timingLabel.textContent = '';
    setChildren(this.note, h('div', { class: 'dim' }, text));
  }

  /** A run started; the last numbers stay, dimmed, until the new ones arrive. */
  setBusy(mode: Mode): void {
    this.list.classList.add('stale');
    this.root.dataset.busy = 'true';
    this.busy.classList.remove('hidden');
    this.busyStart = performance.now();
    const text = this.busy.querySelector('.busy-text')!;
    const tick = () => {
      const s = (performance.now() - this.busyStart) / 1000;
      text.textContent = `Running the model (${mode === 'tencrop' ? 'TenCrop' : 'center crop'})… ${s.toFixed(1)} s`;
    };
    tick();
    clearInterval(this.busyTimer);
    this.busyTimer = window.setInterval(tick, 100);
  }

  private stopBusy(): void {
    clearInterval(this.busyTimer);
    this.busy.classList.add('hidden');
    this.list.classList.remove('stale');
    delete this.root.dataset.busy;
  }

  setResult(p: PredictionResult): void {
    this.stopBusy();
    const t = p.timings;
    this.modeLabel.textContent = `${MODE_NAMES[p.mode]} · ${formatMs(t.totalMs)}`;
    this.modeLabel.dataset.mode = p.mode;
    this.timingLabel.textContent = `decode ${formatMs(t.decodeMs)} · prep ${formatMs(t.preprocessMs)} · model ${formatMs(t.inferenceMs)}`;
    this.timingLabel.title = `Total ${t.totalMs.toFixed(1)} ms: decode ${t.decodeMs.toFixed(1)}, preprocess ${t.preprocessMs.toFixed(1)}, inference ${t.inferenceMs.toFixed(1)} ms`;
    this.timingLabel.dataset.totalMs = String(t.totalMs);
    this.root.dataset.mode = p.mode;
    this.root.dataset.path = p.path;
    this.root.dataset.frame = String(p.frame);
    const rows = p.findings.map((f, rank) => {
      const op = f.operatingPoint;
      const bar = h('div', { class: 'bar' }, h('div', { class: 'fill' }));
      (bar.firstChild as HTMLElement).style.width = `${Math.max(0, Math.min(1, f.probability)) * 100}%`;
      if (op !== undefined) {
        const mark = h('div', { class: 'op-mark', title: `Operating point ${formatPercent(op, 1)}` });
        mark.style.left = `${Math.max(0, Math.min(1, op)) * 100}%`;
        bar.append(mark);
      }
      return h(
        'div',
        {
          class: `finding-row${f.above ? ' above' : ''}${f.label === this.selectedLabel ? ' selected' : ''}`,
          testid: 'finding-row',
          role: 'listitem',
          'data-label': f.label,
          'data-probability': String(f.probability),
          'data-above': String(f.above),
          'data-rank': String(rank),
          title: `${labelText(f.label)}: ${f.probability}${op !== undefined ? `\noperating point ${op}${f.above ? ' (at or above)' : ''}` : ''}\nClick to show its heatmap`,
        },
        h('span', { class: 'flag' }, f.above ? '▲' : ''),
        h('span', { class: 'label' }, labelText(f.label)),
        bar,
        h('span', { class: 'pct' }, formatPercent(f.probability, 1)),
      );
    });
    setChildren(this.list, rows);
    const anyOp = p.findings.some((f) => f.operatingPoint !== undefined);
    const above = p.findings.filter((f) => f.above).length;
    setChildren(
      this.note,
      !p.model.trained ? h('div', { class: 'untrained-note', testid: 'untrained-note' }, 'UNTRAINED MODEL — these numbers come from random weights and are not findings.') : null,
      anyOp ? h('div', { class: 'dim' }, `${above} at or above the model's operating point (▲, marked | on the bars).`) : h('div', { class: 'dim' }, 'This model has no operating points: nothing is flagged.'),
    );
  }

  setError(info: ErrorInfo): void {
    this.stopBusy();
    this.list.replaceChildren();
    this.modeLabel.textContent = '';
    this.timingLabel.textContent = '';
    setChildren(this.note, h('div', { class: 'findings-error', testid: 'findings-error' }, h('div', { class: 'strong' }, 'No model outputs for this image'), h('div', null, info.reason), h('div', { class: 'dim' }, info.code)));
  }

  private showNoModel(problem?: ErrorInfo): void {
    this.setIdle('');
    setChildren(
      this.note,
      h(
        'div',
        { class: 'no-model', testid: 'no-model' },
        h('div', { class: 'strong' }, 'No model is installed'),
        h('div', null, problem?.reason ?? 'The viewer works without one; findings need a model.'),
        h('div', { class: 'row' }, h('button', { type: 'button', class: 'btn primary', testid: 'make-demo-model-inline', onclick: () => this.cb.onMakeDemoModel() }, 'Make the demo model'), h('button', { type: 'button', class: 'btn', onclick: () => this.cb.onOpenModelDialog() }, 'Models…')),
        h('div', { class: 'dim small' }, 'The demo model is untrained: it shows how the app works, not what is in an image.'),
      ),
    );
  }
}
