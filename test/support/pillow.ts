/**
 * Pillow, numpy and torch as independent references: Debian's packages, seen only by /usr/bin/python3
 * (CI installs python3-pil, python3-numpy, python3-torch, python3-torchvision). Suites that need them
 * pass `skipWithoutPillow` / `skipWithoutTorch` as the test's skip option, so a machine without them
 * reports the tests as skipped with the reason, never silently green.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

function probe(modules: string): false | string {
  const r = spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' });
  if (r.error) return `needs ${PYTHON} (${r.error.message})`;
  if (r.status !== 0) return `needs ${modules} for ${PYTHON} (apt install python3-pil python3-numpy python3-torch python3-torchvision)`;
  return false;
}

/** false when Pillow and numpy are importable, else the skip reason. */
export const skipWithoutPillow: false | string = probe('PIL, numpy');

/** false when torch and torchvision are importable too, else the skip reason. */
export const skipWithoutTorch: false | string = skipWithoutPillow || probe('torch, torchvision');

/** Runs a Python script (argv after the script name = args) and returns its stdout bytes. */
export function runPython(script: string, args: string[] = [], input?: Uint8Array): Buffer {
  return execFileSync(PYTHON, ['-c', script, ...args], { input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
}
