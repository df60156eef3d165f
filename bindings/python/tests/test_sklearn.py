"""nnblas.sklearn: scikit-learn's own estimator checks, Pipeline and GridSearchCV, and the
estimators' results against independent references (scikit-learn's MLP, least squares, cross
validation done by hand, the nnblas.Net they wrap)."""
import os
import pickle
import unittest
import warnings

import numpy as np

from support import nnblas  # noqa: F401  (puts the package on the path)

try:
    import sklearn
    from sklearn.base import clone
    from sklearn.datasets import load_diabetes, load_iris
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils.estimator_checks import check_estimator
    from nnblas.sklearn import NNBClassifier, NNBRegressor
except ImportError as e:  # pragma: no cover - Debian: apt-get install python3-sklearn
    if os.environ.get("NNBLAS_REQUIRE_SHARED") == "1":
        raise
    raise unittest.SkipTest("scikit-learn is not installed: %s" % e)

try:
    import pandas  # noqa: F401
    HAVE_PANDAS = True
except ImportError:
    HAVE_PANDAS = False

# Checks of sklearn.utils.estimator_checks that fail, with the reason; the failures found must
# be exactly these. (None fails today.)
EXPECTED_FAILURES = {
    "NNBClassifier": {},
    "NNBRegressor": {},
}


def run_checks(estimator):
    """{check name: failure text} of every check scikit-learn yields for the estimator, and the
    number of checks run. A check skipped because pandas is missing counts as passed only when
    pandas is missing (CI installs it: scripts/deps)."""
    failures, n = {}, 0
    for est, check in check_estimator(estimator, generate_only=True):
        name = getattr(check, "func", check).__name__
        kw = getattr(check, "keywords", None)
        if kw:
            name += "(%s)" % ", ".join("%s=%r" % item for item in sorted(kw.items()))
        n += 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check(est)
        except unittest.SkipTest as e:
            if HAVE_PANDAS or "pandas" not in str(e):
                failures[name] = "skipped: %s" % e
        except Exception as e:  # noqa: BLE001 - recorded and compared below
            failures[name] = "%s: %s" % (type(e).__name__, e)
    return failures, n


class EstimatorChecksTest(unittest.TestCase):
    def test_check_estimator(self):
        for est in (NNBClassifier(), NNBRegressor()):
            with self.subTest(estimator=type(est).__name__):
                failures, n = run_checks(est)
                self.assertGreater(n, 35)
                expected = EXPECTED_FAILURES[type(est).__name__]
                self.assertEqual(sorted(failures), sorted(expected),
                                 "failures differ from the expected ones:\n" +
                                 "\n".join("%s: %s" % kv for kv in failures.items()))


def iris():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


