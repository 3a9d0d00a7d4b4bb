"""A convolutional denoising autoencoder on the 8x8 handwritten digits (bundled, offline).

``chalkgrad.models.DenoisingAutoencoder`` corrupts its input in training mode only,
x̃ = clip(x + σ·ε, 0, 1) with ε ~ N(0, 1), and is trained to give back the clean x:
loss = MSE(model(x), x), optimizer Adam. Shapes: 1x8x8 -> conv stride 2 -> 16x4x4
-> conv stride 2 -> 32x2x2 (the code) -> two transposed convs -> 1x8x8, sigmoid output.
(8 is a multiple of 2^2, so the digits need no padding.)

On the test split the noisy images are made once with ``chalkgrad.data.GaussianNoise`` (same σ);
the script reports the per-pixel MSE between noisy and clean images (before) and between the
model's output in eval mode and the clean images (after).

    python examples/denoising_autoencoder.py
    python examples/denoising_autoencoder.py --noise 0.5
    python examples/denoising_autoencoder.py --small       # a few seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import sys

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad.data import DataLoader, GaussianNoise, TensorDataset, digits, train_test_split
from chalkgrad.models import DenoisingAutoencoder


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--noise", type=float, default=0.3, help="σ of the Gaussian noise (0.3)")
    ap.add_argument("--small", action="store_true", help="tiny sizes, for tests")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cg.manual_seed(args.seed)

    train, test = train_test_split(digits(flatten=False), test_fraction=0.2, seed=args.seed)
    x_train, x_test = train.tensors[0], test.tensors[0]  # (N, 1, 8, 8) in [0, 1]
    widths, epochs = (16, 32), (10 if args.small else 40)
    model = DenoisingAutoencoder(1, widths=widths, noise_std=args.noise, clip=True,
                                 noise_generator=args.seed, generator=args.seed)
    opt = cg.optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(TensorDataset(x_train), batch_size=32, shuffle=True,
                        generator=cg.random.Generator().manual_seed(args.seed))
    corrupt = GaussianNoise(args.noise, clip=True, generator=cg.random.Generator().manual_seed(args.seed + 1))
    noisy_test = corrupt(x_test)

    def denoised_mse():
        model.eval()
        with cg.no_grad():
            out = float(F.mse_loss(model(noisy_test), x_test).item())
        model.train()
        return out

    noisy = float(F.mse_loss(noisy_test, x_test).item())
    print(f"denoising autoencoder, widths {widths}, σ = {args.noise}, {len(x_train)} training digits")
    print(f"test MSE of the noisy images (noisy vs clean): {noisy:.4f}")
    print(f"before training, model output vs clean: {denoised_mse():.4f}")
    for epoch in range(epochs):
        total = 0.0
        for (xb,) in loader:
            opt.zero_grad()
            loss = F.mse_loss(model(xb), xb)  # the model adds the noise itself in training mode
            loss.backward()
            opt.step()
            total += float(loss.item()) * len(xb)
        if (epoch + 1) % max(1, epochs // 5) == 0:
            print(f"epoch {epoch + 1:3d}: train MSE {total / len(x_train):.4f}  test denoised MSE {denoised_mse():.4f}")
    after = denoised_mse()
    print(f"test MSE after denoising (output vs clean): {after:.4f}  ({noisy / after:.1f}x lower than the noisy input)")
    return {"noisy_mse": noisy, "denoised_mse": after}


if __name__ == "__main__":
    main()
    sys.exit(0)
