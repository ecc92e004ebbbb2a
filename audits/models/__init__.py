"""Model families and the out-of-fold predictions every audit shares."""

from audits.models._factory import (
    MODEL_KINDS,
    EarlyStoppingGuard,
    QuickScoreMLPClassifier,
    check_models,
    make_model,
    model_problem,
)
from audits.models._features import (
    OTHER,
    ColumnKinds,
    DenseEncoder,
    FrameEncoder,
    column_kinds,
)
from audits.models._oof import OutOfFold, out_of_fold, stratified_folds
from audits.models._trees import TreeShape, tree_shape

__all__ = [
    "MODEL_KINDS",
    "OTHER",
    "ColumnKinds",
    "DenseEncoder",
    "EarlyStoppingGuard",
    "FrameEncoder",
    "OutOfFold",
    "QuickScoreMLPClassifier",
    "TreeShape",
    "check_models",
    "column_kinds",
    "make_model",
    "model_problem",
    "out_of_fold",
    "stratified_folds",
    "tree_shape",
]