class ClassifierTest(unittest.TestCase):
    def test_iris_as_good_as_sklearn_mlp(self):
        X_tr, X_te, y_tr, y_te = iris()
        ours = NNBClassifier(hidden_layer_sizes=(16,), batch_size=32, max_iter=300,
                             random_state=0)
        ours.fit(X_tr, y_tr)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning
            ref = make_pipeline(StandardScaler(), MLPClassifier(
                hidden_layer_sizes=(16,), batch_size=32, max_iter=300,
                random_state=0)).fit(X_tr, y_tr)
        self.assertGreaterEqual(ours.score(X_te, y_te), ref.score(X_te, y_te) - 0.05)
        self.assertGreaterEqual(ours.score(X_te, y_te), 0.9)
        p = ours.predict_proba(X_te)
        self.assertEqual(p.shape, (len(X_te), 3))
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(ours.predict(X_te), ours.classes_[p.argmax(axis=1)])
        self.assertEqual(ours.n_iter_, 300)
        self.assertEqual(len(ours.loss_curve_), 300)
        self.assertLess(ours.loss_curve_[-1], ours.loss_curve_[0] / 5)

    def test_unscaled_features_standardized_by_default(self):
        # features of scales 1e-3 .. 1e4: the default standardises them, so the result equals
        # the one on the unscaled data up to rounding (the preparation is affine per column)
        X_tr, X_te, y_tr, y_te = iris()
        scale = np.array([1e-3, 1.0, 1e2, 1e4])
        a = NNBClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=3).fit(X_tr, y_tr)
        b = NNBClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=3).fit(
            X_tr * scale + 7.0, y_tr)
        np.testing.assert_allclose(a.predict_proba(X_te), b.predict_proba(X_te * scale + 7.0),
                                   rtol=1e-7, atol=1e-9)
        stats = b.net_.prep.column_stats("x3")
        self.assertAlmostEqual(stats["a"], np.mean(X_tr[:, 3] * 1e4 + 7.0), delta=1e-6)
        self.assertAlmostEqual(stats["b"], np.std(X_tr[:, 3] * 1e4, ddof=1), delta=1e-6)

    def test_binary_string_labels(self):
        X_tr, X_te, y_tr, y_te = iris()
        names = np.array(["setosa", "versicolor", "virginica"])
        keep = y_tr != 0
        clf = NNBClassifier(hidden_layer_sizes=(8,), batch_size=16, random_state=0).fit(
            X_tr[keep], names[y_tr[keep]])
        self.assertEqual(list(clf.classes_), ["versicolor", "virginica"])
        self.assertEqual(clf.net_.n_outputs, 1)  # one sigmoid output for two classes
        self.assertEqual(clf.net_.layers[-1].activation, "sigmoid")
        p = clf.predict_proba(X_te[y_te != 0])
        np.testing.assert_allclose(p[:, 1], clf.net_.predict(
            clf.net_.prep.transform(X_te[y_te != 0]))[:, 0], rtol=0, atol=0)
        self.assertGreater(clf.score(X_te[y_te != 0], names[y_te[y_te != 0]]), 0.85)

    def test_the_net_it_wraps(self):
        # the estimator trains the network a hand-made Net gets with the same settings
        X_tr, _, y_tr, _ = iris()
        clf = NNBClassifier(hidden_layer_sizes=(5, 4), activation="tanh", solver="momentum",
                            learning_rate_init=0.05, momentum=0.8, batch_size=16, alpha=1e-3,
                            max_iter=7, standardize=False, random_state=11).fit(X_tr, y_tr)
        seed = int(np.random.RandomState(11).randint(0, 2 ** 31 - 1))
        net = nnblas.Net([4, 5, 4, 3], activation="tanh", output="softmax",
                         init="xavier_uniform", seed=seed)
        h = net.fit(X_tr, y_tr, epochs=7, batch_size=16, lr=0.05, optimizer="momentum",
                    momentum=0.8, weight_decay=1e-3, loss="ce")
        np.testing.assert_array_equal(clf.net_.params, net.params)
        self.assertEqual(clf.loss_curve_, h["loss"])

    def test_partial_fit_and_warm_start_continue_training(self):
        X_tr, X_te, y_tr, _ = iris()
        kw = dict(hidden_layer_sizes=(6,), max_iter=4, random_state=5, batch_size=32)
        whole = NNBClassifier(**kw).fit(X_tr, y_tr)
        parts = NNBClassifier(**kw)
        for _ in range(4):
            parts.partial_fit(X_tr, y_tr, classes=[0, 1, 2])
        np.testing.assert_array_equal(parts.net_.params, whole.net_.params)
        self.assertEqual(parts.n_iter_, 4)
        warm = NNBClassifier(**dict(kw, max_iter=2, warm_start=True))
        warm.fit(X_tr, y_tr)
        net = warm.net_
        warm.fit(X_tr, y_tr)
        self.assertIs(warm.net_, net)
        np.testing.assert_array_equal(warm.net_.params, whole.net_.params)
        self.assertEqual(warm.loss_curve_, whole.loss_curve_)
        cold = NNBClassifier(**dict(kw, max_iter=2)).fit(X_tr, y_tr)
        cold.fit(X_tr, y_tr)  # without warm_start: a new network each time
        self.assertEqual(cold.n_iter_, 2)
        with self.assertRaisesRegex(ValueError, "classes must be given"):
            NNBClassifier().partial_fit(X_tr, y_tr)
        with self.assertRaisesRegex(ValueError, "not among classes_"):
            NNBClassifier(**kw).partial_fit(X_tr, y_tr, classes=[0, 1]).partial_fit(X_tr, y_tr)

    def test_early_stopping(self):
        rng = np.random.RandomState(0)
        X = rng.normal(size=(200, 5))
        y = (rng.uniform(size=200) < 0.5).astype(int)  # noise: the validation loss rises
        clf = NNBClassifier(hidden_layer_sizes=(64,), learning_rate_init=0.01, max_iter=500,
                            early_stopping=True, n_iter_no_change=5, random_state=0).fit(X, y)
        self.assertLess(clf.n_iter_, 500)
        self.assertEqual(len(clf.validation_loss_curve_), clf.n_iter_)
        best = int(np.argmin(clf.validation_loss_curve_))
        self.assertEqual(clf.n_iter_, best + 1 + 5)
        self.assertEqual(clf.best_loss_, min(clf.validation_loss_curve_))

    def test_pickle_and_clone(self):
        X_tr, X_te, y_tr, _ = iris()
        clf = NNBClassifier(hidden_layer_sizes=(6,), max_iter=20, random_state=1).fit(X_tr, y_tr)
        back = pickle.loads(pickle.dumps(clf))
        np.testing.assert_array_equal(back.predict_proba(X_te), clf.predict_proba(X_te))
        c = clone(clf)
        self.assertFalse(hasattr(c, "net_"))
        self.assertEqual(c.get_params(), clf.get_params())

    def test_bad_parameters(self):
        X_tr, _, y_tr, _ = iris()
        for params, pattern in (({"activation": "relux"}, "did you mean|relu"),
                                ({"solver": "adma"}, "adam"),
                                ({"init": "kaimin"}, "init|initialisation"),
                                ({"activation": "softmax"}, "softmax"),
                                ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
                                ({"learning_rate_init": 0.0}, "learning_rate_init"),
                                ({"batch_size": "big"}, "batch_size"),
                                ({"validation_fraction": 1.0}, "validation_fraction")):
            with self.subTest(**params):
                with self.assertRaisesRegex(ValueError, pattern):
                    NNBClassifier(**params).fit(X_tr, y_tr)


