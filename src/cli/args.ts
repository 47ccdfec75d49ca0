import { closestNames } from '../errors';

/** A command-line mistake: printed as one line, exit code {@link EXIT.usage}. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The CLI's exit codes: 0 done; 1 the work failed (model files unreadable or invalid, a render or
 * write error); 2 the command line is wrong (unknown or repeated flag, a bad value, a --model path
 * that does not exist, a --layer the model lacks, an -o path that cannot be written);
 * 130 interrupted (Ctrl-C), nothing written.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** Largest `--size`: memory grows with size², and a render keeps many image-sized tensors. */
export const MAX_SIZE = 2048;

/** Largest `--steps`. */
export const MAX_STEPS = 1_000_000;

/** Largest `--threads`: tfjs's threaded wasm binary has a pool of 8 pthread workers. */
export const MAX_THREADS = 8;

/** What `tfjs-optvis render` was asked to do. */
export interface RenderCommand {
  readonly command: 'render';
  readonly model?: string;
  readonly layer?: string;
  readonly channel?: number;
  readonly inputRange?: readonly [number, number];
  readonly cutAt?: string;
  readonly strict: boolean;
  readonly size: number;
  readonly steps: number;
  readonly seed: number;
  readonly backend: 'wasm' | 'cpu';
  /** wasm threads (`--threads`, default 1): above 1, the threaded wasm binary through `useWasmThreads`. */
  readonly threads: number;
  /**
   * The native convolutions (`useNativeKernels`) on the wasm backend, on every core: `'auto'` (the
   * default: when the addon is built, the CPU has AVX2/FMA and the run is on one wasm thread), `'on'`
   * (`--native`: an error when the addon is missing), `'off'` (`--no-native`).
   */
  readonly native: 'auto' | 'on' | 'off';
  readonly alpha: boolean;
  /** File to write, or `'-'` for stdout. */
  readonly output: string;
  /** Output format, from the output's extension (`.jpg`/`.jpeg` → JPEG, otherwise PNG). */
  readonly format: 'png' | 'jpeg';
  readonly quiet: boolean;
}

/** What `tfjs-optvis layers` was asked to do. */
export interface LayersCommand {
  readonly command: 'layers';
  readonly model?: string;
  readonly inputRange?: readonly [number, number];
  readonly cutAt?: string;
  readonly strict: boolean;
  readonly backend: 'wasm' | 'cpu';
}

/** What `tfjs-optvis gallery` was asked to do: render a layer's channels into a directory, or `--rebuild` its page. */
export type GalleryCommand =
  | {
      readonly command: 'gallery';
      readonly rebuild: false;
      readonly layer: string;
      /** `'all'` or a list such as `'0-63'` (checked against the layer's depth when the model is loaded). */
      readonly channels: string;
      readonly model?: string;
      readonly inputRange?: readonly [number, number];
      readonly size: number;
      readonly steps: number;
      readonly seed: number;
      /** `'wasm-native'` with `--native`: wasm with the native convolutions in every worker. */
      readonly backend: 'wasm' | 'cpu' | 'wasm-native';
      readonly alpha: boolean;
      /** Worker threads; `undefined`: one per core. */
      readonly workers?: number;
      readonly batch: number;
      /** `[index, count]` of `--shard i/n`. */
      readonly shard?: readonly [number, number];
      /** Gallery directory. */
      readonly output: string;
      readonly quiet: boolean;
    }
  | { readonly command: 'gallery'; readonly rebuild: true; readonly output: string; readonly quiet: boolean };

export type Command = RenderCommand | LayersCommand | GalleryCommand | { readonly command: 'help'; readonly topic?: string } | { readonly command: 'version' };

/** The commands, for dispatch and suggestions. */
export const COMMANDS = ['render', 'layers', 'gallery'] as const;

