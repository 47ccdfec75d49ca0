/**
 * Semi-transparent feature visualization: the toolkit of Lucid's "semi-transparent feature
 * visualization" notebook.
 *
 * An RGBA visualization is composited over a background that keeps changing (random noise, a
 * random offset) or that is optimized with it, adversarially or as an ally; its alpha channel must
 * then say where the feature is. Pieces: {@link background} (the notebook's `make_bg_func`),
 * {@link composite} (the stop-gradient split of foreground and background, any number of pairs per
 * batch), {@link alphaPenalty} (the alpha-mean penalty, one term per foreground),
 * {@link sharedForegrounds} (experiment 2's partly shared parameterization) and {@link over}.
 *
 * @example
 * ```ts
 * const fg = param.image(128, { alpha: true, seed: 0 });
 * const bg = transparency.background(128, { noiseRatio: 0, baseSd: 0.3, varMode: 'color', seed: 1 });
 * const p = transparency.composite(fg, [bg], { jitter: 2, seed: 2 });
 * const c = (batch: number) => objectives.channel('block_13_expand_BN', 100, { batch });
 * const session = render.visSession(vm, c(0).add(c(1)).add(transparency.alphaPenalty()), { param: p });
 * for (let i = 0; i < 512; i++) session.step();
 * const onWhite = session.evaluate('onWhite'); // [1, 128, 128, 3]
 * ```
 * @module
 */
export { background } from './background';
export type { BackgroundMode, BackgroundOptions } from './background';
export { composite, over } from './composite';
export type { CompositeOptions, CompositeOutputs } from './composite';
export { alphaPenalty } from './penalty';
export type { AlphaPenaltyOptions } from './penalty';
export { sharedForegrounds } from './shared';
export type { SharedForegroundsOptions } from './shared';