class RegressorTest(unittest.TestCase):
    def test_linear_model_equals_least_squares(self):
        # no hidden layer, identity output, Levenberg-Marquardt: the least-squares fit
        rng = np.random.RandomState(2)
        X = rng.normal(size=(80, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -1.0]
        Y = np.column_stack([X @ [1.5, -0.2, 3.0] + 4.0, X @ [0.0, 0.1, -2.0] - 1.0])
        Y += rng.normal(scale=0.1, size=Y.shape)
        reg = NNBRegressor(hidden_layer_sizes=(), solver="lm", alpha=0.0, max_iter=30,
                           random_state=0).fit(X, Y)
        A = np.column_stack([X, np.ones(len(X))])
        coef = np.linalg.lstsq(A, Y, rcond=None)[0]
        np.testing.assert_allclose(reg.predict(X), A @ coef, rtol=0, atol=1e-8)
        self.assertEqual(reg.predict(X).shape, (80, 2))
        reg1 = clone(reg).fit(X, Y[:, 0])
        self.assertEqual(reg1.predict(X).shape, (80,))
        np.testing.assert_allclose(reg1.predict(X), A @ coef[:, 0], rtol=0, atol=1e-8)

    def test_diabetes_as_good_as_sklearn_mlp(self):
        # the mean test R^2 over three splits, against scikit-learn's MLP on standardised
        # features with the same layer and early stopping (one split alone is too noisy)
        X, y = load_diabetes(return_X_y=True)
        ours, ref = [], []
        for split in range(3):
            X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25,
                                                      random_state=split)
            reg = NNBRegressor(hidden_layer_sizes=(32,), max_iter=2000, alpha=1e-2,
                               early_stopping=True, random_state=0).fit(X_tr, y_tr)
            self.assertLess(reg.n_iter_, 2000)
            ours.append(reg.score(X_te, y_te))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mlp = make_pipeline(StandardScaler(), MLPRegressor(
                    hidden_layer_sizes=(32,), max_iter=2000, early_stopping=True,
                    random_state=0)).fit(X_tr, y_tr)
            ref.append(mlp.score(X_te, y_te))
        self.assertGreater(np.mean(ours), 0.3)
        self.assertGreaterEqual(np.mean(ours), np.mean(ref) - 0.05)

    def test_partial_fit_equals_fit(self):
        X, y = load_diabetes(return_X_y=True)
        kw = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=4, shuffle=False)
        whole = NNBRegressor(**kw).fit(X, y)
        parts = NNBRegressor(**kw)
        for _ in range(3):
            parts.partial_fit(X, y)
        np.testing.assert_array_equal(parts.predict(X), whole.predict(X))


