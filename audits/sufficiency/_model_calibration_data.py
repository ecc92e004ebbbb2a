"""Interval models of the built-in model kinds, fitted by benchmarks/model_intervals.py.

Generated; do not edit by hand (rerun the benchmark with --write).
"""

MODEL_CALIBRATION = {
    "source": "benchmarks/model_intervals.py (the model's own forecasts on R datasets)",
    "level": 0.9,
    "models": {
        "classical": {
            "coef": {
                "intercept": 0.5768213824764418,
                "log_se": 0.05192757080975757,
                "log_rmse": 0.35428877444093165,
                "log_gain": 0.027758303397481608,
                "log_ratio": 0.2112854682947317,
                "log_headroom": 0.25730020541468496,
                "log_n_last": -0.31750397861563007,
                "irregular": -0.3797982502122983,
            },
            "low": 0.8816135459347574,
            "high": 0.8023176690217703,
            "pairs": 238,
            "datasets": 119,
        },
        "deep": {
            "coef": {
                "intercept": 0.01128958920923186,
                "log_se": 0.10085769629714547,
                "log_rmse": 0.2283097292407011,
                "log_gain": 0.09899667488330247,
                "log_ratio": 0.2112854682947317,
                "log_headroom": 0.39180725445972925,
                "log_n_last": -0.21954289334976698,
                "irregular": -0.2954758005595392,
            },
            "low": 1.1213805072683207,
            "high": 1.2643808960459142,
            "pairs": 274,
            "datasets": 137,
        },
    },
}
