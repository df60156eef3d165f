"""admissions: the tutorial's graduate-admissions models through the Python binding.

    python3 examples/python/admissions.py PATH/TO/admissions.csv [MODEL.nnb]

Preparation as in the tutorial, done by nnblas.read_csv: `rank` one-hot into rank_1..rank_4,
gre and gpa standardised with the mean and sample standard deviation of all rows (fit_on="all"),
a seeded 90/10 split. Then:
  1. one sigmoid neuron without bias, 1000 full-batch epochs of gradient descent on the sum of
     squared errors, learning rate 0.5 (the tutorial's first model);
  2. a 6-2-1 sigmoid network without biases, 900 epochs on the mean, learning rate 0.005 (its
     second), both printing the training MSE ten times in the tutorial's format;
  3. what one would write today: 6-8-1 with biases, ReLU, sigmoid output, binary cross-entropy,
     Adam, a validation split and early stopping; saved with its preparation and metadata to
     MODEL.nnb when given, loaded back and applied to the raw CSV rows (the `nnblas` command and
     C's nnb_model_read() read the same file).
The split and initial weights come from nnblas's seeded generator, not numpy's, so the figures
differ a little from the tutorial's printout (the tests reproduce its figures with its rows).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bindings", "python"))
import nnblas  # noqa: E402


def tutorial_run(net, X, y, epochs, lr, reduction):
    """Full-batch gradient descent on the squared error, printing the training MSE ten times."""
    last = [None]

    def report(logs):
        if (logs["epoch"] - 1) % (epochs // 10) == 0:
            mse = net.evaluate(X, y, loss="mse", reduction="mean")[0]
            up = last[0] is not None and mse > last[0]
            print("Train loss:  %.12f%s" % (mse, "   WARNING - Loss Increasing" if up else ""))
            last[0] = mse

    net.fit(X, y, epochs=epochs, batch_size=0, shuffle=False, optimizer="sgd", lr=lr,
            loss="sse", reduction=reduction, callback=report)


def main(argv):
    if len(argv) not in (2, 3):
        print("usage: admissions.py PATH/TO/admissions.csv [MODEL.nnb]", file=sys.stderr)
        return 2
    data = nnblas.read_csv(argv[1], target="admit", one_hot="rank", standardize=["gre", "gpa"],
                           test_fraction=0.1, seed=42, fit_on="all")
    X_train, X_test, y_train, y_test = data
    for col in ("gre", "gpa"):
        s = data.prep.column_stats(col)
        print("%s: mean %.6f, sample std %.6f" % (col, s["a"], s["b"]))
    print("features %s; %d training rows, %d test rows"
          % (", ".join(data.feature_names), len(X_train), len(X_test)))

    print("\n== Single neuron: 6 -> 1 sigmoid, no bias; 1000 epochs, learning rate 0.5, "
          "sum of squared errors ==")
    neuron = nnblas.Net([6, 1], output="sigmoid", bias=False, init="normal_fanin", seed=42)
    tutorial_run(neuron, X_train, y_train, 1000, 0.5, "sum")
    print("Prediction accuracy: %.3f" % neuron.evaluate(X_test, y_test)[1])

    print("\n== Network: 6-2-1 sigmoid, no biases; 900 epochs, learning rate 0.005, mean of the "
          "per-row gradients ==")
    net = nnblas.Net([6, 2, 1], activation="sigmoid", output="sigmoid", bias=False,
                     init="normal_fanin", seed=21)
    tutorial_run(net, X_train, y_train, 900, 0.005, "mean")
    print("Prediction accuracy: %.3f" % net.evaluate(X_test, y_test)[1])

    print("\n== Today's way: 6-8-1, ReLU, sigmoid output, binary cross-entropy, Adam, "
          "early stopping on a 20 % validation split ==")
    modern = nnblas.Net([6, 8, 1], activation="relu", output="sigmoid", init="he_normal", seed=1)
    history = modern.fit(X_train, y_train, epochs=300, batch_size=32, optimizer="adam",
                         lr=0.003, loss="bce", validation_split=0.2, patience=20, seed=1)
    print("stopped after %d epochs (%s); best validation loss %.4f at epoch %d"
          % (len(history["epoch"]), "early stopping" if history.stopped_early else "all run",
             history.best_loss, history.best_epoch))
    loss, accuracy = modern.evaluate(X_test, y_test)
    print("test loss %.4f, Prediction accuracy: %.3f" % (loss, accuracy))

    if len(argv) == 3:
        modern.save(argv[2], prep=data.prep, metadata={"data": os.path.basename(argv[1]),
                                                       "test_accuracy": accuracy})
        model = nnblas.Net.load(argv[2])
        X_raw, y_raw = model.prep.transform_csv(argv[1])  # the raw file, prepared as stored
        p = model.predict(X_raw)
        print("saved %s (%s) and loaded it back: accuracy on all %d rows %.3f" % (
            argv[2], ", ".join("%s=%s" % kv for kv in model.metadata.items()), len(X_raw),
            ((p > 0.5) == (y_raw > 0.5)).mean()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
