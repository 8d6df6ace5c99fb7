"""Print how long each registered dataset takes to generate (target: well under a second each,
so grading's materialization, notebooks and hidden tests stay fast). Not a test: figures, not
assertions. Run from the course directory (the generators are grader-side).

    .venv/bin/python benchmarks/dataset_generation.py [--repeat N]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from grader.datasets import generate, specs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="generations per dataset (different seeds)")
    args = parser.parse_args()
    print(f"{'dataset':<24} {'rows':>6} {'median s':>9} {'max s':>7}")
    for name in specs():
        timings, rows = [], 0
        for seed in range(args.repeat):
            start = time.perf_counter()
            rows = len(generate(name, seed).data)
            timings.append(time.perf_counter() - start)
        print(f"{name:<24} {rows:>6} {statistics.median(timings):>9.3f} {max(timings):>7.3f}")


if __name__ == "__main__":
    main()