export const USAGE = `Usage:
  tfjs-optvis render [--layer <name> --channel <n>] [--model <dir|model.json|name>] -o <out.png> [options]
  tfjs-optvis layers [--model <dir|model.json|name>]
  tfjs-optvis gallery --layer <name> -o <dir> [--channels <list>] [--workers <n>] [--batch <n>] [--shard <i/n>] [options]

Renders a feature visualization (Lucid's render_vis): an image that maximises the mean activation
of one channel of a layer. Without --model, the embedded default model is used (MobileNetV2 from
the nsfwjs package, input [0,1]) and, without --layer/--channel, its channel block_13_expand_relu:100.
"gallery" renders every channel of a layer into a directory with an index.html (resumable,
shardable); see "tfjs-optvis gallery --help".

Render options:
  --layer <name>          layer to visualize (see "tfjs-optvis layers")
  --channel <n>           channel index in that layer
  --model <path|name>     tfjs model directory or model.json (LayersModel or GraphModel), or an
                          embedded model: mobilenet-v2 (the default) or inception-v3
  --input-range <lo,hi>   pixel value range the model was trained on: required with a model
                          directory (e.g. 0,1 or -1,1 or 0,255); a wrong range gives meaningless images
  --cut-at <layer>        load only the network up to this layer
  --no-strict             load even if weight shards are missing (with --cut-at before them)
  --size <px>             image size, 1..${MAX_SIZE} (default 128)
  --steps <n>             optimization steps (default 512)
  --seed <n>              random seed (default 0)
  --backend <wasm|cpu>    tfjs backend (default wasm, faster in Node)
  --threads <n>           wasm threads, 1..${MAX_THREADS} (default 1): more than 1 runs tfjs's threaded wasm
                          binary (falls back to 1 thread, with the reason, where it cannot start).
                          Opt-in: it speeds up big convolutions (InceptionV1: 1.3x on 2 cores) but
                          slows the default MobileNetV2 down; measure your model first
  --native, --no-native   wasm with the native convolutions (a C++ addon that npm install builds;
                          AVX2/FMA, on every core; up to 1.9x faster steps on 2 cores): by default
                          used when built and the CPU has AVX2/FMA (with --backend wasm and
                          --threads 1), --native requires it, --no-native runs tfjs's own
  --alpha                 optimize a transparent (RGBA) image, PNG keeps the alpha
  -o, --output <file>     image to write: .png (default) or .jpg/.jpeg; "-" writes PNG to stdout.
                          Written like cp: an existing file keeps its mode, a symlink's target is
                          replaced, a FIFO or device is written into
  -q, --quiet             no progress bar
  -h, --help              this help
  -v, --version           version

Exit codes: 0 done; 1 the work failed (unreadable model files, render or write error);
2 the command line is wrong (unknown or repeated flag, bad value, missing model path, unknown
layer, unwritable output); 130 interrupted by Ctrl-C (nothing written).`;

/** How a flag is spelled and whether it takes a value. */
export interface FlagSpec {
  /** Takes a value (`--size 64`, `--size=64`); otherwise a switch. */
  readonly value: boolean;
  /** One-letter alias, e.g. `'o'` for `-o`. */
  readonly short?: string;
}

/** Flags and positionals as typed; `spelled` keeps how each flag was written (for messages). */
export interface ParsedFlags {
  readonly values: Map<string, string | true>;
  readonly spelled: Map<string, string>;
  readonly positionals: string[];
}

/** Flags `render` and `gallery` share: layer, model, rendering settings and the usual switches. */
const SHARED_FLAGS: Record<string, FlagSpec> = {
  layer: { value: true },
  model: { value: true },
  'input-range': { value: true },
  size: { value: true },
  steps: { value: true },
  seed: { value: true },
  backend: { value: true },
  alpha: { value: false },
  output: { value: true, short: 'o' },
  quiet: { value: false, short: 'q' },
  help: { value: false, short: 'h' },
  version: { value: false, short: 'v' },
};

const RENDER_FLAGS: Record<string, FlagSpec> = {
  ...SHARED_FLAGS,
  threads: { value: true },
  native: { value: false },
  'no-native': { value: false },
  channel: { value: true },
  'cut-at': { value: true },
  'no-strict': { value: false },
};

const GALLERY_FLAGS: Record<string, FlagSpec> = {
  ...SHARED_FLAGS,
  channels: { value: true },
  workers: { value: true },
  native: { value: false },
  // Parsed only to be refused with the reason (a gallery runs one wasm thread per worker).
  threads: { value: true },
  batch: { value: true },
  shard: { value: true },
  rebuild: { value: false },
};

