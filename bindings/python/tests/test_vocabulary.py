"""One vocabulary: Python accepts the names the `nnblas` command accepts (read from the command's
--help and from its own "accepted: ..." message, which lists every name and alias), maps them
through the C library, and says the same when a name is unknown; every status has its
exception class; the shared defaults are the C library's."""
import os
import re
import subprocess
import unittest

import numpy as np

from support import nnblas

from nnblas import _lib, errors, vocabulary

# the command's options taking a name, the vocabulary they use
OPTIONS = {"--activation": "activation", "--output": "activation", "--init": "init",
           "--loss": "loss", "--optimizer": "optimizer", "--reduction": "reduction"}


def cli():
    exe = os.environ.get("NNBLAS_CLI")
    if not exe or not os.path.exists(exe):
        raise unittest.SkipTest("NNBLAS_CLI is not set (run the tests through meson)")
    return exe


def help_blocks():
    """{option: the text describing it} from `nnblas train --help`."""
    out = subprocess.run([cli(), "train", "--help"], capture_output=True, text=True,
                         check=True).stdout
    blocks, current = {}, None
    for line in out.splitlines():
        m = re.match(r"  (--[a-z-]+)(.*)", line)
        if m:
            current = m.group(1)
            blocks[current] = m.group(2)
        elif current and line.startswith("    "):
            blocks[current] += " " + line.strip()
        else:
            current = None
    return blocks


def accepts(kind, word):
    try:
        vocabulary.parse(kind, word)
        return True
    except nnblas.InvalidArgumentError:
        return False


