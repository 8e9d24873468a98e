/** How numbers, dates and names read in the UI. */

/** DICOM DA (YYYYMMDD) as YYYY-MM-DD; anything else as it is. */
export function formatDicomDate(da: string | undefined): string {
  if (!da) return '';
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : da;
}

/** DICOM PN (Family^Given^Middle^Prefix^Suffix) as "Family, Given Middle". */
export function formatPersonName(pn: string | undefined): string {
  if (!pn) return '';
  const alpha = pn.split('=')[0] ?? pn;
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = alpha.split('^').map((s) => s.trim());
  const rest = [prefix, given, middle, suffix].filter(Boolean).join(' ');
  return family && rest ? `${family}, ${rest}` : family || rest || pn;
}

/** A modality value (HU, …) for display: integers stay integers, others get what precision they need. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  const digits = a >= 1000 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return v.toFixed(digits).replace(/\.?0+$/, '') || '0';
}

export function formatPercent(p: number, digits = 1): string {
  return `${(p * 100).toFixed(digits)}%`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** The label a CheXNet class carries in the UI (Pleural_Thickening -> Pleural Thickening). */
export function labelText(label: string): string {
  return label.replace(/_/g, ' ');
}

export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}
