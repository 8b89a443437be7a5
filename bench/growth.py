"""How a cost grows with size: the ratio per step, the exponent it implies, and where it bends.

Between two sizes s1 < s2 with costs c1, c2 the local exponent is log(c2/c1) / log(s2/s1):
1 is linear (10 times the size, 10 times the time), 0 is flat, above 1 super-linear. A step whose
exponent is clearly above the one before it is where the curve bends. The thresholds leave room
for this machine's drift (timings move by 30-40% from run to run), so "linear" spans 0.85-1.15.
"""

from __future__ import annotations

import itertools
import math

FLAT, SUBLINEAR, LINEAR_HIGH = 0.2, 0.85, 1.15
BEND_MARGIN = 0.3


def shape(exponent: float) -> str:
    """A word for a local exponent."""
    if exponent < FLAT:
        return "flat"
    if exponent < SUBLINEAR:
        return "sub-linear"
    if exponent <= LINEAR_HIGH:
        return "linear"
    return "super-linear"


def growth_steps(points: list[tuple[float, float]]) -> list[dict]:
    """One step per pair of successive (size, cost) points, sizes ascending.

    Each step gives the size ratio, the cost ratio, the exponent, its shape, and ``bend`` when
    the exponent rose by more than ``BEND_MARGIN`` over the previous step or is super-linear.
    """
    ordered = sorted((size, cost) for size, cost in points if size > 0 and cost > 0)
    steps: list[dict] = []
    for (s1, c1), (s2, c2) in itertools.pairwise(ordered):
        if s2 == s1:
            continue
        exponent = math.log(c2 / c1) / math.log(s2 / s1)
        previous = steps[-1]["exponent"] if steps else None
        bend = shape(exponent) == "super-linear" or (previous is not None and exponent - previous > BEND_MARGIN)
        steps.append(
            {
                "from": s1,
                "to": s2,
                "size_ratio": round(s2 / s1, 2),
                "cost_ratio": round(c2 / c1, 2),
                "exponent": round(exponent, 2),
                "shape": shape(exponent),
                "bend": bend,
            }
        )
    return steps


def describe(steps: list[dict]) -> str:
    """One sentence: the overall shape, and where it bends if it does."""
    if not steps:
        return "not enough sizes to tell"
    shapes = [step["shape"] for step in steps]
    overall = shapes[0] if len(set(shapes)) == 1 else " then ".join(dict.fromkeys(shapes))
    bends = [f"{step['from']:,.0f} to {step['to']:,.0f}" for step in steps if step["bend"]]
    return overall + (f"; bends between {', '.join(bends)}" if bends else "")
