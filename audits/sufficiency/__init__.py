"""Is the data big enough, and for which model? Learning curves, extrapolated honestly.

:func:`assess` measures learning curves of a classical and a deep model, extrapolates
them with :func:`extrapolate` (curve families chosen by backtest, intervals calibrated
on real learning curves), and reports the score at larger sizes, the rows needed for a
target score, the size at which one model overtakes the other, and the costs. The
pieces are public so an orchestrator can run the anchor fits as separate tasks; by
default :class:`FitPool` runs them side by side, one process per core.
"""

from audits.sufficiency._anchors import (
    AnchorMeasurement,
    AnchorPlan,
    AnchorTask,
    Split,
    make_split,
    measure_anchor,
    plan_anchors,
    summarise_anchors,
)
from audits.sufficiency._assess import DEFAULT_MODELS, assess, measure_within_budget, plan_curves
from audits.sufficiency._costs import (
    ITERATION_GROWTH,
    fill_cost_curve,
    fit_cost_curve,
    forecast_costs,
)
from audits.sufficiency._curves import FAMILIES, CurveFit, fit_curve
from audits.sufficiency._extrapolate import DEFAULT_FAMILIES, extrapolate
from audits.sufficiency._metrics import METRICS, Metric
from audits.sufficiency._options import MAX_SEED, check_options, target_score_problem
from audits.sufficiency._pool import FitPool, available_cores
from audits.sufficiency._result import (
    SCHEMA_VERSION,
    Anchor,
    CostCurve,
    CostForecast,
    Crossover,
    Diagnostic,
    Extrapolation,
    ForecastPoint,
    IntervalModel,
    ModelForecast,
    RowsForTarget,
    ScaleFeatures,
    SufficiencyResult,
)
from audits.sufficiency._text import render_text
from audits.sufficiency._verdicts import crossover, rows_for_target

__all__ = [
    "DEFAULT_FAMILIES",
    "DEFAULT_MODELS",
    "FAMILIES",
    "ITERATION_GROWTH",
    "MAX_SEED",
    "METRICS",
    "SCHEMA_VERSION",
    "Anchor",
    "AnchorMeasurement",
    "AnchorPlan",
    "AnchorTask",
    "CostCurve",
    "CostForecast",
    "FitPool",
    "Crossover",
    "CurveFit",
    "Diagnostic",
    "Extrapolation",
    "ForecastPoint",
    "IntervalModel",
    "Metric",
    "ModelForecast",
    "RowsForTarget",
    "ScaleFeatures",
    "Split",
    "SufficiencyResult",
    "assess",
    "check_options",
    "available_cores",
    "crossover",
    "extrapolate",
    "fill_cost_curve",
    "fit_cost_curve",
    "fit_curve",
    "forecast_costs",
    "make_split",
    "measure_anchor",
    "measure_within_budget",
    "plan_anchors",
    "plan_curves",
    "render_text",
    "rows_for_target",
    "summarise_anchors",
    "target_score_problem",
]
