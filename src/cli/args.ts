import { parseArgs } from 'node:util';

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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
  readonly alpha: boolean;
  readonly output: string;
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

export type Command = RenderCommand | LayersCommand | { readonly command: 'help'; readonly topic?: string } | { readonly command: 'version' };

export const USAGE = `Usage:
  tfjs-optvis render [--layer <name> --channel <n>] [--model <dir|model.json>] -o <out.png> [options]
  tfjs-optvis layers [--model <dir|model.json>]

Renders a feature visualization (Lucid's render_vis): an image that maximises the mean activation
of one channel of a layer. Without --model, the embedded default model is used (MobileNetV2 from
the nsfwjs package, input [0,1]) and, without --layer/--channel, its channel block_13_expand_relu:100.

Render options:
  --layer <name>          layer to visualize (see "tfjs-optvis layers")
  --channel <n>           channel index in that layer
  --model <path>          tfjs model directory or model.json (LayersModel or GraphModel)
  --input-range <lo,hi>   pixel value range the model expects (default 0,1 for --model)
  --cut-at <layer>        load only the network up to this layer
  --no-strict             load even if weight shards are missing (with --cut-at before them)
  --size <px>             image size (default 128)
  --steps <n>             optimization steps (default 512)
  --seed <n>              random seed (default 0)
  --backend <wasm|cpu>    tfjs backend (default wasm, faster in Node)
  --alpha                 optimize a transparent (RGBA) image, PNG keeps the alpha
  -o, --output <file>     PNG to write (required)
  -q, --quiet             no progress bar
  -h, --help              this help
  -v, --version           version`;

function int(name: string, raw: string | undefined, dflt: number, min: number): number {
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!/^[-+]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min) {
    throw new UsageError(`--${name} must be ${min === 1 ? 'a positive' : 'a non-negative'} integer, but got ${JSON.stringify(raw)}.`);
  }
  return v;
}

function range(raw: string | undefined): readonly [number, number] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n)) || !(nums[0] < nums[1])) {
    throw new UsageError(`--input-range must be two numbers "lo,hi" with lo < hi (e.g. 0,1 or -1,1 or 0,255), but got ${JSON.stringify(raw)}.`);
  }
  return [nums[0], nums[1]];
}

function backend(raw: string | undefined): 'wasm' | 'cpu' {
  if (raw === undefined) return 'wasm';
  if (raw !== 'wasm' && raw !== 'cpu') throw new UsageError(`--backend must be 'wasm' or 'cpu', but got ${JSON.stringify(raw)}.`);
  return raw;
}

const VALUE_OPTIONS = new Set(['layer', 'channel', 'model', 'input-range', 'cut-at', 'size', 'steps', 'seed', 'backend', 'output']);

/** Parses the command line (without `node` and the script). Throws {@link UsageError}. */
export function parseCommand(argv: readonly string[]): Command {
  // Let option values start with '-' when they are numbers ("--steps -3", "--input-range -1,1"),
  // so that the checks below can say what is wrong with them.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (/^--[a-z-]+$/.test(a) && VALUE_OPTIONS.has(a.slice(2)) && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        layer: { type: 'string' },
        channel: { type: 'string' },
        model: { type: 'string' },
        'input-range': { type: 'string' },
        'cut-at': { type: 'string' },
        'no-strict': { type: 'boolean' },
        size: { type: 'string' },
        steps: { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        alpha: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    // parseArgs messages are one line already ("Unknown option '--foo'...").
    throw new UsageError(`${(e as Error).message.split('\n')[0]} Run "tfjs-optvis --help" for usage.`);
  }
  const { values: o, positionals } = parsed;
  if (o.version) return { command: 'version' };
  const cmd = positionals[0];
  if (o.help || cmd === undefined || cmd === 'help') return { command: 'help', topic: positionals[1] };
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}. Run "tfjs-optvis --help" for usage.`);
  if (o.model !== undefined && o.model === '') throw new UsageError('--model must be a model directory or model.json path, but got "".');
  const common = {
    model: o.model,
    inputRange: range(o['input-range']),
    cutAt: o['cut-at'],
    strict: !o['no-strict'],
    backend: backend(o.backend),
  };
  if (cmd === 'layers') return { command: 'layers', ...common };
  if (cmd !== 'render') throw new UsageError(`unknown command ${JSON.stringify(cmd)}: use "render" or "layers". Run "tfjs-optvis --help" for usage.`);
  if (o.output === undefined || o.output === '') throw new UsageError('-o/--output must name the PNG file to write, but it is missing.');
  if ((o.layer === undefined) !== (o.channel === undefined)) {
    throw new UsageError(`--layer and --channel go together, but only ${o.layer === undefined ? '--channel' : '--layer'} was given.`);
  }
  if (o.model !== undefined && o.layer === undefined) {
    throw new UsageError('--layer and --channel are required with --model (list layers with "tfjs-optvis layers --model ...").');
  }
  return {
    command: 'render',
    ...common,
    layer: o.layer,
    channel: o.channel === undefined ? undefined : int('channel', o.channel, 0, 0),
    size: int('size', o.size, 128, 1),
    steps: int('steps', o.steps, 512, 1),
    seed: int('seed', o.seed, 0, 0),
    alpha: o.alpha ?? false,
    output: o.output,
    quiet: o.quiet ?? false,
  };
}