/** Largest `--workers` and `--batch`. */
export const MAX_WORKERS = 256;
export const MAX_BATCH = 256;

/** Help text of `tfjs-optvis gallery`. */
export const GALLERY_USAGE = `Usage:
  tfjs-optvis gallery --layer <name> -o <dir> [options]
  tfjs-optvis gallery --rebuild -o <dir>

Renders every channel of a layer (or --channels) into <dir>: channels/NNNN.png, manifest.json,
contact-sheet.png and index.html (open it from disk). Rerunning the same command resumes: finished
channels are skipped. A channel's image does not depend on --workers, --batch or --shard.
Without --model, the embedded default model (MobileNetV2, input [0,1]) is used.

Gallery options:
  --layer <name>          layer whose channels to render (see "tfjs-optvis layers")
  --channels <list>       all (default), or a list such as 0-63 or 0-15,32,40-47
  --model <path|name>     tfjs model directory or model.json (LayersModel or GraphModel), or an
                          embedded model: mobilenet-v2 (the default) or inception-v3
  --input-range <lo,hi>   pixel value range the model was trained on: required with a model
                          directory (e.g. 0,1 or -1,1 or 0,255); a wrong range gives meaningless images
  --size <px>             image size, 1..${MAX_SIZE} (default 128)
  --steps <n>             optimization steps per channel (default 512)
  --seed <n>              random seed (default 0)
  --backend <wasm|cpu>    tfjs backend of every worker (default wasm)
  --native                wasm with the native convolutions in every worker (one addon thread each;
                          needs the addon npm install builds); recorded in the manifest
  --alpha                 transparent (RGBA) images
  --workers <n>           worker threads, each with its own backend and model (default: one per core);
                          each worker runs wasm on one thread (render's --threads does not apply)
  --batch <n>             channels per forward pass (default 4)
  --shard <i/n>           render only shard i (0-based) of n; shards may share <dir>
  --rebuild               only rebuild manifest.json, contact-sheet.png and index.html of <dir>
  -o, --output <dir>      gallery directory (created if missing)
  -q, --quiet             no progress line
  -h, --help              this help

Exit codes: 0 done; 1 the work failed (unreadable model files, render or write error, a
directory holding a gallery with other settings); 2 the command line is wrong (unknown or repeated
flag, bad value, missing model path, unknown layer, channels outside the layer); 130 interrupted by
Ctrl-C (finished channels are kept: rerun the same command to resume).`;

const LAYERS_FLAGS = ['model', 'input-range', 'cut-at', 'no-strict', 'backend', 'help', 'version'];

/** `--size`, or `-o/--output` for a flag with a one-letter alias. */
function flagName(name: string, spec: Record<string, FlagSpec>): string {
  const short = spec[name]?.short;
  return short ? `-${short}/--${name}` : `--${name}`;
}

/**
 * Splits `argv` into flags and positionals by `spec`. Fails with one line naming what was typed:
 * an unknown flag (with the closest known flag), a flag given twice, a value missing or given to a
 * switch. A value may start with `-` when it is a number or range (`--input-range -1,1`) or is
 * exactly `-` (`-o -`).
 */
