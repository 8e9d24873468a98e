/**
 * Keyboard shortcuts: one table that both dispatches the keys and fills the shortcuts overlay (?), so
 * the two never disagree. Native menu commands call the same actions.
 */
import type { MenuCommand } from '../main/api';
import { h, isTypingTarget } from './dom';

export interface Shortcut {
  /** KeyboardEvent.key values (case-insensitive for letters). */
  keys: string[];
  /** How the keys read in the overlay. */
  display: string;
  does: string;
  action: (e: KeyboardEvent) => void;
}

export type Commands = Record<MenuCommand, () => void> & {
  nextImage(): void;
  previousImage(): void;
  nextFrame(): void;
  previousFrame(): void;
  fit(): void;
  zoomIn(): void;
  zoomOut(): void;
  rotateLeft(): void;
  rotateRight(): void;
  preset(index: number): void;
  toggleBatchPanel(): void;
  batchStartStop(): void;
  closeOverlays(): boolean;
};

export function shortcuts(c: Commands): Shortcut[] {
  return [
    { keys: ['ArrowDown', 'ArrowRight'], display: '↓  →', does: 'Next image', action: () => c.nextImage() },
    { keys: ['ArrowUp', 'ArrowLeft'], display: '↑  ←', does: 'Previous image', action: () => c.previousImage() },
    { keys: ['PageDown'], display: 'PgDn', does: 'Next frame (multi-frame)', action: () => c.nextFrame() },
    { keys: ['PageUp'], display: 'PgUp', does: 'Previous frame', action: () => c.previousFrame() },
    { keys: ['i'], display: 'I', does: 'Invert', action: () => c.invert() },
    { keys: ['r'], display: 'R', does: 'Reset window, zoom and rotation', action: () => c.reset() },
    { keys: ['f'], display: 'F', does: 'Fit to window', action: () => c.fit() },
    { keys: ['+', '='], display: '+  −', does: 'Zoom in / out (or the mouse wheel)', action: () => c.zoomIn() },
    { keys: ['-', '_'], display: '', does: '', action: () => c.zoomOut() },
    { keys: ['['], display: '[  ]', does: 'Rotate left / right', action: () => c.rotateLeft() },
    { keys: [']'], display: '', does: '', action: () => c.rotateRight() },
    { keys: ['1', '2', '3', '4', '5', '6', '7', '8', '9'], display: '1 … 9', does: 'Window presets (in the list’s order)', action: (e) => c.preset(Number(e.key) - 1) },
    { keys: ['t'], display: 'T', does: 'TenCrop on/off (reruns the model)', action: () => c.tencrop() },
    { keys: ['h'], display: 'H', does: 'Heatmap of the selected condition', action: () => c.heatmap() },
    { keys: [' '], display: 'Space', does: 'Start / cancel the batch scan', action: () => c.batchStartStop() },
    { keys: ['b'], display: 'B', does: 'Show / hide the batch panel', action: () => c.toggleBatchPanel() },
    { keys: ['e'], display: 'E', does: 'Export the batch results', action: () => c['export-results']() },
    { keys: ['o'], display: 'O', does: 'Open a folder', action: () => c['open-folder']() },
    { keys: ['m'], display: 'M', does: 'Model dialog', action: () => c['model-dialog']() },
    { keys: ['?'], display: '?', does: 'This list', action: () => c.shortcuts() },
  ];
}

const MOUSE = [
  ['Left drag', 'Pan (Shift: window/level)'],
  ['Right drag', 'Window/level: ↔ width, ↕ level'],
  ['Wheel', 'Zoom around the cursor'],
  ['Double-click', 'Fit to window'],
];

export function bindKeys(table: Shortcut[], closeOverlays: () => boolean): void {
  const byKey = new Map<string, Shortcut>();
  for (const s of table) for (const k of s.keys) byKey.set(k.length === 1 ? k.toLowerCase() : k, s);
  window.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      if (closeOverlays()) e.preventDefault();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (isTypingTarget(e.target)) return;
    // Inside an open modal dialog only Escape applies.
    if (document.querySelector('dialog[open]') && !(e.key === '?' && document.querySelector('dialog[open][data-testid="shortcuts-overlay"]'))) return;
    const s = byKey.get(e.key.length === 1 ? e.key.toLowerCase() : e.key);
    if (!s) return;
    // Space and arrows must not also click a focused button or scroll a list.
    e.preventDefault();
    s.action(e);
  });
}

export function shortcutsOverlay(table: Shortcut[]): HTMLDialogElement {
  const rows = table.filter((s) => s.display).map((s) => h('div', { class: 'sc-row' }, h('kbd', null, s.display), h('span', null, s.does)));
  const mouse = MOUSE.map(([k, v]) => h('div', { class: 'sc-row' }, h('kbd', null, k!), h('span', null, v!)));
  const dlg = h(
    'dialog',
    { class: 'dialog shortcuts', testid: 'shortcuts-overlay' },
    h('div', { class: 'dialog-head' }, h('div', { class: 'dialog-title' }, 'Keyboard and mouse'), h('button', { type: 'button', class: 'btn ghost', title: 'Close (Esc)', onclick: () => dlg.close() }, '×')),
    h('div', { class: 'dialog-body sc-grid' }, h('div', null, rows), h('div', null, h('h3', null, 'Mouse'), mouse)),
  );
  dlg.addEventListener('click', (e) => {
    if (e.target === dlg) dlg.close();
  });
  return dlg;
}