class SameNamesTest(unittest.TestCase):
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])

    def python_uses(self, option, name):
        """Uses `name` where Python takes the option's value; returns the canonical name Python
        ended up with."""
        X = self.X
        if option in ("--activation", "--output"):
            net = nnblas.Net(2).add(2, name)
            return net.layers[0].activation
        if option == "--init":
            nnblas.Net([2, 3]).init(name, 1)
            return vocabulary.canonical("init", name)
        if option == "--loss":
            loss = vocabulary.canonical("loss", name)
            out = vocabulary.name("activation", _lib.lib.nnb_default_output_for_loss(
                vocabulary.parse("loss", loss)))
            net = nnblas.Net([2, 2], output=out)
            y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
            self.assertEqual(net.loss(X, y, loss=name), net.loss(X, y, loss=loss))
            return loss
        if option == "--optimizer":
            net = nnblas.Net([2, 1])
            net.fit(X, [0.0, 1.0, 1.0, 0.0], epochs=1, batch_size=0, optimizer=name, loss="mse")
            return vocabulary.canonical("optimizer", name)
        if option == "--reduction":
            net = nnblas.Net([2, 1])
            y = [0.0, 1.0, 1.0, 0.0]
            red = vocabulary.canonical("reduction", name)
            self.assertEqual(net.loss(X, y, reduction=name), net.loss(X, y, reduction=red))
            return red
        raise AssertionError(option)

    def test_help_names(self):
        blocks = help_blocks()
        for option, kind in OPTIONS.items():
            with self.subTest(option=option):
                words = set(re.findall(r"[A-Za-z][A-Za-z_-]*", blocks[option]))
                listed = {w for w in words if accepts(kind, w)}
                expected = set(vocabulary.names(kind))
                if option == "--activation":
                    expected.discard("softmax")  # an output activation only
                self.assertEqual({vocabulary.canonical(kind, w) for w in listed}, expected)
                for w in listed:
                    self.assertEqual(self.python_uses(option, w), vocabulary.canonical(kind, w))
                if option in ("--output", "--loss", "--init"):
                    self.assertIn("auto", words)  # Python: output=None, loss="auto", init="auto"

    def test_every_accepted_name_and_the_unknown_name_message(self):
        # an unknown name makes the command list every name and alias it accepts
        tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), "nnb_vocab_%d.csv" % os.getpid())
        with open(tmp, "w") as f:
            f.write("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
        try:
            for option, kind in OPTIONS.items():
                with self.subTest(option=option):
                    bad = {"--activation": "relux", "--output": "softmx", "--init": "kaimin",
                           "--loss": "crossentropyy", "--optimizer": "adma",
                           "--reduction": "summ"}[option]
                    r = subprocess.run([cli(), "train", "--csv", tmp, "--target", "y", option,
                                        bad, "--quiet"], capture_output=True, text=True)
                    self.assertEqual(r.returncode, 2, r.stderr)
                    m = re.search(r"%s: (unknown .*)" % option, r.stderr)
                    self.assertIsNotNone(m, r.stderr)
                    message = m.group(1)
                    with self.assertRaises(nnblas.InvalidArgumentError) as cm:
                        vocabulary.parse(kind, bad)
                    self.assertIn(message, str(cm.exception))
                    names = re.search(r"accepted: ([^(]*)", message).group(1)
                    aliases = re.search(r"\(also (.*)\)", message)
                    every = [n.strip() for n in names.split(",")] + (
                        [n.strip() for n in aliases.group(1).split(",")] if aliases else [])
                    self.assertEqual([n.strip() for n in names.split(",")],
                                     vocabulary.names(kind))
                    for name in every:
                        for spelling in (name, name.upper(), name.replace("_", "-")):
                            if option == "--activation" and name == "softmax":
                                continue
                            self.assertEqual(self.python_uses(option, spelling),
                                             vocabulary.canonical(kind, name))
        finally:
            os.unlink(tmp)

    def test_estimators_take_the_names(self):
        try:
            from nnblas.sklearn import NNBClassifier
        except ImportError:
            self.skipTest("scikit-learn is not installed")
        est = NNBClassifier(activation="Leaky-ReLU", solver="ADAMW", init="kaiming")
        self.assertEqual(est._check_params(), ("leaky_relu", "adamw", "he_normal"))
        with self.assertRaisesRegex(ValueError, "did you mean 'adam'"):
            NNBClassifier(solver="adma")._check_params()


class VocabularyTest(unittest.TestCase):
    def test_names_parse_and_count_for_every_enum(self):
        for kind in vocabulary.KINDS:
            with self.subTest(kind=kind):
                names = vocabulary.names(kind)
                self.assertEqual(len(names), vocabulary.count(kind))
                self.assertGreaterEqual(len(names), 2)
                for value, name in enumerate(names):
                    self.assertEqual(vocabulary.parse(kind, name), value)
                    self.assertEqual(vocabulary.parse(kind, name.upper().replace("_", "-")),
                                     value)
                if kind != "status":
                    self.assertIsNone(vocabulary.name(kind, len(names)))
                with self.assertRaises(nnblas.InvalidArgumentError):
                    vocabulary.parse(kind, "no-such-name")
                with self.assertRaises(nnblas.InvalidArgumentError):
                    vocabulary.parse(kind, None)
        with self.assertRaises(nnblas.InvalidArgumentError):
            vocabulary.names("colour")

    def test_defaults_are_the_libraries(self):
        self.assertEqual([vocabulary.default_output(k) for k in ("values", "onehot", "index")],
                         ["identity", "softmax", "sigmoid"])
        self.assertEqual(vocabulary.default_loss("softmax", "onehot"), "ce")
        self.assertEqual(vocabulary.default_loss("sigmoid", "index"), "bce")
        self.assertEqual(vocabulary.default_loss("sigmoid", "values"), "mse")
        self.assertEqual(vocabulary.default_init("relu"), "he_normal")
        self.assertEqual(vocabulary.default_init("tanh"), "xavier_uniform")
        self.assertEqual(vocabulary.default_lr("adam"), 0.001)
        self.assertEqual(vocabulary.default_lr("sgd"), 0.01)
        self.assertTrue(vocabulary.loss_fits("ce", "softmax"))
        self.assertFalse(vocabulary.loss_fits("ce", "identity"))
        # the history's fields are the C library's, in its order
        h = nnblas.Net([2, 1]).fit(np.zeros((4, 2)), np.zeros(4), epochs=1)
        self.assertEqual(vocabulary.count("history_field"), 8)
        for key in h:
            self.assertTrue(vocabulary.parse("history_field", key) >= 0)


class StatusClassTest(unittest.TestCase):
    def test_every_status_has_its_class(self):
        n = vocabulary.count("status")
        self.assertGreaterEqual(n, 16)
        self.assertEqual(vocabulary.name("status", 0), "NNB_OK")
        for status in range(1, n):
            with self.subTest(status=status):
                cls = errors.error_class(status)
                self.assertIsNot(cls, nnblas.Error)
                self.assertTrue(issubclass(cls, nnblas.Error))
                self.assertEqual(cls.status, status)
                self.assertEqual(cls.status_name, vocabulary.name("status", status))
                self.assertIs(getattr(nnblas, cls.__name__), cls)
                self.assertIn(cls.__name__, nnblas.__all__)
        self.assertEqual(nnblas.CommError.status_name, "NNB_E_COMM")
        self.assertEqual(vocabulary.parse("status", "comm"), nnblas.CommError.status)
        self.assertTrue(issubclass(nnblas.CommError, RuntimeError))

    def test_a_newer_librarys_status_gets_a_class(self):
        self.assertEqual(errors.class_name("NNB_E_NEW_THING"), "NewThingError")
        errors.register_statuses([(1000, "NNB_E_NEW_THING")])
        try:
            cls = errors.error_class(1000)
            self.assertEqual((cls.__name__, cls.status, cls.status_name),
                             ("NewThingError", 1000, "NNB_E_NEW_THING"))
            e = cls("message", 1000)
            self.assertIsInstance(e, nnblas.Error)
        finally:
            del errors._BY_STATUS[1000]
            del errors.NewThingError
            errors.__all__.remove("NewThingError")
        with self.assertRaises(ImportError):  # a status the binding names otherwise
            errors.register_statuses([(4, "NNB_E_SOMETHING_ELSE")])


if __name__ == "__main__":
    unittest.main()
