import { readFileSync } from 'node:fs';

/** Peak resident memory of this process so far (Linux `VmHWM`), in bytes, or null elsewhere. */
export function peakRss(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
