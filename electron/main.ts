/**
 * The Electron host: a thin shell around the core (main/). It registers main/api.ts's methods on one
 * IPC channel, forwards the core's events, adds native dialogs and menus, and applies Electron's
 * security checklist (electron/security.ts). Everything a user does goes through the same CoreService
 * as serve mode and the CLI.
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, type IpcMainInvokeEvent } from 'electron';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiArgumentError, IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, isApiMethod, validateArgs, type ApiEvent, type IpcEnvelope, type MenuCommand } from '../main/api';
import { CheXDeskError, toCheXDeskError } from '../main/errors';
import { dataDir } from '../main/paths';
import { CoreService } from '../main/service/core-service';
import { buildMenu } from './menu';
import { APP_ORIGIN, APP_SCHEME, hardenSession, hardenWebContents, registerAppProtocol } from './security';

const here = fileURLToPath(new URL('.', import.meta.url));
// Unpackaged (npm start), better-sqlite3 in node_modules is built for Node (the CLI and tests use it);
// tools/electron-native.mjs builds a copy for Electron's ABI. A packaged app is rebuilt by electron-builder.
const devSqlite = join(here, '..', '.electron-native', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
// Same data folder as the CLI: a model imported on the command line is the app's model too.
app.setPath('userData', dataDir());

let core: CoreService | null = null;
let win: BrowserWindow | null = null;

function send(event: ApiEvent): void {
  if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, event);
}

function sendMenu(command: MenuCommand, path?: string): void {
  send(path ? { type: 'menu', command, path } : { type: 'menu', command });
}

async function chooseFolder(purpose: 'open' | 'batch' | 'import-model'): Promise<string | null> {
  if (!win) return null;
  const title = purpose === 'open' ? 'Open Study Folder' : purpose === 'batch' ? 'Folder to Scan' : 'Model Folder to Import';
  const r = await dialog.showOpenDialog(win, { title, properties: ['openDirectory'] });
  return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0]!;
}

async function saveFile(suggestedName: string, content: Uint8Array): Promise<string | null> {
  if (!win) return null;
  const r = await dialog.showSaveDialog(win, { title: 'Export Results', defaultPath: suggestedName });
  if (r.canceled || !r.filePath) return null;
  await writeFile(r.filePath, content);
  return r.filePath;
}

/** Only our own page in our own window may call the core. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return Boolean(win && event.sender === win.webContents && frame && frame === win.webContents.mainFrame && frame.url.startsWith(`${APP_ORIGIN}/`));
}

async function invoke(event: IpcMainInvokeEvent, method: unknown, raw: unknown): Promise<IpcEnvelope<unknown>> {
  try {
    if (!trustedSender(event)) throw new CheXDeskError('AccessDenied', 'IPC from an untrusted frame');
    if (typeof method !== 'string' || !isApiMethod(method)) throw new CheXDeskError('InvalidArgument', `no API method "${String(method)}"`);
    if (!core) throw new CheXDeskError('Internal', 'the core is still starting');
    const args = validateArgs(method, raw);
    // Each method takes its own validated argument type; the index signature loses that link.
    const value = await (core[method] as (a: unknown) => Promise<unknown>).call(core, args);
    return { ok: true, value };
  } catch (err) {
    if (err instanceof ApiArgumentError) return { ok: false, error: { code: 'InvalidArgument', reason: err.message } };
    return { ok: false, error: toCheXDeskError(err).toInfo() };
  }
}

async function createWindow(c: CoreService): Promise<void> {
  const saved = c.storedSettings().window;
  win = new BrowserWindow({
    width: saved?.width ?? 1440,
    height: saved?.height ?? 900,
    ...(saved?.x !== undefined && saved?.y !== undefined ? { x: saved.x, y: saved.y } : {}),
    minWidth: 960,
    minHeight: 600,
    backgroundColor: '#0d0f12',
    title: 'CheXDesk',
    show: false,
    webPreferences: {
      preload: join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  if (saved?.maximized) win.maximize();
  hardenWebContents(win.webContents);
  win.once('ready-to-show', () => win?.show());
  win.on('close', () => {
    if (!win) return;
    const b = win.getNormalBounds();
    void c.rememberWindow({ width: b.width, height: b.height, x: b.x, y: b.y, maximized: win.isMaximized() });
  });
  win.on('closed', () => {
    win = null;
  });
  await win.loadURL(`${APP_ORIGIN}/index.html`);
}

async function start(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  hardenSession();
  registerAppProtocol(join(here, 'renderer'));
  const opts: Parameters<typeof CoreService.create>[0] = { host: { kind: 'electron', chooseFolder, saveFile } };
  if (!app.isPackaged && existsSync(devSqlite)) opts.sqliteBinding = devSqlite;
  const modelArg = process.argv.find((a) => a.startsWith('--model='));
  if (modelArg) opts.modelDir = modelArg.slice('--model='.length);
  core = await CoreService.create(opts);
  const c = core;
  c.events.subscribe(send);
  ipcMain.handle(IPC_INVOKE_CHANNEL, invoke);
  const refreshMenu = () => buildMenu({ recentFolders: c.storedSettings().recentFolders, send: sendMenu });
  refreshMenu();
  c.events.subscribe((e) => {
    if (e.type === 'folder-opened') refreshMenu();
  });
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('window-all-closed', () => app.quit());
  let closing = false;
  app.on('before-quit', (e) => {
    if (closing) return;
    closing = true;
    e.preventDefault();
    // Finished rows are already committed; this only winds the running batch down cleanly.
    void c.close().finally(() => app.exit(0));
  });
  await createWindow(c);
}

void start().catch((err: unknown) => {
  dialog.showErrorBox('CheXDesk could not start', err instanceof Error ? err.message : String(err));
  app.exit(1);
});
