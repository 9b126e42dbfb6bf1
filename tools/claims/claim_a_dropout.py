"""Claim A: dropout.ipynb, 'Which stopping rule?' (cells 55, 57).

A run of the notebook is `fit(p, make_data(s, 0.3), s)` for a run seed s
(the page's seed N gives run_seeds = [100 N, 100 N + 1, 100 N + 2]); the
early-stopping table (cell 55) replays the rules on the validation curves
of the three p = 0 noisy runs. Here: the same, for run seeds given on the
command line (default 200..229), plus the p = 0.5 run of each seed, which
is what 'dropout gave' (cells 28, 51: final test accuracy, 50 epochs).
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbexec import run_cells, seeds_and_output  # noqa: E402
from notebook_tools import notebook_definitions  # noqa: E402

NB = "chapters/multilayer-perceptrons/dropout.ipynb"
seeds, out_path = seeds_and_output("claim_a")

t0 = time.time()
# imports, MLP pieces, data, fit -- the notebook's own cells (seed is the
# page seed; it does not enter fit, which re-seeds from the run seed)
ns = run_cells(NB, [3, 13, 15, 21, 23], seed=0)
exec(notebook_definitions(NB, ["stopping_point"])["stopping_point"], ns)
fit, make_data, stopping_point = (
    ns["fit"],
    ns["make_data"],
    ns["stopping_point"],
)

rules = {f"patience {k}": {"patience": k} for k in (1, 2, 5, 10)}
rules["GL 5 %"] = {"gl_alpha": 5}
rules["50 epochs"] = None

runs = []
for s in seeds:
    t = time.time()
    data = make_data(s, 0.3)
    net0, h0 = fit(0.0, data, s)
    net5, h5 = fit(0.5, make_data(s, 0.3), s)
    v = h0["valid_loss"]
    row = {
        "seed": s,
        "dropout_test_acc": h5["test_acc"][-1],
        "min_valid_epoch": v.index(min(v)) + 1,
    }
    for name, rule in rules.items():
        best, stop = (
            (len(v), None) if rule is None else stopping_point(v, **rule)
        )
        row[name] = {
            "best": best,
            "stop": stop,
            "at_lowest": bool(v[best - 1] == min(v)),
            "test_acc": h0["test_acc"][best - 1],
        }
    runs.append(row)
    print(
        f"seed {s}: "
        + ", ".join(
            f"{n}: best {row[n]['best']} stop {row[n]['stop']} "
            f"low {int(row[n]['at_lowest'])} acc {row[n]['test_acc']:.3f}"
            for n in rules
        )
        + f"; dropout {row['dropout_test_acc']:.3f} "
        f"({time.time() - t:.1f} s)",
        flush=True,
    )

n = len(runs)
print(f"\n{n} runs, run seeds {seeds[0]}..{seeds[-1]}")
full = [r["50 epochs"]["test_acc"] for r in runs]
drop = [r["dropout_test_acc"] for r in runs]
print(
    f"{'rule':11s} {'at lowest':>9s} {'misses':>6s} {'>50ep':>5s} "
    f"{'=50ep':>5s} {'<50ep':>5s} {'<drop':>5s} {'=drop':>5s} "
    f"{'>drop':>5s} {'mean acc':>8s}"
)
for name in rules:
    acc = [r[name]["test_acc"] for r in runs]
    low = sum(r[name]["at_lowest"] for r in runs)
    gt = sum(a > f for a, f in zip(acc, full))
    eq = sum(a == f for a, f in zip(acc, full))
    lt = sum(a < f for a, f in zip(acc, full))
    bd = sum(a < d for a, d in zip(acc, drop))
    ed = sum(a == d for a, d in zip(acc, drop))
    ad = sum(a > d for a, d in zip(acc, drop))
    print(
        f"{name:11s} {low:9d} {n - low:6d} {gt:5d} {eq:5d} {lt:5d} "
        f"{bd:5d} {ed:5d} {ad:5d} {sum(acc) / n:8.3f}"
    )
print(f"dropout p = 0.5, 50 epochs: mean test acc {sum(drop) / n:.3f}")
print(f"total {time.time() - t0:.0f} s")
json.dump(runs, open(out_path, "w"), indent=1)
