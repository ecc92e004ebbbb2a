"""Interval models of the built-in model kinds, fitted by benchmarks/model_intervals.py.

Generated; do not edit by hand (rerun the benchmark with --write).
"""

MODEL_CALIBRATION = {
    "source": "benchmarks/model_intervals.py (the model's own forecasts on R datasets)",
    "level": 0.9,
    "models": {
        "classical": {
            "coef": {
                "intercept": 0.540838014187418,
                "log_se": 0.018063441783725265,
                "log_rmse": 0.4706524979790482,
                "log_gain": 0.07225171079845526,
                "log_ratio": 0.2112854682947317,
                "log_headroom": 0.24209601406143635,
                "log_n_last": -0.23600451472943385,
                "irregular": -0.1133680448979081,
            },
            "low": 0.9628506215071854,
            "high": 0.8263798945249529,
            "pairs": 238,
            "datasets": 119,
        },
        "deep": {
            "coef": {
                "intercept": -0.1938750806800094,
                "log_se": 0.12103067349983215,
                "log_rmse": 0.24068147094497278,
                "log_gain": 0.08186492626679333,
                "log_ratio": 0.2112854682947317,
                "log_headroom": 0.364273297615453,
                "log_n_last": -0.19749162152990257,
                "irregular": -0.1874944808789848,
            },
            "low": 1.1063458768555343,
            "high": 1.373565084348478,
            "pairs": 278,
            "datasets": 139,
        },
    },
}
