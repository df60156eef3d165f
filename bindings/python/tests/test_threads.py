"""Threads: ctypes releases the GIL around C calls, so two threads training two networks run at
the same time (their epochs interleave) and give the same weights as alone; many threads may
predict from one network; misuse of one network from two threads is refused, not a crash.
No timing thresholds: the speedup is measured by examples/python/threads.py."""
import threading
import time
import unittest

import numpy as np

from support import nnblas


def problem(seed, rows=4000, cols=32):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, cols))
    y = np.eye(4)[(X[:, :4].sum(axis=1) > 0).astype(int) + 2 * (X[:, 4] > 0)]
    return X, y


def new_net(seed):
    return nnblas.Net([32, 128, 64, 4], activation="relu", output="softmax", seed=seed)


FIT = dict(epochs=6, batch_size=32, optimizer="adam", lr=1e-3, loss="ce")


class ThreadsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.threads_before = nnblas.get_num_threads()
        nnblas.set_num_threads(1)  # one OpenBLAS thread per training thread

    @classmethod
    def tearDownClass(cls):
        nnblas.set_num_threads(cls.threads_before)

    def test_two_trainings_overlap_and_match_sequential_results(self):
        data = [problem(1), problem(2)]
        nets = [new_net(1), new_net(2)]
        stamps = [[], []]
        errors = []
        barrier = threading.Barrier(2)

        def train(k):
            try:
                barrier.wait()
                nets[k].fit(*data[k], callback=lambda logs: stamps[k].append(
                    time.perf_counter()), **FIT)
            except BaseException as e:  # reported by the main thread
                errors.append(e)

        threads = [threading.Thread(target=train, args=(k,)) for k in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual([len(s) for s in stamps], [FIT["epochs"]] * 2)
        # The epochs of the two trainings interleave: each finished an epoch while the other was
        # still running. Were the GIL held during a C call, one training would end before the
        # other began its first epoch.
        self.assertLess(max(stamps[0][0], stamps[1][0]), min(stamps[0][-1], stamps[1][-1]),
                        "the two trainings did not overlap in time: %r" % (stamps,))
        # and the results are those of each network trained alone
        for k in (0, 1):
            alone = new_net(k + 1)
            alone.fit(*data[k], **FIT)
            np.testing.assert_array_equal(alone.params, nets[k].params)

    def test_python_runs_while_c_trains(self):
        """The proof that the GIL is released: while a thread is inside nnb_net_train (between two
        epoch callbacks), this thread keeps running Python and watches that thread's CPU clock
        advance. Were the GIL held during the C call, this thread could run only while the other
        sits in a callback (where its CPU clock barely moves: it waits for the GIL), so no
        reading could see it advance by a whole epoch's worth without a callback in between.
        (The interleaved epochs of the test above do not prove this alone: a held GIL is still
        handed over at every callback.)"""
        net = new_net(5)
        # big enough that an epoch takes well over 20 ms of CPU even with the fastest kernels
        X, y = problem(5, rows=40000)
        entered, left = [0], [0]  # callbacks begun and finished by the training thread

        def count(logs):
            entered[0] += 1
            left[0] += 1

        t = threading.Thread(target=net.fit, args=(X, y), kwargs=dict(FIT, epochs=4,
                                                                       callback=count))
        t.start()
        clock = time.pthread_getcpuclockid(t.ident)
        seen = 0.0  # the most CPU time seen spent in C within one epoch
        last = None
        while t.is_alive():
            state = (entered[0], left[0])
            try:
                now = time.clock_gettime(clock)
            except OSError:  # the thread has just ended
                break
            if state[0] != state[1] or state != (entered[0], left[0]):
                last = None  # in a callback, or one ran meanwhile: start over
                continue
            if last is not None and last[0] == state:
                seen = max(seen, now - last[1])
            else:
                last = (state, now)
            if seen >= 0.02:
                break
        t.join()
        self.assertGreaterEqual(seen, 0.02, "this thread never ran Python while the other was "
                                "computing inside nnb_net_train: is the GIL held during C calls?")

    def test_concurrent_predict_on_one_network(self):
        net = new_net(3)
        X = problem(3, rows=3000)[0]
        want = net.predict(X)
        results = [None] * 4

        def run(k):
            for _ in range(5):
                results[k] = net.predict(X)

        threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            np.testing.assert_array_equal(r, want)

    def test_one_network_from_two_threads_is_refused(self):
        net = new_net(4)
        X, y = problem(4, rows=2000)
        started, release = threading.Event(), threading.Event()
        history = []

        def slow(logs):
            started.set()
            release.wait(30)
            return False  # stop after the first epoch

        t = threading.Thread(target=lambda: history.append(net.fit(X, y, epochs=50,
                                                                   callback=slow)))
        t.start()
        try:
            self.assertTrue(started.wait(30))
            with self.assertRaises(nnblas.StateError) as cm:
                net.fit(X, y, epochs=1)
            self.assertIn("another thread", str(cm.exception))
            with self.assertRaises(nnblas.StateError):
                net.predict(X)
            with self.assertRaises(nnblas.StateError):
                net.add(3)
        finally:
            release.set()
            t.join()
        self.assertTrue(history[0].stopped_by_callback)
        net.predict(X)  # free again


if __name__ == "__main__":
    unittest.main()
