/**
 * The user's settings (mode, heatmap opacity, recent folders, window geometry, chosen model), kept in
 * settings.json and written atomically on every change. A damaged file is set aside, not lost.
 */
import { readFile, rename } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write';
import { settingsFile } from './paths';
import type { Settings } from './api';

export interface StoredSettings extends Settings {
  /** Id of the chosen model in the store. */
  model?: string;
}

const DEFAULTS: StoredSettings = { mode: 'center', heatmapOpacity: 0.45, recentFolders: [] };
const MAX_RECENT = 10;

export class SettingsStore {
  private current: StoredSettings = { ...DEFAULTS };
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string = settingsFile()) {}

  async load(): Promise<StoredSettings> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return this.current;
    }
    try {
      const raw = JSON.parse(text) as Partial<StoredSettings>;
      this.current = sanitize(raw);
    } catch {
      // Keep the unreadable file for the user to inspect instead of overwriting it.
      await rename(this.file, `${this.file}.damaged-${Date.now()}`).catch(() => undefined);
    }
    return this.current;
  }

  get(): StoredSettings {
    return this.current;
  }

  async update(patch: Partial<StoredSettings>): Promise<StoredSettings> {
    this.current = sanitize({ ...this.current, ...patch });
    const snapshot = JSON.stringify(this.current, null, 2);
    // Writes are serialised so an older snapshot never lands after a newer one.
    const write = this.writing.then(() => writeFileAtomic(this.file, snapshot));
    this.writing = write.catch(() => undefined);
    await write;
    return this.current;
  }

  async addRecentFolder(folder: string): Promise<StoredSettings> {
    const recent = [folder, ...this.current.recentFolders.filter((f) => f !== folder)].slice(0, MAX_RECENT);
    return this.update({ recentFolders: recent });
  }
}

function sanitize(raw: Partial<StoredSettings>): StoredSettings {
  const s: StoredSettings = {
    mode: raw.mode === 'tencrop' ? 'tencrop' : 'center',
    heatmapOpacity: typeof raw.heatmapOpacity === 'number' && raw.heatmapOpacity >= 0 && raw.heatmapOpacity <= 1 ? raw.heatmapOpacity : DEFAULTS.heatmapOpacity,
    recentFolders: Array.isArray(raw.recentFolders) ? raw.recentFolders.filter((f): f is string => typeof f === 'string').slice(0, MAX_RECENT) : [],
  };
  if (typeof raw.model === 'string') s.model = raw.model;
  const w = raw.window;
  if (w && typeof w.width === 'number' && typeof w.height === 'number') s.window = w;
  return s;
}
