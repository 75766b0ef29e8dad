"""Width against 1/ε: the convolutional 2L constructions beside the MLP constructions (claim C-conv-width).

* left — **formula**: channels per patch column ``N`` of the CNN plans (conv-orseau, dacunha) on
  ``slt_check.claims.conv.WIDTH_ARCH`` and sampled neurons per group/block ``N`` of the MLP plans (orseau
  per_input, pensia) on an MLP with the same fan-ins (``9-18-2``), at each ε of ``WIDTH_EPS``, δ = 0.05;
* right — **measured**: kept parameters per target parameter of the CNN tickets (target
  ``random_cnn(WIDTH_ARCH, 1_000_003)``, ``G`` from seed 0, one pre-registered seed), with the certified
  error ≤ ε noted in the data.

    python plots/fig_conv_width.py      # writes plots/data/conv_width.json and plots/figures/fig_conv_width.png
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slt_check.claims.conv import WIDTH_EPS, measure_width, width_table
from slt_check.constructions.base import Problem
from slt_check.constructions.registry import get_construction
from slt_check.experiments.plotting import read_json, save_figure, style, write_json

ROOT = Path(__file__).resolve().parent
MLP_WIDTHS = (9, 18, 2)


def compute() -> dict[str, Any]:
    rows = width_table(measure=True)
    mlp = []
    for name, opts in (("orseau", {"sharing": "per_input"}), ("pensia", {})):
        con = get_construction(name, **opts)
        for eps in WIDTH_EPS:
            plan = con.plan(Problem(MLP_WIDTHS, eps, 0.05))
            mlp.append({"construction": f"MLP {name}", "eps": eps, "n_samples": plan["n_samples"]})
    return {"cnn": rows, "mlp": mlp, "fits": measure_width(rows)}


def render(data: dict[str, Any]) -> Any:
    import matplotlib.pyplot as plt

    with style():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
        for rows, prefix, ls in ((data["cnn"], "CNN ", "-"), (data["mlp"], "", "--")):
            for name in sorted({r["construction"] for r in rows}):
                rs = [r for r in rows if r["construction"] == name]
                ax1.plot([1 / r["eps"] for r in rs], [r["n_samples"] for r in rs], ls, marker="",
                         label=f"formula: {prefix}{name}")
        ax1.set_xscale("log")
        ax1.set_yscale("log")
        ax1.set_xlabel("1/ε")
        ax1.set_ylabel("N (channels per column / neurons per block)")
        ax1.legend(fontsize=7)
        for name in sorted({r["construction"] for r in data["cnn"]}):
            rs = [r for r in data["cnn"] if r["construction"] == name]
            ax2.plot([1 / r["eps"] for r in rs], [r["kept_per_param"] for r in rs], "o", label=f"measured: {name}")
        ax2.set_xscale("log")
        ax2.set_xlabel("1/ε")
        ax2.set_ylabel("kept parameters per target parameter")
        ax2.legend(fontsize=7)
        fig.tight_layout()
    return fig


if __name__ == "__main__":
    path = ROOT / "data" / "conv_width.json"
    write_json(path, compute())
    save_figure(render(read_json(path)), ROOT / "figures" / "fig_conv_width", formats=("png",))