class ScoreTest(unittest.TestCase):
    def test_net_score_is_r2_or_accuracy(self):
        # Net.score: sklearn's r2_score (uniform average) for a regression output, evaluate()'s
        # accuracy for a classifier's; a constant target as sklearn: 1 if exact, else 0
        from sklearn.metrics import r2_score
        rng = np.random.default_rng(5)
        X = rng.normal(size=(60, 3))
        Y = np.column_stack([X @ [1.0, -2.0, 0.5], np.sin(X[:, 0]), np.full(60, 3.0)])
        net = nnblas.Net(3)
        net.add(8, "tanh")
        net.add(3, "identity")
        net.init("xavier_uniform", seed=2)
        net.fit(X, Y, epochs=30, batch_size=10, lr=0.01, optimizer="adam")
        P = net.predict(X)
        ref = r2_score(Y, P)  # the constant column scores 0 (not predicted exactly)
        self.assertAlmostEqual(net.score(X, Y), ref, places=12)
        one = nnblas.Net(3)
        one.add(1, "identity", bias=True)
        one.params = np.array([0.0, 0.0, 0.0, 3.0])  # predicts the constant exactly
        self.assertEqual(one.score(X, Y[:, 2:]), 1.0)
        cls = nnblas.Net(3)
        cls.add(2, "softmax")
        cls.init("xavier_uniform", seed=1)
        labels = (X[:, 0] > 0).astype(int)
        onehot = np.eye(2)[labels]
        self.assertEqual(cls.score(X, onehot), cls.evaluate(X, onehot, loss="ce")[1])


class PipelineTest(unittest.TestCase):
    def test_pipeline(self):
        X_tr, X_te, y_tr, y_te = iris()
        pipe = Pipeline([("scale", StandardScaler()),
                         ("nn", NNBClassifier(hidden_layer_sizes=(8,), max_iter=100,
                                              standardize=False, random_state=0))])
        pipe.fit(X_tr, y_tr)
        # the same as the steps done by hand
        s = StandardScaler().fit(X_tr)
        clf = NNBClassifier(hidden_layer_sizes=(8,), max_iter=100, standardize=False,
                            random_state=0).fit(s.transform(X_tr), y_tr)
        np.testing.assert_array_equal(pipe.predict_proba(X_te),
                                      clf.predict_proba(s.transform(X_te)))
        self.assertGreater(pipe.score(X_te, y_te), 0.85)

    def test_grid_search_equals_cross_validation_by_hand(self):
        X_tr, X_te, y_tr, y_te = iris()
        grid = {"nn__hidden_layer_sizes": [(4,), (16,)], "nn__alpha": [1e-4, 1e-1]}
        pipe = Pipeline([("scale", StandardScaler()),
                         ("nn", NNBClassifier(max_iter=100, batch_size=16, random_state=0))])
        cv = StratifiedKFold(3, shuffle=True, random_state=0)
        search = GridSearchCV(pipe, grid, cv=cv).fit(X_tr, y_tr)
        for params, score in zip(search.cv_results_["params"],
                                 search.cv_results_["mean_test_score"]):
            scores = []
            for tr, te in cv.split(X_tr, y_tr):
                p = clone(pipe).set_params(**params).fit(X_tr[tr], y_tr[tr])
                scores.append(p.score(X_tr[te], y_tr[te]))
            self.assertEqual(score, np.mean(scores), params)
        best = clone(pipe).set_params(**search.best_params_).fit(X_tr, y_tr)
        np.testing.assert_array_equal(search.predict_proba(X_te), best.predict_proba(X_te))
        self.assertGreater(search.score(X_te, y_te), 0.85)


