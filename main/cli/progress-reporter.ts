/**
 * Scan progress on stderr: a live bar redrawn in place on a terminal, plain lines every few seconds
 * when stderr is a pipe or a file (CI logs), nothing when quiet.
 */
import type { ScanProgress } from '../scan/scan-runner';

export type ProgressStyle = 'bar' | 'lines' | 'quiet';

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export class ProgressReporter {
  private lastLine = 0;
  private drawn = false;

  constructor(
    private readonly style: ProgressStyle,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly lineEveryMs = 5_000,
  ) {}

  update(p: ScanProgress): void {
    if (this.style === 'quiet') return;
    const now = Date.now();
    const counts = `${p.done}/${p.total}`;
    const rate = `${p.rate.toFixed(1)} img/s`;
    const eta = `ETA ${formatDuration(p.etaSeconds)}`;
    const failed = p.failed > 0 ? `  ${p.failed} failed` : '';
    if (this.style === 'bar') {
      if (now - this.lastLine < 100 && p.done < p.total) return;
      this.lastLine = now;
      const columns = this.out.columns ?? 100;
      const width = 24;
      const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : 0;
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
      let line = `${bar} ${counts}  ${rate}  ${eta}${failed}`;
      if (p.currentFile) line += `  ${p.currentFile}`;
      if (line.length > columns - 1) line = line.slice(0, columns - 2) + '…';
      this.out.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else if (now - this.lastLine >= this.lineEveryMs) {
      this.lastLine = now;
      this.out.write(`scan: ${counts} images  ${rate}  ${eta}${failed}\n`);
    }
  }

  /** Ends the live line so the summary starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
