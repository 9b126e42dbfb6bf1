"""Claim C: numerical-stability-and-init.ipynb, cell 80/81.

For each page seed: the notebook's cells 3 (imports) and 17 (the 5000/2000
Fashion-MNIST subset, drawn from `seed`), the definitions of deep_mlp and
train_deep (cell 69, without its four training runs), then cell 80 as it
stands (He init, bias 0 and 0.01, train_deep: 3 epochs, minibatch order
from `seed`). Compare final training loss and test accuracy.
"""

import io
import json
import statistics
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbexec import ROOT, cells, run_cells, seeds_and_output, source  # noqa: E402
from notebook_tools import notebook_definitions  # noqa: E402

NB = "chapters/gradients-and-initialization/numerical-stability-and-init.ipynb"
seeds, out_path = seeds_and_output("claim_c")
defs = notebook_definitions(ROOT / NB, ["deep_mlp", "train_deep"])
cell80 = source(cells(NB)[80])

t0 = time.time()
rows = []
for s in seeds:
    t = time.time()
    buf = io.StringIO()
    with redirect_stdout(buf):
        ns = run_cells(NB, [3, 17], seed=s)
        for src in defs.values():
            exec(src, ns)
        exec(compile(cell80, "cell80", "exec"), ns)
    if s == seeds[0]:
        print(buf.getvalue())
    row = {"seed": s}
    for bias, ((active, dead), (_, dead_end), h) in ns["bias_runs"].items():
        row[str(bias)] = {
            "active": active,
            "dead": dead,
            "dead_end": dead_end,
            "train_loss": h.train_loss[-1],
            "test_acc": h.test_acc[-1],
        }
    rows.append(row)
    a, b = row["0.0"], row["0.01"]
    print(
        f"seed {s}: bias 0: loss {a['train_loss']:.3f} acc "
        f"{a['test_acc']:.3f}; bias 0.01: loss {b['train_loss']:.3f} acc "
        f"{b['test_acc']:.3f} ({time.time() - t:.1f} s)",
        flush=True,
    )

n = len(rows)
d_acc = [r["0.01"]["test_acc"] - r["0.0"]["test_acc"] for r in rows]
d_loss = [r["0.01"]["train_loss"] - r["0.0"]["train_loss"] for r in rows]
print(f"\n{n} seeds {seeds[0]}..{seeds[-1]}")
print(
    f"bias 0.01 higher test acc: {sum(d > 0 for d in d_acc)}, equal "
    f"{sum(d == 0 for d in d_acc)}, lower {sum(d < 0 for d in d_acc)}"
)
print(
    f"bias 0.01 lower train loss: {sum(d < 0 for d in d_loss)}, equal "
    f"{sum(d == 0 for d in d_loss)}, higher {sum(d > 0 for d in d_loss)}"
)
both = sum(da > 0 and dl < 0 for da, dl in zip(d_acc, d_loss))
print(f"bias 0.01 ahead on both: {both}")
if n > 1:
    print(
        f"test acc (0.01 - 0): mean {statistics.mean(d_acc):+.4f} ± "
        f"{statistics.stdev(d_acc):.4f} (std), median "
        f"{statistics.median(d_acc):+.4f}"
    )
    print(
        f"train loss (0.01 - 0): mean {statistics.mean(d_loss):+.4f} ± "
        f"{statistics.stdev(d_loss):.4f} (std), median "
        f"{statistics.median(d_loss):+.4f}"
    )
print(f"total {time.time() - t0:.0f} s")
json.dump(rows, open(out_path, "w"), indent=1)
