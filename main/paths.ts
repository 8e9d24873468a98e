/**
 * Where CheXDesk keeps what the user produces: installed models, settings, batch results, caches.
 * One place for the CLI, serve mode and the Electron app, so a model imported on the command line is
 * the app's model too. $CHEXDESK_HOME overrides it (tests, portable installs).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function dataDir(): string {
  if (process.env.CHEXDESK_HOME) return process.env.CHEXDESK_HOME;
  const home = homedir();
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'CheXDesk');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'CheXDesk');
  return join(process.env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'chexdesk');
}

export const modelStoreDir = () => join(dataDir(), 'models');
export const settingsFile = () => join(dataDir(), 'settings.json');
export const resultsDbFile = () => join(dataDir(), 'results.sqlite');
