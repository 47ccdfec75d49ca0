"""PyTorch baseline for `npm run bench:torch -- --model mobilenet-v2`: the default model's step.

Our side (bench/optvisWorker.ts) renders the project's default model, the embedded Keras
MobileNetV2 (alpha 1.0, ImageNet weights from nsfwjs), at `channel('block_13_expand_relu', 100)`.
Here the same architecture is torchvision's `mobilenet_v2(weights=None)` (no pretrained weights, no
network), in eval mode, parameters frozen, cut so that its output is the layer the objective reads:

    Keras name                      torchvision module
    Conv1_relu                      features[0]
    expanded_conv_depthwise_relu    features[1].conv[0]        (block 0 has no expand conv)
    block_K_expand_relu             features[K+1].conv[0]      (K = 1..16; conv + BN + ReLU6)
    block_K_depthwise_relu          features[K+1].conv[0:2]
    block_K_add                     features[K+1]              (only blocks with a residual add)
    out_relu                        features[18]

so block_13_expand_relu = features[:14] then features[14].conv[0]: 576 channels at 1/16 of the
input (8x8 at 128 px; checked at start-up and reported as `outputShape` in the ready line).
Everything else is torch_inception.py's (imported, not copied): lucent-style FFT image, Lucid's
standard transforms, objective -mean(channel), Adam(0.05), timing and line protocol.

What differs from the Keras model, and why it is still the same work (same layer sizes, same
FLOPs per layer):
- Padding of the stride-2 convolutions (Conv1 and the depthwise convs of blocks 1, 3, 6, 13): Keras
  pads one row/column at the bottom/right (ZeroPadding2D ((0,1),(0,1)), baked into the model's
  config) then convolves 'valid'; torchvision pads 1 on every side. On an even input both give
  the same size, on an odd one torchvision's output is one larger; the transforms' random scale
  makes the network's input 127-156 px, so sizes would often differ (block_13_expand_relu at
  127/129/131/145/156 px: Keras 7/8/8/9/9, torchvision 8/9/9/10/10). By default this script
  therefore gives those convs padding 0 after an explicit `ZeroPad2d((0, 1, 0, 1))`, as Keras does
  (a separate pad op in both); then the sizes match the tfjs model's (block_13_expand_relu
  checked against loadDefaultModel() at every input size from 120 to 160 px). `--torchvision-padding` keeps torchvision's symmetric padding.
- Weights: random (torchvision's init), not ImageNet's; BN eps 1e-5 (Keras: 1e-3). With BN's
  initial running statistics (mean 0, var 1) the activations shrink about 10x per stage (std ~1e-6
  at block_13_expand_relu, so ReLU6's cap never acts and the loss prints as -0.000), so at start-up
  the BN statistics are set from 16 uniform-noise images (train mode, cumulative average, no
  grad; not timed), which keeps activations at a trained network's scale (std ~1, ReLU6
  clipping). BN stays a separate op in eval mode (not folded into the conv; tfjs-optvis also runs
  Keras' BN layers as a batchNorm kernel of their own, src/model/layerPlan.ts). Values differ, the arithmetic does not.
- Input: the embedded model's input range is [0, 1] (nsfwjs divides pixels by 255, see
  DEFAULT_MODEL_INFO.inputRange), and our side maps the image to it with a multiply and an add;
  here x * 1 + 0 likewise (`--input-range LO,HI` maps [0, 1] to [LO, HI], e.g. -1,1 for the
  original Keras preprocessing). NCHW here, NHWC in tfjs; the channel index is the same.
"""
import os
import sys

import torch
import torch.nn as nn
import torchvision

sys.dont_write_bytecode = True  # no bench/__pycache__ from the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_inception import frozen, make_step, parse_args, serve, setup  # noqa: E402


def mobilenet_v2_to(layer, keras_padding=True):
    """torchvision's MobileNetV2 (random weights) cut after the module that is Keras' `layer`."""
    feats = torchvision.models.mobilenet_v2(weights=None).features
    parts = layer.split("_")
    if layer == "Conv1_relu":
        mods = [feats[0]]
    elif layer == "out_relu":
        mods = list(feats[:19])
    elif layer == "expanded_conv_depthwise_relu":
        mods = [feats[0], feats[1].conv[0]]
    elif len(parts) >= 3 and parts[0] == "block" and parts[1].isdigit() and 1 <= int(parts[1]) <= 16:
        i = int(parts[1]) + 1
        rest = "_".join(parts[2:])
        head = list(feats[:i])
        if rest == "expand_relu":
            mods = head + [feats[i].conv[0]]
        elif rest == "depthwise_relu":
            mods = head + [feats[i].conv[0], feats[i].conv[1]]
        elif rest == "add" and feats[i].use_res_connect:
            mods = head + [feats[i]]
        else:
            mods = None
    else:
        mods = None
    if mods is None:
        sys.exit(
            f"torch_mobilenet.py: --layer must be Conv1_relu, expanded_conv_depthwise_relu, block_K_expand_relu, "
            f"block_K_depthwise_relu (K = 1..16), block_K_add (blocks with a residual) or out_relu, but got {layer!r}"
        )
    net = nn.Sequential(*mods)
    if keras_padding:
        for parent in list(net.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, nn.Conv2d) and child.stride == (2, 2) and child.kernel_size == (3, 3):
                    child.padding = (0, 0)
                    setattr(parent, name, nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), child))
    return net


def calibrate_bn(net, to_input, size, images=16, batch=4):
    """Sets every BatchNorm's running statistics from uniform-noise images (see the module docstring)."""
    for mod in net.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.reset_running_stats()
            mod.momentum = None  # cumulative average over the calibration batches
    net.train()
    with torch.no_grad():
        for _ in range(images // batch):
            net(to_input(torch.rand(batch, 3, size, size)))
    return net.eval()


def main():
    def extra(p):
        p.add_argument("--input-range", default="0,1")
        p.add_argument("--torchvision-padding", action="store_true")

    a = parse_args("block_13_expand_relu", 100, extra)
    lo, hi = (float(v) for v in a.input_range.split(","))
    setup(a)

    def to_input(x):
        return x * (hi - lo) + lo

    net = mobilenet_v2_to(a.layer, keras_padding=not a.torchvision_padding)
    net = frozen(calibrate_bn(net, to_input, a.size))
    with torch.no_grad():
        shape = list(net(torch.zeros(a.batch, 3, a.size, a.size)).shape)
    if not 0 <= a.channel < shape[1]:
        sys.exit(f"torch_mobilenet.py: --channel must be in 0..{shape[1] - 1} for {a.layer}, but got {a.channel}")
    print(f"torch_mobilenet.py: {a.layer} at {a.size} px -> output shape {shape} (NCHW)", file=sys.stderr, flush=True)
    step = make_step(net, a, to_input)
    serve(step, {"model": "mobilenet-v2", "layer": a.layer, "channel": a.channel, "outputShape": shape,
                 "padding": "torchvision" if a.torchvision_padding else "keras"})


if __name__ == "__main__":
    main()
