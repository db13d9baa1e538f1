"""Tests of scripts/bench_compare.py's arithmetic and README rewrite (run by make test:
python -m unittest discover -s scripts -p 'bench_compare_test.py')."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_compare as bc  # noqa: E402
import benchjson  # noqa: E402


def doc(script, rows):
    return {"script": script, "machine": "test CPU", "cpus": 2, "date": "2026-12-03 00:00 UTC",
            "load_start": [0.5, 0.5, 0.5], "load_end": [0.7, 0.6, 0.5], "versions": {"tensorflow": "2.21.0"},
            "rows": rows}


def predict_doc(go_ms, ref_ms):
    go = [[t / 1e3, t / 2e3] for t in go_ms]
    ref = [[t / 1e3, t / 1e3] for t in ref_ms]
    return doc("bench_predict.py", [benchjson.row("predict32", "seed model predict, batch 32", go, {"ONNX Runtime": ref})])


class Figures(unittest.TestCase):
    def test_time_ratio(self):
        f = bc.session_figures(predict_doc([1, 2, 3], [4, 4, 4])["rows"][0], "ONNX Runtime")
        self.assertAlmostEqual(f["r"], 0.5)
        self.assertAlmostEqual(f["lo"], 0.25)
        self.assertAlmostEqual(f["hi"], 0.75)
        self.assertAlmostEqual(f["cpu"], 0.25)

    def test_gflops_ratio_is_speed(self):
        row = benchjson.row("gemm2048", "gemm", [[2.0, 2.0]] * 3, {"NumPy": [[1.0, 1.0]] * 3}, metric="gflops", flop=8e9)
        f = bc.session_figures(row, "NumPy")
        self.assertAlmostEqual(f["r"], 0.5)  # kerasgo half as fast

    def test_reproduced(self):
        a = {"r": 0.5, "lo": 0.4, "hi": 0.6}
        b = {"r": 0.55, "lo": 0.45, "hi": 0.7}
        c = {"r": 0.9, "lo": 0.8, "hi": 1.0}
        self.assertTrue(bc.reproduced([a, b]))
        self.assertFalse(bc.reproduced([a, c]))

    def test_targets(self):
        s1 = {"predict": predict_doc([1, 1, 1], [2, 2, 2])}
        s2 = {"predict": predict_doc([1.1, 1, 0.9], [2, 2.1, 1.9])}
        _, verdicts = bc.compute_table([s1, s2])
        self.assertEqual(len(verdicts), 1)
        self.assertTrue(verdicts[0][4])
        s3 = {"predict": predict_doc([3, 3, 3], [2, 2, 2])}
        s4 = {"predict": predict_doc([3, 3.1, 2.9], [2, 2, 2])}
        _, verdicts = bc.compute_table([s3, s4])
        self.assertFalse(verdicts[0][4])
        lines, verdicts = bc.compute_table([s1, s3])  # 0.5 against 1.5: not reproduced
        self.assertIsNone(verdicts[0][4])
        self.assertIn("not reproduced", lines[-1])

    def test_readme_rewrite(self):
        with tempfile.TemporaryDirectory() as d:
            for s, go in ((1, [1, 1, 1]), (2, [1.1, 1, 0.9])):
                with open(os.path.join(d, f"predict-{s}.json"), "w") as f:
                    json.dump(predict_doc(go, [2, 2, 2]), f)
            readme = os.path.join(d, "README.md")
            with open(readme, "w") as f:
                f.write("# x\n\nbefore\n" + bc.BEGIN + "\nold table\n" + bc.END + "\nafter\n")
            p = subprocess.run([sys.executable, os.path.join(HERE, "bench_compare.py"), "--from-json", d, "--readme", readme],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(readme) as f:
                text = f.read()
            self.assertNotIn("old table", text)
            self.assertTrue(text.startswith("# x\n\nbefore\n" + bc.BEGIN))
            self.assertTrue(text.endswith(bc.END + "\nafter\n"))
            self.assertIn("| seed model predict, batch 32 |", text)
            self.assertIn("<= 1.0: met", text)
            self.assertIn("test CPU, 2 CPUs", text)

    def test_no_markers_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            for s in (1, 2):
                with open(os.path.join(d, f"predict-{s}.json"), "w") as f:
                    json.dump(predict_doc([1, 1, 1], [2, 2, 2]), f)
            readme = os.path.join(d, "README.md")
            with open(readme, "w") as f:
                f.write("no markers\n")
            p = subprocess.run([sys.executable, os.path.join(HERE, "bench_compare.py"), "--from-json", d, "--readme", readme],
                               capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("no <!-- bench-compare:begin -->", p.stderr)
            with open(readme) as f:
                self.assertEqual(f.read(), "no markers\n")

    def test_file_rows(self):
        # File rows go through the same rule as the compute rows, in seconds, with no target.
        def files(go, ref):
            return doc("bench_files.py", [benchjson.row("h5load", ".h5: load", [[g, g] for g in go],
                                                        {"tf_keras load_model": [[t, t] for t in ref]}, unit="s")])
        s1, s2 = {"files": files([0.1, 0.1, 0.1], [1.0, 1.0, 1.0])}, {"files": files([0.1, 0.11, 0.09], [1.0, 1.1, 0.9])}
        lines, verdicts = bc.compute_table([s1, s2])
        self.assertEqual(verdicts, [])
        self.assertIn("| .h5: load | 0.1 (CPU 0.1) s;", lines[2])
        self.assertIn("| yes |", lines[2])
        s3 = {"files": files([2.0, 2.0, 2.0], [1.0, 1.0, 1.0])}  # 0.1 against 2.0: not reproduced
        lines, _ = bc.compute_table([s1, s3])
        self.assertIn("not reproduced (not published)", lines[2])
        block, _ = bc.render([s1, s2], 3, "a", "b")
        self.assertIn("File-format rows (scripts/bench_files.py)", block)


if __name__ == "__main__":
    unittest.main()