export function parseFlags(argv: readonly string[], spec: Record<string, FlagSpec>, help = 'tfjs-optvis --help'): ParsedFlags {
  const values = new Map<string, string | true>();
  const spelled = new Map<string, string>();
  const positionals: string[] = [];
  const shorts = new Map(Object.entries(spec).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])));
  const known = [...Object.keys(spec).map((n) => `--${n}`), ...[...shorts.keys()].map((s) => `-${s}`)];
  const unknown = (typed: string): never => {
    const flag = typed.split('=')[0];
    const [best] = closestNames(flag.replace(/^-+/, '').length === 1 ? flag : flag.replace(/^-+/, '--'), known, 1);
    throw new UsageError(`unknown flag ${JSON.stringify(flag)}${best ? `; did you mean ${best}?` : '.'} Run "${help}" for the flags.`);
  };
  const set = (name: string, typed: string, value: string | true): void => {
    if (values.has(name)) {
      const prev = spelled.get(name);
      throw new UsageError(`${flagName(name, spec)} was given twice (${prev} and ${typed}); give it once.`);
    }
    values.set(name, value);
    spelled.set(name, typed);
  };
  const looksLikeValue = (v: string | undefined): v is string => v !== undefined && (v === '-' || !v.startsWith('-') || /^-[\d.]/.test(v));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string;
    let inline: string | undefined;
    let typed: string;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
      typed = eq < 0 ? a : a.slice(0, eq);
      if (!Object.prototype.hasOwnProperty.call(spec, name)) unknown(a);
    } else if (a.startsWith('-') && a.length > 1 && !/^-[\d.]/.test(a)) {
      const long = shorts.get(a[1]);
      if (long === undefined) unknown(a.slice(0, 2));
      name = long as string;
      typed = a.slice(0, 2);
      if (a.length > 2) {
        if (spec[name].value) inline = a[2] === '=' ? a.slice(3) : a.slice(2);
        else {
          // -qh: a group of switches.
          for (const c of a.slice(1)) {
            const n = shorts.get(c);
            if (n === undefined || spec[n].value) unknown(`-${c}`);
            set(n as string, `-${c}`, true);
          }
          continue;
        }
      }
    } else {
      positionals.push(a);
      continue;
    }
    if (!spec[name].value) {
      if (inline !== undefined) throw new UsageError(`${typed} takes no value, but got ${JSON.stringify(a)}.`);
      set(name, typed, true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (!looksLikeValue(next)) {
        throw new UsageError(`${typed} needs a value${next === undefined ? ', but it is the last argument' : `, but is followed by the flag ${JSON.stringify(next)}`}.`);
      }
      value = next;
      i++;
    }
    set(name, `${typed} ${JSON.stringify(value)}`, value);
  }
  return { values, spelled, positionals };
}

/** @internal shared by the commands. */
export function int(name: string, raw: string | undefined, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!/^[-+]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min) {
    if (/^\+?\d+$/.test(raw.trim()) && v > max) return tooBig(name, raw, max);
    throw new UsageError(`--${name} must be ${min === 1 ? 'a positive' : 'a non-negative'} integer, but got ${JSON.stringify(raw)}.`);
  }
  if (v > max) return tooBig(name, raw, max);
  return v;
}

function tooBig(name: string, raw: string, max: number): never {
  if (name === 'threads') throw new UsageError(`--threads must be at most ${max} (tfjs's threaded wasm binary has a pool of ${max} workers), but got ${raw}.`);
  if (name === 'size') {
    const n = Number(raw);
    throw new UsageError(
      `--size must be at most ${max}, but got ${raw}: one ${raw}×${raw} RGB image alone needs ${bytes(n * n * 3 * 4)} as float32, and a render keeps many such tensors.`,
    );
  }
  throw new UsageError(`--${name} must be at most ${max}, but got ${raw}.`);
}

