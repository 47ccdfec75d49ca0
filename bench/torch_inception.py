"""PyTorch baseline for bench/torch.bench.ts: the same feature-visualization step as tfjs-optvis.

Workload (as bench/inception.bench.ts): InceptionV1 with Lucid's layer sizes (the architecture of
tests/fixtures/inception.ts: conv 'same' + bias + ReLU, max-pool 3x3 'same', four-branch mixed
blocks, mixed4a with 508 channels), random He-normal weights, built up to the objective's layer;
a decorrelated FFT image parameterization (Lucid's / lucent's fft_image: spectrum * 1/freq, irfft2,
/4, colour decorrelation, sigmoid); Lucid's standard transforms (pad 12 constant 0.5, jitter 8,
random scale 0.9..1.1 bilinear, random rotate -10..10 deg bilinear with extra 0s, jitter 4);
input mapped to [-117, 138]; objective -mean(channel); Adam(lr=0.05).

Protocol (one line per message, stdin/stdout): the parent writes `run K`; we do K steps and answer
with one JSON line {"times": [ms per step], "loss": last loss}. `quit` ends. Runs on the CPU with
`--threads` intra-op threads.
"""
import argparse
import json
import math
import random
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BLOCKS = [
    ("mixed3a", (64, 96, 128, 16, 32, 32)),
    ("mixed3b", (128, 128, 192, 32, 96, 64)),
    ("mixed4a", (192, 96, 204, 16, 48, 64)),
    ("mixed4b", (160, 112, 224, 24, 64, 64)),
    ("mixed4c", (128, 128, 256, 24, 64, 64)),
    ("mixed4d", (112, 144, 288, 32, 64, 64)),
    ("mixed4e", (256, 160, 320, 32, 128, 128)),
    ("mixed5a", (256, 160, 320, 48, 128, 128)),
    ("mixed5b", (384, 192, 384, 48, 128, 128)),
]


def conv(cin, cout, k, stride=1):
    c = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=True)
    nn.init.kaiming_normal_(c.weight, nonlinearity="relu")
    nn.init.zeros_(c.bias)
    return nn.Sequential(c, nn.ReLU())


class Mixed(nn.Module):
    def __init__(self, cin, b):
        super().__init__()
        b1, b3r, b3, b5r, b5, bp = b
        self.t1 = conv(cin, b1, 1)
        self.t3 = nn.Sequential(conv(cin, b3r, 1), conv(b3r, b3, 3))
        self.t5 = nn.Sequential(conv(cin, b5r, 1), conv(b5r, b5, 5))
        self.tp = nn.Sequential(nn.MaxPool2d(3, 1, padding=1), conv(cin, bp, 1))
        self.out = b1 + b3 + b5 + bp

    def forward(self, x):
        return torch.cat([self.t1(x), self.t3(x), self.t5(x), self.tp(x)], 1)


def inception_v1(up_to):
    layers = [conv(3, 64, 7, 2), nn.MaxPool2d(3, 2, padding=1), conv(64, 64, 1), conv(64, 192, 3), nn.MaxPool2d(3, 2, padding=1)]
    cin = 192
    for name, b in BLOCKS:
        if name == "mixed4a":
            layers.append(nn.MaxPool2d(3, 2, padding=1))
        if name == "mixed5a":
            layers.append(nn.MaxPool2d(3, 2, padding=1))
        m = Mixed(cin, b)
        layers.append(m)
        cin = m.out
        if name == up_to:
            break
    return nn.Sequential(*layers)


COLOR_SVD_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR_NORMALIZED = COLOR_SVD_SQRT / COLOR_SVD_SQRT.norm(dim=0).max()


def fft_image(batch, h, w, sd=0.01, decay_power=1.0):
    fy = torch.fft.fftfreq(h)[:, None]
    fx = torch.fft.rfftfreq(w)[None, :]
    freqs = torch.sqrt(fx * fx + fy * fy)
    scale = 1.0 / torch.maximum(freqs, torch.tensor(1.0 / max(w, h))) ** decay_power
    scale = scale * math.sqrt(w * h)
    spectrum = (torch.randn(batch, 3, h, w // 2 + 1, 2) * sd).requires_grad_(True)

    def image():
        s = torch.view_as_complex(spectrum) * scale
        img = torch.fft.irfft2(s, s=(h, w), norm="ortho") / 4.0
        img = torch.einsum("bchw,dc->bdhw", img, COLOR_NORMALIZED)
        return torch.sigmoid(img)

    return [spectrum], image


def standard_transforms(x):
    x = F.pad(x, (12, 12, 12, 12), mode="constant", value=0.5)
    x = jitter(x, 8)
    s = random.choice([1 + (i - 5) / 50 for i in range(11)])
    size = int(math.floor(s * x.shape[2]))
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    angle = random.choice(list(range(-10, 11)) + 5 * [0])
    if angle != 0:
        t = math.radians(angle)
        theta = torch.tensor([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0]], dtype=x.dtype)
        grid = F.affine_grid(theta[None].expand(x.shape[0], 2, 3), list(x.shape), align_corners=True)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return jitter(x, 4)


def jitter(x, d):
    dx, dy = random.randrange(d), random.randrange(d)
    return x[:, :, dy : x.shape[2] - d + dy, dx : x.shape[3] - d + dx]


def parse_args(layer, channel, extra=None):
    """The flags every PyTorch participant takes; `extra(parser)` adds model-specific ones."""
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--layer", default=layer)
    p.add_argument("--channel", type=int, default=channel)
    if extra is not None:
        extra(p)
    return p.parse_args()


def setup(a):
    """Thread count and seeds (before the network is built, so its random weights are reproducible)."""
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    random.seed(1)


def frozen(net):
    """`net` in eval mode with its parameters excluded from autograd (only the image is optimized)."""
    net = net.eval()
    for q in net.parameters():
        q.requires_grad_(False)
    return net


def make_step(net, a, to_input):
    """One optimization step of the FFT image: transforms, `to_input` (pixel mapping), -mean(channel), Adam(0.05)."""
    params, image = fft_image(a.batch, a.size, a.size)
    opt = torch.optim.Adam(params, lr=0.05)

    def step():
        opt.zero_grad()
        x = to_input(standard_transforms(image()))
        loss = -net(x)[:, a.channel].mean()
        loss.backward()
        opt.step()
        return float(loss)

    return step


def serve(step, info):
    """The line protocol: one `ready` line (with `info`), then `run K` -> K timed steps -> one JSON line; `quit` ends."""
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(), **info}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] == "run":
            times, loss = [], float("nan")
            for _ in range(int(cmd[1])):
                t0 = time.perf_counter()
                loss = step()
                times.append((time.perf_counter() - t0) * 1000.0)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
            print(json.dumps({"times": times, "loss": loss, "rssMB": rss}), flush=True)


def main():
    a = parse_args("mixed4a", 97)
    setup(a)
    net = frozen(inception_v1(a.layer))
    step = make_step(net, a, lambda x: x * 255.0 - 117.0)
    serve(step, {"model": "inception-v1", "layer": a.layer, "channel": a.channel})


if __name__ == "__main__":
    main()
