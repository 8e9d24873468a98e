/**
 * Entry of the renderer bundle (dist/renderer/app.js). Installs the last-resort error handlers first,
 * so nothing a bug throws ever reaches the user as a silent failure or a stack trace: it becomes a toast.
 */
import { App } from './app';
import { errorInfo } from './bridge';
import { toast } from './toast';

window.addEventListener('unhandledrejection', (e) => {
  e.preventDefault();
  toast(errorInfo(e.reason), 'error');
});
window.addEventListener('error', (e) => {
  // Resource load errors (a broken thumbnail) are not script errors and are handled where they occur.
  if (!(e instanceof ErrorEvent)) return;
  e.preventDefault();
  toast(errorInfo(e.error ?? e.message), 'error');
});

const root = document.getElementById('app');
if (root) {
  const app = new App(root);
  // For automation and the e2e tests: a read-only summary of what is open.
  (window as unknown as { chexdeskApp: { describe: () => unknown } }).chexdeskApp = { describe: () => app.describe() };
  void app.start();
}