function bytes(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${v >= 100 ? Math.round(v) : v.toPrecision(2)} ${units[u]}`;
}

/** @internal shared by the commands. */
export function range(raw: string | undefined): readonly [number, number] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n)) || !(nums[0] < nums[1])) {
    throw new UsageError(`--input-range must be two numbers "lo,hi" with lo < hi (e.g. 0,1 or -1,1 or 0,255), but got ${JSON.stringify(raw)}.`);
  }
  return [nums[0], nums[1]];
}

/** @internal shared by the commands. */
export function backend(raw: string | undefined): 'wasm' | 'cpu' {
  if (raw === undefined) return 'wasm';
  if (raw !== 'wasm' && raw !== 'cpu') throw new UsageError(`--backend must be 'wasm' or 'cpu', but got ${JSON.stringify(raw)}.`);
  return raw;
}

const UNSUPPORTED_IMAGE_TYPES = /\.(gif|webp|bmp|tiff?|avif|heic|heif|svg|ico)$/i;

/** The output format from the `-o` value: JPEG for `.jpg`/`.jpeg`, PNG otherwise (and for stdout). */
function outputFormat(file: string, alpha: boolean): 'png' | 'jpeg' {
  const ext = UNSUPPORTED_IMAGE_TYPES.exec(file);
  if (ext) throw new UsageError(`-o/--output must end with .png, .jpg or .jpeg (other image types are not written), but got ${JSON.stringify(file)}.`);
  const jpeg = file !== '-' && /\.jpe?g$/i.test(file);
  if (jpeg && alpha) throw new UsageError(`--alpha needs a PNG output (JPEG has no alpha channel), but -o is ${JSON.stringify(file)}.`);
  return jpeg ? 'jpeg' : 'png';
}

/**
 * The command named on the command line: its first argument that is neither a flag nor a flag's
 * value (`tfjs-optvis -q gallery …` names `gallery`), or `undefined`.
 */
export function findCommand(argv: readonly string[]): string | undefined {
  const specs = [RENDER_FLAGS, GALLERY_FLAGS];
  const takesValue = (name: string) => specs.some((s) => s[name]?.value === true);
  const shortTakesValue = (c: string) => specs.some((s) => Object.values(s).some((f) => f.short === c && f.value));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return argv[i + 1];
    if (a.startsWith('--')) {
      if (!a.includes('=') && takesValue(a.slice(2))) i++;
    } else if (a.startsWith('-') && a.length > 1 && !/^-[\d.]/.test(a)) {
      if (a.length === 2 && shortTakesValue(a[1])) i++;
    } else return a;
  }
  return undefined;
}

/** `--model` as typed (empty is refused). */
function modelFlag(raw: string | undefined): string | undefined {
  if (raw !== undefined && raw === '') throw new UsageError('--model must be a model directory, a model.json path or an embedded model name, but got "".');
  return raw;
}

const CHANNEL_LIST = /^(all|\d+(-\d+)?(,\d+(-\d+)?)*)$/;

/** Parses `tfjs-optvis gallery …` (the whole command line). Throws {@link UsageError}. */
function parseGallery(argv: readonly string[]): Command {
  const { values, spelled, positionals } = parseFlags(argv, GALLERY_FLAGS, 'tfjs-optvis gallery --help');
  const str = (name: string): string | undefined => {
    const v = values.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  if (values.has('version')) return { command: 'version' };
  if (values.has('help')) return { command: 'help', topic: 'gallery' };
  const extra = positionals.slice(positionals.indexOf('gallery') + 1);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}. Run "tfjs-optvis gallery --help" for usage.`);
  const output = str('output');
  if (output === undefined || output === '') throw new UsageError('-o/--output must name the gallery directory, but it is missing.');
  const quiet = values.has('quiet');
  if (values.has('rebuild')) {
    const other = [...values.keys()].find((k) => !['rebuild', 'output', 'quiet'].includes(k));
    if (other !== undefined) throw new UsageError(`--rebuild takes only -o <dir> (and -q), but got ${spelled.get(other)?.split(' ')[0]}.`);
    return { command: 'gallery', rebuild: true, output, quiet };
  }
  const layer = str('layer');
  if (layer === undefined || layer === '') throw new UsageError('--layer must name the layer to render, but it is missing (list layers with "tfjs-optvis layers").');
  const channels = (str('channels') ?? 'all').replace(/\s+/g, '');
  if (!CHANNEL_LIST.test(channels)) throw new UsageError(`--channels must be all or a list such as 0-63 or 0-15,32,40-47, but got ${JSON.stringify(str('channels'))}.`);
  let shard: [number, number] | undefined;
  const rawShard = str('shard');
  if (rawShard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(rawShard.trim());
    if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2]) || !Number.isSafeInteger(Number(m[2]))) {
      throw new UsageError(`--shard must be i/n with 0 <= i < n (e.g. 0/4 … 3/4), but got ${JSON.stringify(rawShard)}.`);
    }
    shard = [Number(m[1]), Number(m[2])];
  }
  if (values.has('threads')) {
    throw new UsageError(
      `--threads applies to "tfjs-optvis render"; a gallery runs wasm on one thread per worker and spreads the channels over --workers <n> (default: one per core), but got ${spelled.get('threads')}.`,
    );
  }
  const workers = str('workers');
  const plainBackend = backend(str('backend'));
  if (values.has('native') && plainBackend !== 'wasm') throw new UsageError(`--native applies to the wasm backend, but got --backend ${plainBackend}.`);
  const galleryBackend = values.has('native') ? 'wasm-native' : plainBackend;
  return {
    command: 'gallery',
    rebuild: false,
    layer,
    channels,
    model: modelFlag(str('model')),
    inputRange: range(str('input-range')),
    size: int('size', str('size'), 128, 1, MAX_SIZE),
    steps: int('steps', str('steps'), 512, 1, MAX_STEPS),
    seed: int('seed', str('seed'), 0, 0),
    backend: galleryBackend,
    alpha: values.has('alpha'),
    workers: workers === undefined ? undefined : int('workers', workers, 1, 1, MAX_WORKERS),
    batch: int('batch', str('batch'), 4, 1, MAX_BATCH),
    shard,
    output,
    quiet,
  };
}

