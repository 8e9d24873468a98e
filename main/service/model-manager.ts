/**
 * The model the app uses: resolved from --model or the store, loaded once, replaced when the user
 * imports, makes or selects another. Without a usable model the app still runs and says why.
 */
import type { ModelInfo, ModelStatus } from '../api';
import { CheXDeskError, toCheXDeskError, type ErrorInfo } from '../errors';
import { CONVERSION_HELP, modelKey, ModelStore, toModelInfo } from '../model/model-store';
import { loadModel, releaseModel, type LoadedModel } from '../model/session';
import type { EventHub } from './events';

export interface ActiveModel {
  id: string;
  info: ModelInfo;
  model: LoadedModel;
  /** sha256 of model.onnx: which results can be reused. */
  key: string;
}

export class ModelManager {
  private active: ActiveModel | null = null;
  private problem: ErrorInfo | undefined;
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ModelStore,
    private readonly events: EventHub,
    private readonly opts: { explicitDir?: string; threads?: number } = {},
  ) {}

  /** Loads the configured model; a failure is kept as the status's problem, not thrown. */
  init(): Promise<void> {
    this.loading = this.switchTo(() => this.store.resolve(this.opts.explicitDir));
    return this.loading;
  }

  async status(): Promise<ModelStatus> {
    await this.loading;
    const installed = (await this.store.list()).map((m) => toModelInfo(m.id, m.dir, m.manifest));
    const status: ModelStatus = { current: this.active?.info ?? null, installed, conversionHelp: CONVERSION_HELP };
    if (this.problem) status.problem = this.problem;
    return status;
  }

  /** The model in use, or a ModelNotFound error that says how to get one. */
  async require(): Promise<ActiveModel> {
    await this.loading;
    if (this.active) return this.active;
    if (this.problem) throw new CheXDeskError(this.problem.code, this.problem.reason, this.problem.file);
    throw new CheXDeskError('ModelNotFound', 'no model installed: make the demo model or import one (Model dialog)');
  }

  async importFolder(path: string): Promise<ModelStatus> {
    const imported = await this.store.import(path, this.threadsOpt());
    await this.changeTo(() => Promise.resolve({ id: imported.id, dir: imported.dir }));
    return this.status();
  }

  /** The user asked for the demo model in the app: it is installed and used. */
  async makeDemo(): Promise<ModelStatus> {
    const { model } = await this.store.installDemo();
    await this.store.select(model.id);
    await this.changeTo(() => Promise.resolve({ id: model.id, dir: model.dir }));
    return this.status();
  }

  async select(id: string): Promise<ModelStatus> {
    const m = await this.store.select(id);
    await this.changeTo(() => Promise.resolve({ id: m.id, dir: m.dir }));
    return this.status();
  }

  async close(): Promise<void> {
    await this.loading;
    if (this.active) await releaseModel(this.active.model);
    this.active = null;
  }

  private threadsOpt(): { threads?: number } {
    return this.opts.threads ? { threads: this.opts.threads } : {};
  }

  private async changeTo(pick: () => Promise<{ id: string; dir: string } | null>): Promise<void> {
    await this.loading;
    const attempt = this.switchTo(pick);
    this.loading = attempt.catch(() => undefined);
    await attempt;
    if (this.problem) throw new CheXDeskError(this.problem.code, this.problem.reason, this.problem.file);
    this.events.emit({ type: 'model-changed', model: await this.status() });
  }

  private async switchTo(pick: () => Promise<{ id: string; dir: string } | null>): Promise<void> {
    const previous = this.active;
    this.problem = undefined;
    try {
      const chosen = await pick();
      if (!chosen) {
        this.active = null;
        this.problem = new CheXDeskError('ModelNotFound', 'no model is installed yet: make the demo model (untrained) or import real CheXNet weights').toInfo();
        return;
      }
      const model = await loadModel(chosen.dir, this.threadsOpt());
      this.active = { id: chosen.id, info: toModelInfo(chosen.id, model.dir, model.manifest), model, key: await modelKey(model) };
      if (previous && previous.model !== model) await releaseModel(previous.model);
    } catch (err) {
      this.active = previous;
      this.problem = previous ? undefined : toCheXDeskError(err).toInfo();
      if (previous) throw err;
    }
  }
}
