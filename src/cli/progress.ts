/** Formats seconds as `m:ss` (or `h:mm:ss`). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** One progress line: `[=====>     ] 128/512  loss 12.345  4.2 steps/s  ETA 1:31`. */
export function progressLine(step: number, total: number, loss: number, stepsPerSecond: number, etaSeconds: number, width = 24): string {
  const frac = total > 0 ? Math.min(1, step / total) : 1;
  const filled = Math.round(frac * width);
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  const lossText = Number.isFinite(loss) ? (Math.abs(loss) >= 1e5 ? loss.toExponential(3) : loss.toFixed(3)) : String(loss);
  return `[${bar}] ${String(step).padStart(String(total).length)}/${total}  loss ${lossText}  ${stepsPerSecond.toFixed(1)} steps/s  ETA ${formatDuration(etaSeconds)}`;
}

/** A progress reporter writing to a stream: redraws one line on a TTY, prints every ~10% otherwise. */
export function progressReporter(stream: { write(s: string): unknown; isTTY?: boolean }): {
  update(step: number, total: number, loss: number, sps: number, eta: number): void;
  done(): void;
} {
  let lastDecile = -1;
  let drawn = false;
  let lastDraw = 0;
  return {
    update(step, total, loss, sps, eta) {
      const line = progressLine(step, total, loss, sps, eta);
      if (stream.isTTY) {
        const t = Date.now();
        if (step === total || t - lastDraw > 100) {
          stream.write(`\r${line}\x1b[K`);
          lastDraw = t;
          drawn = true;
        }
      } else {
        const decile = Math.floor((10 * step) / total);
        if (decile !== lastDecile || step === total) {
          lastDecile = decile;
          stream.write(`${line}\n`);
        }
      }
    },
    done() {
      if (stream.isTTY && drawn) stream.write('\n');
    },
  };
}
