/**
 * The native menu. Items send a MenuCommand to the renderer, which acts on it with the same code as its
 * keyboard shortcuts; single-key shortcuts are shown but not registered (registerAccelerator: false),
 * so typing a path or a window value is never taken for a command.
 */
import { app, Menu, shell, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../main/api';

export interface MenuContext {
  recentFolders: string[];
  send(command: MenuCommand, path?: string): void;
}

export function buildMenu(ctx: MenuContext): void {
  const item = (label: string, command: MenuCommand, accelerator?: string, registered = true): MenuItemConstructorOptions => ({
    label,
    click: () => ctx.send(command),
    ...(accelerator ? { accelerator, registerAccelerator: registered } : {}),
  });
  const recent: MenuItemConstructorOptions[] = ctx.recentFolders.length
    ? ctx.recentFolders.map((f) => ({ label: f, click: () => ctx.send('open-folder', f) }))
    : [{ label: 'No recent folders', enabled: false }];
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        item('Open Study Folder…', 'open-folder', 'CmdOrCtrl+O'),
        { label: 'Open Recent', submenu: recent },
        { type: 'separator' },
        item('Batch Scan…', 'batch-scan', 'CmdOrCtrl+B'),
        item('Export Results…', 'export-results', 'CmdOrCtrl+E'),
        { type: 'separator' },
        item('Model…', 'model-dialog', 'CmdOrCtrl+M'),
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: 'View',
      submenu: [
        item('Invert', 'invert', 'I', false),
        item('Reset View', 'reset', 'R', false),
        item('Heatmap', 'heatmap', 'H', false),
        item('TenCrop', 'tencrop', 'T', false),
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' } as MenuItemConstructorOptions]),
      ],
    },
    {
      label: 'Help',
      submenu: [
        item('Keyboard Shortcuts', 'shortcuts', '?', false),
        { label: 'Using the real CheXNet weights', click: () => ctx.send('model-dialog') },
        { type: 'separator' },
        { label: 'CheXNet paper (Rajpurkar et al. 2017)', click: () => void shell.openExternal('https://arxiv.org/abs/1711.05225') },
        { role: 'about' },
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
