"""A Keras-style multilayer perceptron on the 8x8 handwritten digits (bundled, offline).

Model: Dense(128, relu) -> Dropout -> Dense(10, softmax), compiled with Adam (learning rate 0.003) and the sparse
categorical cross-entropy. ``fit`` holds out ``validation_split`` of the training data and
``EarlyStopping`` stops when the validation loss has not improved for ``patience`` epochs,
restoring the best weights. Then ``evaluate`` on the held-out test split (20%, stratified).

    python examples/keras_digits_mlp.py
    python examples/keras_digits_mlp.py --plot history.png   # also write the loss/accuracy curves
    python examples/keras_digits_mlp.py --small              # a few seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import sys

import chalkgrad as cg
from chalkgrad.data import digits, train_test_split
from chalkgrad.fit import Dense, Dropout, EarlyStopping, Sequential, plot_history


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="tiny sizes, for tests")
    ap.add_argument("--plot", metavar="PATH", default=None, help="write the training history to this PNG")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cg.manual_seed(args.seed)

    train, test = train_test_split(digits(flatten=True), test_fraction=0.2, seed=args.seed)
    x_train, y_train = (t.numpy() for t in train.tensors)
    x_test, y_test = (t.numpy() for t in test.tensors)
    if args.small:
        x_train, y_train = x_train[:400], y_train[:400]
    hidden, epochs, patience = (64, 8, 3) if args.small else (128, 80, 8)
    lr = 3e-3

    model = Sequential([Dense(hidden, activation="relu", input_shape=(64,)), Dropout(0.3),
                        Dense(10, activation="softmax")])
    model.compile(optimizer={"name": "adam", "learning_rate": lr}, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    print(f"MLP 64-{hidden}-10 on {len(x_train)} training digits (validation_split 0.1), "
          f"{len(x_test)} test digits")
    stop = EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1,
                        callbacks=[stop], verbose=0)
    h = history.history
    for e in range(len(h["loss"])):
        if (e + 1) % max(1, len(h["loss"]) // 6) == 0 or e == len(h["loss"]) - 1:
            print(f"epoch {e + 1:3d}: loss {h['loss'][e]:.4f}  accuracy {h['accuracy'][e]:.4f}  "
                  f"val_loss {h['val_loss'][e]:.4f}  val_accuracy {h['val_accuracy'][e]:.4f}")
    test_loss, test_acc = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    print(f"stopped after {len(h['loss'])} epochs; test loss {test_loss:.4f}, test accuracy {test_acc:.4f}")
    if args.plot:
        print(f"history plot written to {plot_history(history, args.plot, title='digits MLP')}")
    return {"test_loss": float(test_loss), "test_accuracy": float(test_acc), "epochs": len(h["loss"])}


if __name__ == "__main__":
    main()
    sys.exit(0)
