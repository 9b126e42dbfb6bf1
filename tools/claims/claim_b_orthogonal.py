"""Claim B: numerical-stability-and-init.ipynb, cell 76/77.

For each page seed, run the notebook's cells 3 (imports), 44 (D, K,
normal_weights, udl_inputs) and 76 (orthogonal vs Gaussian, prints min and
max of ||f_50|| / ||x|| over the 100 inputs) with `seed = N`, and compare
the spread of the ratio for "ReLU, orthogonal √2" and "ReLU, He".
Spread: max/min (the page's "steadier scale"); also max - min and the
standard deviation of log(ratio), for reference.
"""

import io
import json
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbexec import run_cells, seeds_and_output  # noqa: E402

NB = "chapters/gradients-and-initialization/numerical-stability-and-init.ipynb"
seeds, out_path = seeds_and_output("claim_b")

t0 = time.time()
rows = []
for s in seeds:
    buf = io.StringIO()
    with redirect_stdout(buf):
        ns = run_cells(NB, [3, 44, 76], seed=s)
    if s == seeds[0]:
        print(buf.getvalue())
    row = {"seed": s}
    for name in ("ReLU, He", "ReLU, orthogonal √2"):
        r = ns["ortho_stats"][name][0]
        lo, hi = float(r.min()), float(r.max())
        row[name] = {
            "min": lo,
            "max": hi,
            "ratio": hi / lo,
            "diff": hi - lo,
            "log_std": float(r.log().std()),
            "mean": float(r.mean()),
        }
    rows.append(row)
    he, orth = row["ReLU, He"], row["ReLU, orthogonal √2"]
    print(
        f"seed {s}: He {he['min']:.3f}..{he['max']:.3f} (max/min "
        f"{he['ratio']:.2f}), orth {orth['min']:.3f}..{orth['max']:.3f} "
        f"(max/min {orth['ratio']:.2f})",
        flush=True,
    )

n = len(rows)
for key in ("ratio", "diff", "log_std"):
    narrower = sum(
        r["ReLU, orthogonal √2"][key] < r["ReLU, He"][key] for r in rows
    )
    print(f"spread as {key:7s}: orthogonal narrower in {narrower} of {n}")
print(f"total {time.time() - t0:.0f} s")
json.dump(rows, open(out_path, "w"), indent=1)