def squares(n, seed):
    """n images of 1 x 6 x 6: noise and a bright 2 x 2 square, in the left half (class "left")
    or the right half ("right"); the square's row, as a number, is the regression target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.1, (n, 1, 6, 6))
    side = rng.integers(0, 2, n)
    top = rng.integers(0, 5, n)
    for i in range(n):
        left = 3 * side[i] + int(rng.integers(0, 2))
        X[i, 0, top[i]:top[i] + 2, left:left + 2] += 1
    return X, np.where(side == 1, "right", "left"), top.astype(np.float64)


CNN = ("conv4x3p1", "maxpool2", 8)


class CnnEstimatorTest(unittest.TestCase):
    """Estimators with convolution and pooling layers: the words of the command's --layers in
    hidden_layer_sizes, images (N, C, H, W) or rows with input_shape, the estimator contract."""

    def test_classifier_learns_images(self):
        X, y, _ = squares(160, 0)
        clf = NNBClassifier(hidden_layer_sizes=CNN, max_iter=40, batch_size=16,
                            learning_rate_init=0.01, random_state=0)
        self.assertIsNone(clf.get_params()["input_shape"])
        clf.fit(X[:120], y[:120])
        self.assertEqual(clf.input_shape_, (1, 6, 6))
        self.assertEqual(clf.n_features_in_, 36)
        self.assertEqual([clf.net_.layer_kind(i) for i in range(4)],
                         ["conv2d", "maxpool", "dense", "dense"])
        self.assertEqual(clf.net_.input_shape, (1, 6, 6))
        self.assertGreater(clf.score(X[120:], y[120:]), 0.9)
        # rows of C*H*W values are the same samples
        flat = X[120:].reshape(40, 36)
        np.testing.assert_array_equal(clf.predict_proba(flat), clf.predict_proba(X[120:]))
        self.assertEqual(set(clf.predict(X[120:])), {"left", "right"})
        # the same network from rows and input_shape, and from the words in one string
        for params in ({"input_shape": (1, 6, 6)},
                       {"input_shape": [1, 6, 6], "hidden_layer_sizes": "conv4x3p1,maxpool2,8"}):
            other = clone(clf).set_params(**params).fit(X[:120].reshape(120, 36), y[:120])
            np.testing.assert_array_equal(other.predict_proba(flat), clf.predict_proba(flat))
        back = pickle.loads(pickle.dumps(clf))
        self.assertEqual(back.net_.input_shape, (1, 6, 6))
        np.testing.assert_array_equal(back.predict_proba(X[120:]), clf.predict_proba(X[120:]))
        c = clone(clf)
        self.assertFalse(hasattr(c, "net_"))
        self.assertEqual(c.get_params(), clf.get_params())

    def test_regressor_and_warm_start(self):
        X, _, top = squares(120, 1)
        reg = NNBRegressor(hidden_layer_sizes=("conv4x3p1", "avgpool2", 16), max_iter=30,
                           batch_size=16, learning_rate_init=0.01, random_state=0)
        reg.fit(X[:90], top[:90])
        self.assertEqual(reg.predict(X[90:]).shape, (30,))
        self.assertGreater(reg.score(X[90:], top[90:]), 0.5)
        n = reg.n_iter_
        reg.set_params(warm_start=True, max_iter=2).fit(X[:90], top[:90])
        self.assertEqual(reg.n_iter_, n + 2)
        reg.partial_fit(X[:90], top[:90])
        self.assertEqual(reg.n_iter_, n + 3)

    def test_pipeline_and_grid_search(self):
        X, y, _ = squares(90, 2)
        pipe = Pipeline([("cnn", NNBClassifier(hidden_layer_sizes=CNN, max_iter=10,
                                               batch_size=16, random_state=0))])
        grid = {"cnn__hidden_layer_sizes": [CNN, ("conv2x3", "maxpool2")],
                "cnn__alpha": [1e-4, 1e-2]}
        search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
        self.assertEqual(len(search.cv_results_["params"]), 4)
        best = clone(pipe).set_params(**search.best_params_).fit(X, y)
        np.testing.assert_array_equal(search.predict_proba(X), best.predict_proba(X))

    def test_errors(self):
        X, y, _ = squares(20, 3)
        rows = X.reshape(20, 36)
        for params, data, pattern in (
                ({"hidden_layer_sizes": CNN}, rows, "input_shape"),
                ({"hidden_layer_sizes": ("conv4x3q1",)}, X, "conv32x3p1"),
                ({"hidden_layer_sizes": ("conv4x9",)}, X, "larger"),
                ({"hidden_layer_sizes": ("conv4x3", "")}, X, "empty"),
                ({"hidden_layer_sizes": CNN, "input_shape": (1, 5, 5)}, rows, "36 features"),
                ({"hidden_layer_sizes": CNN, "input_shape": (1, 6, 5)}, X, "input_shape is"),
                ({"input_shape": (1, 6)}, rows, "input_shape"),
                ({"input_shape": (1, 0, 36)}, rows, "input_shape")):
            with self.subTest(**params):
                with self.assertRaisesRegex(ValueError, pattern):
                    NNBClassifier(max_iter=1, **params).fit(data, y)
        clf = NNBClassifier(hidden_layer_sizes=CNN, max_iter=1, random_state=0).fit(X, y)
        with self.assertRaisesRegex(ValueError, "fitted on"):
            clf.predict(X.reshape(20, 1, 4, 9))
        with self.assertRaisesRegex(ValueError, "features"):
            clf.predict(rows[:, :30])
        # a dense network given the images' shape keeps it (in the model file too)
        dense = NNBClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(X, y)
        self.assertEqual(dense.net_.input_shape, (1, 6, 6))
        self.assertEqual(nnblas.Net.from_bytes(dense.net_.to_bytes()).input_shape, (1, 6, 6))


if __name__ == "__main__":
    unittest.main()