/** Parses the command line (without `node` and the script). Throws {@link UsageError}. */
export function parseCommand(argv: readonly string[]): Command {
  if (findCommand(argv) === 'gallery') return parseGallery(argv);
  const { values, spelled, positionals } = parseFlags(argv, RENDER_FLAGS);
  const str = (name: string): string | undefined => {
    const v = values.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  if (values.has('version')) return { command: 'version' };
  const cmd = positionals[0];
  if (values.has('help') || cmd === undefined || cmd === 'help') return { command: 'help', topic: positionals[1] };
  if (cmd !== 'render' && cmd !== 'layers') {
    const [best] = closestNames(cmd, COMMANDS, 1);
    throw new UsageError(`unknown command ${JSON.stringify(cmd)}; did you mean "${best}"? The commands are "render", "layers" and "gallery".`);
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}. Run "tfjs-optvis --help" for usage.`);
  if (cmd === 'layers') {
    for (const name of values.keys()) {
      if (!LAYERS_FLAGS.includes(name)) {
        throw new UsageError(`${spelled.get(name)?.split(' ')[0]} does not apply to "tfjs-optvis layers" (its flags: ${LAYERS_FLAGS.slice(0, 5).map((f) => `--${f}`).join(', ')}).`);
      }
    }
  }
  const common = {
    model: modelFlag(str('model')),
    inputRange: range(str('input-range')),
    cutAt: str('cut-at'),
    strict: !values.has('no-strict'),
    backend: backend(str('backend')),
  };
  if (cmd === 'layers') return { command: 'layers', ...common };
  const output = str('output');
  if (output === undefined || output === '') throw new UsageError('-o/--output must name the image file to write (or "-" for stdout), but it is missing.');
  const layer = str('layer');
  const channel = str('channel');
  if ((layer === undefined) !== (channel === undefined)) {
    throw new UsageError(`--layer and --channel go together, but only ${layer === undefined ? '--channel' : '--layer'} was given.`);
  }
  const alpha = values.has('alpha');
  const threads = int('threads', str('threads'), 1, 1, MAX_THREADS);
  if (threads > 1 && common.backend !== 'wasm') {
    throw new UsageError(`--threads applies to the wasm backend (cpu runs on one thread), but got ${spelled.get('threads')} with --backend ${common.backend}.`);
  }
  if (values.has('native') && values.has('no-native')) throw new UsageError('--native and --no-native contradict each other; give one.');
  const native = values.has('native') ? 'on' : values.has('no-native') || common.backend !== 'wasm' || threads > 1 ? 'off' : 'auto';
  if (native === 'on' && common.backend !== 'wasm') throw new UsageError(`--native applies to the wasm backend, but got --backend ${common.backend}.`);
  if (native === 'on' && threads > 1) {
    throw new UsageError(`--native brings its own threads and runs wasm on one; drop ${spelled.get('threads')} or --native.`);
  }
  return {
    command: 'render',
    ...common,
    threads,
    native,
    layer,
    channel: channel === undefined ? undefined : int('channel', channel, 0, 0),
    size: int('size', str('size'), 128, 1, MAX_SIZE),
    steps: int('steps', str('steps'), 512, 1, MAX_STEPS),
    seed: int('seed', str('seed'), 0, 0),
    alpha,
    output,
    format: outputFormat(output, alpha),
    quiet: values.has('quiet'),
  };
}
