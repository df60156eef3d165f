#!/usr/bin/python3
"""nnblas train --plot and nnblas eval --plot (tools/cli_plot.c): the SVG files parse as XML
(xml.etree), the learning curves have one point per epoch run (read from the command's own
--json summary), the confusion matrix's cells hold eval's counts (from eval --json), the
regression picture one point per row; NaN and infinities in a curve leave gaps, never an
invalid file; the targets a save refuses (a folder, a device) are refused before training.

    test_plot.py NNBLAS PLOT_HELPER
"""
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

NNBLAS, HELPER = sys.argv[1], sys.argv[2]
SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def run(*args, ok=True):
    r = subprocess.run([NNBLAS] + list(args), capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise AssertionError("nnblas %s failed (%d): %s" % (args, r.returncode, r.stderr))
    return r


def parse(path):
    """The SVG's root; every coordinate attribute a plain finite number."""
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg", root.tag
    for el in root.iter():
        for name in ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height"):
            v = el.get(name)
            if v is not None and not v.endswith("%"):
                assert NUMBER.match(v), (el.tag, name, v)
    return root


def points(root, cls):
    """The points of every polyline of a class, as (x, y) pairs of finite numbers."""
    out = []
    for pl in root.iter(SVG + "polyline"):
        if pl.get("class") != cls:
            continue
        pairs = [tuple(float(c) for c in p.split(",")) for p in pl.get("points").split()]
        for x, y in pairs:
            assert math.isfinite(x) and math.isfinite(y)
        out.append(pairs)
    return out


def write_classes(path, rows_per_class=40, seed=3):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        f.write("a,b,c,kind\n")
        for k, name in enumerate(["red", "green", "blue"]):
            for _ in range(rows_per_class):
                f.write("%g,%g,%g,%s\n" % (k + rnd.gauss(0, 0.6), 100 * rnd.gauss(k, 0.6),
                                            rnd.random(), name))


def write_regression(path, rows=80, seed=4):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        f.write("u,v,y\n")
        for _ in range(rows):
            u, v = rnd.uniform(-1, 1), rnd.uniform(-1, 1)
            f.write("%g,%g,%g\n" % (u, v, 3 * u - 2 * v + 10 + rnd.gauss(0, 0.1)))


class PlotTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        self.csv = os.path.join(self.d, "classes.csv")
        write_classes(self.csv)

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.d, name)

    def train(self, *extra, csv=None, target="kind"):
        r = run("train", "--csv", csv or self.csv, "--target", target, "--json", "--quiet",
                *extra)
        return json.loads(r.stdout.strip().splitlines()[-1])

    def test_curves_one_point_per_epoch(self):
        svg = self.path("curves.svg")
        summary = self.train("--epochs", "23", "--val", "0.25", "--plot", svg)
        self.assertEqual(summary["epochs_run"], 23)
        root = parse(svg)
        for cls in ("train-loss", "val-loss", "train-acc", "val-acc"):
            with self.subTest(series=cls):
                lines = points(root, cls)
                self.assertEqual(sum(len(p) for p in lines), 23)
                xs = [x for p in lines for x, _ in p]
                self.assertEqual(xs, sorted(xs))  # epochs left to right
                self.assertEqual(len(set(xs)), 23)

    def test_curves_early_stopping_and_no_validation(self):
        # --patience: the epochs that ran, not the epochs asked for; without --val no
        # validation curve; regression: no accuracy curve
        svg = self.path("stopped.svg")
        summary = self.train("--epochs", "400", "--patience", "2", "--lr", "0.5", "--plot", svg)
        self.assertLess(summary["epochs_run"], 400)
        root = parse(svg)
        self.assertEqual(sum(len(p) for p in points(root, "train-loss")), summary["epochs_run"])
        self.assertEqual(points(root, "val-loss"), [])
        reg = self.path("reg.csv")
        write_regression(reg)
        summary = self.train("--epochs", "12", "--plot", svg, csv=reg, target="y")
        root = parse(svg)
        self.assertEqual(sum(len(p) for p in points(root, "train-loss")), 12)
        self.assertEqual(points(root, "train-acc"), [])
        self.assertIn("no accuracy", "".join(root.itertext()))

    def test_confusion_matrix_is_evals(self):
        model, svg = self.path("m.nnb"), self.path("confusion.svg")
        self.train("--epochs", "15", "--save", model)
        ev = json.loads(run("eval", "--model", model, "--csv", self.csv, "--json",
                            "--plot", svg).stdout)
        root = parse(svg)
        cells = {}
        for r in root.iter(SVG + "rect"):
            if r.get("class") == "cell":
                cells[int(r.get("data-true")), int(r.get("data-pred"))] = int(r.get("data-count"))
        k = len(ev["classes"])
        self.assertEqual(len(cells), k * k)
        for t in range(k):
            for p in range(k):
                self.assertEqual(cells[t, p], ev["confusion"][t][p])
        text = "".join(root.itertext())
        for label in ev["classes"]:
            self.assertIn(label, text)

    def test_regression_predicted_against_actual(self):
        reg, model, svg = self.path("reg.csv"), self.path("r.nnb"), self.path("scatter.svg")
        write_regression(reg, rows=80)
        self.train("--epochs", "10", "--save", model, csv=reg, target="y")
        run("eval", "--model", model, "--csv", reg, "--plot", svg)
        root = parse(svg)
        dots = [c for c in root.iter(SVG + "circle") if c.get("class") == "point"]
        self.assertEqual(len(dots), 80)

    def test_non_finite_values_leave_gaps(self):
        svg = self.path("gaps.svg")
        subprocess.run([HELPER, "curves", svg], check=True)
        with open(svg, "rb") as f:
            raw = f.read()
        self.assertNotRegex(raw.decode("utf-8"), r"(?i)\b(nan|inf)")
        root = parse(svg)
        # train loss 1, nan, inf, 0.5, -inf, 0.25, 0.2: runs of 1, 1 and 2 points
        self.assertEqual([len(p) for p in points(root, "train-loss")], [1, 1, 2])
        self.assertEqual([len(p) for p in points(root, "train-acc")], [2, 3])
        self.assertEqual(points(root, "val-loss"), [])  # all NaN
        self.assertEqual(points(root, "val-acc"), [])   # all inf
        subprocess.run([HELPER, "empty", svg], check=True)
        self.assertIn("no epoch", "".join(parse(svg).itertext()))
        subprocess.run([HELPER, "scatter", svg], check=True)
        root = parse(svg)
        self.assertEqual(len([c for c in root.iter(SVG + "circle")]), 3)  # 2 rows not finite

    def test_legend_and_accuracy_axis_fit_the_data(self):
        # no "validation" in the legend without a validation part; with one, it is there
        svg = self.path("legend.svg")
        self.train("--epochs", "3", "--plot", svg)
        legend = [t.text for t in parse(svg).iter(SVG + "text") if t.get("class") == "legend"]
        self.assertEqual(legend, ["training"])
        self.train("--epochs", "3", "--val", "0.25", "--plot", svg)
        legend = [t.text for t in parse(svg).iter(SVG + "text") if t.get("class") == "legend"]
        self.assertEqual(legend, ["training", "validation"])
        # an accuracy from 0.84 to 0.92 spans most of its panel (300 high, from y = 50), not
        # 8 % of a 0-1 axis; the ticks' labels are within the data's neighbourhood
        subprocess.run([HELPER, "narrow", svg], check=True)
        root = parse(svg)
        ys = [y for p in points(root, "train-acc") for _, y in p]
        self.assertEqual(len(ys), 4)
        self.assertTrue(all(50 <= y <= 350 for y in ys), ys)
        self.assertGreater(max(ys) - min(ys), 0.75 * 300, ys)
        self.assertEqual(ys, sorted(ys, reverse=True))  # rising accuracy: y decreasing

    def test_text_is_escaped(self):
        svg = self.path("labels.svg")
        subprocess.run([HELPER, "labels", svg], check=True)
        text = "".join(parse(svg).itertext())
        self.assertIn("<b>&amp;", text)
        self.assertIn("\"quoted\" 'title'", text)
        self.assertIn("bad \ufffd( \ufffd utf-8", text)

    def test_refused_targets(self):
        model = self.path("m.nnb")
        for target in (self.d, "/dev/null", self.path("no/such/folder/x.svg"),
                       self.path("curves.PNG"), self.path("c.pdf")):
            with self.subTest(target=target):
                r = run("train", "--csv", self.csv, "--target", "kind", "--epochs", "500",
                        "--save", model, "--plot", target, ok=False)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("nnblas: error:", r.stderr)
                self.assertFalse(os.path.exists(model))  # refused before training
        self.train("--epochs", "3", "--save", model)
        for target in (self.d, self.path("m.png")):
            r = run("eval", "--model", model, "--csv", self.csv, "--plot", target, ok=False)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertEqual(r.stdout, "")
            self.assertFalse(os.path.exists(self.path("m.png")))
        self.assertIn("name the file .svg", r.stderr)
        # a name without a picture extension, or a folder with a dot, is fine
        run("eval", "--model", model, "--csv", self.csv, "--plot", self.path("plain"))
        os.mkdir(self.path("x.png.d"))
        run("eval", "--model", model, "--csv", self.csv, "--plot", self.path("x.png.d/p.svg"))
        parse(self.path("plain"))
        # an existing file is replaced whole, through a symbolic link too
        real, link = self.path("real.svg"), self.path("link.svg")
        with open(real, "w") as f:
            f.write("old " * 100000)
        os.symlink(real, link)
        run("eval", "--model", model, "--csv", self.csv, "--plot", link)
        self.assertTrue(os.path.islink(link))
        parse(real)
        r = run("eval", "--model", model, "--csv", self.csv, "--plot", ok=False)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
