"""fashion_mnist: a 784-256-128-10 network on Fashion-MNIST through the Python binding.

    python3 examples/python/fashion_mnist.py [--data DIR] [--epochs N] [--batch B] [--lr LR]
                                             [--dropout P] [--seed S] [--train-rows N]
                                             [--test-rows N]

DIR holds the four standard files (train-images-idx3-ubyte.gz ...): by default
$NNBLAS_FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist (Debian package
dataset-fashion-mnist). nnblas.load_mnist reads the images straight into numpy arrays and
standardises each pixel with the training images' statistics; the network (ReLU hidden layers,
softmax output, cross-entropy, Adam, dropout 0.2) trains on the arrays in place, and a callback
prints the test accuracy after each epoch. The same run as examples/fashion_mnist.c.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bindings", "python"))
import nnblas  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("NNBLAS_FASHION_MNIST_DIR") or
                    nnblas.data.FASHION_MNIST_DIR)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train-rows", type=int, default=None)
    ap.add_argument("--test-rows", type=int, default=None)
    args = ap.parse_args()

    t0 = time.perf_counter()
    data = nnblas.load_mnist(args.data, standardize=True, train_rows=args.train_rows,
                             test_rows=args.test_rows)
    X_train, X_test, y_train, y_test = data
    print("read and standardised %d + %d images of %d pixels in %.2f s (%d constant pixels "
          "only centred)" % (len(X_train), len(X_test), X_train.shape[1],
                             time.perf_counter() - t0, len(data.prep.constant_columns)))

    net = nnblas.Net([784, 256, 128, 10], activation="relu", output="softmax",
                     init="he_normal", seed=args.seed)
    best = {"accuracy": -1.0, "epoch": 0}

    def report(logs):
        test_loss, acc = net.evaluate(X_test, y_test)
        if acc > best["accuracy"]:
            best.update(accuracy=acc, epoch=logs["epoch"])
        print("epoch %2d  train loss %.4f  train acc %.4f  test loss %.4f  test accuracy %.4f  "
              "(%.1f s, %.0f samples/s)" % (logs["epoch"], logs["loss"], logs["accuracy"],
                                            test_loss, acc, logs["seconds"],
                                            logs["samples_per_s"]), flush=True)

    print("training %s: dropout %g, softmax + cross-entropy, Adam lr %g, batch %d, %d epochs"
          % (net, args.dropout, args.lr, args.batch, args.epochs))
    net.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch, optimizer="adam",
            lr=args.lr, loss="ce", dropout=args.dropout, callback=report)
    print("best test accuracy: %.4f (epoch %d)" % (best["accuracy"], best["epoch"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
