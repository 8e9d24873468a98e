/**
 * Short notices in a corner: results of actions (saved, exported) and failures that have no better
 * place. Errors stay until dismissed; the rest fade after a few seconds.
 */
import type { ErrorInfo } from '../main/error-info';
import { h } from './dom';

export type ToastKind = 'ok' | 'info' | 'error';

let host: HTMLElement | null = null;

function container(): HTMLElement {
  if (!host || !host.isConnected) {
    host = h('div', { class: 'toasts', testid: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(host);
  }
  return host;
}

export function toast(message: string | ErrorInfo, kind: ToastKind = 'info'): void {
  const text = typeof message === 'string' ? message : message.file ? `${message.reason} (${message.file})` : message.reason;
  const code = typeof message === 'string' ? null : message.code;
  const close = h('button', { type: 'button', class: 'toast-close', title: 'Dismiss', 'aria-label': 'Dismiss' }, '×');
  const el = h('div', { class: `toast ${kind}`, testid: kind === 'error' ? 'toast-error' : 'toast' }, h('div', { class: 'toast-text' }, text, code ? h('span', { class: 'toast-code' }, ` ${code}`) : null), close);
  close.addEventListener('click', () => el.remove());
  const c = container();
  c.append(el);
  while (c.children.length > 5) c.firstElementChild?.remove();
  if (kind !== 'error') setTimeout(() => el.remove(), 4500);
}
