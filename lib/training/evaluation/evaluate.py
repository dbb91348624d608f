"""Plinth's reference evaluation script (a SageMaker processing job).

Scores the new model and the champion on the same holdout and writes, to
/opt/ml/processing/evaluation/:
  evaluation.json      the evaluation report (contract in docs/training.md)
  gate.json            {"metric", "value", "championBar", "hasChampion"} for the pipeline's gate
  training-sample.jsonl  up to --sample-rows records of the training split as JSON Lines, each as
                       the gateway would send it (the drift baseline's input; see write_sample)

Needs Python 3 and numpy only; Parquet inputs need pyarrow, CSV inputs nothing more.

Models: the reference script scores Plinth's portable linear model, a model.tar.gz holding
model.json = {"kind": "linear", "link": "logistic" | "identity", "intercept": b,
"coefficients": {"<feature>": w, ...}}. Models in any other format bring their own evaluation
image under the same output contract.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import decimal
import glob
import json
import math
import os
import re
import sys
import tarfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

HIGHER_IS_BETTER = {"auc", "precision", "recall"}
CALIBRATION_BINS = 10


# ---------------------------------------------------------------- metrics


def auc(labels: Sequence[float], scores: Sequence[float]) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    positives = int(np.sum(y == 1))
    negatives = int(np.sum(y == 0))
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs both classes in the holdout")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=float)
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    rank_sum = float(np.sum(ranks[y == 1]))
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def precision_recall(labels: Sequence[float], scores: Sequence[float], threshold: float) -> Tuple[float, float]:
    """Precision and recall of `score >= threshold` as the positive prediction."""
    y = np.asarray(labels, dtype=float)
    predicted = np.asarray(scores, dtype=float) >= threshold
    tp = float(np.sum(predicted & (y == 1)))
    fp = float(np.sum(predicted & (y == 0)))
    fn = float(np.sum(~predicted & (y == 1)))
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    return precision, recall


def calibration_error(labels: Sequence[float], scores: Sequence[float], bins: int = CALIBRATION_BINS) -> float:
    """Expected calibration error: equal-width bins on [0, 1], |mean score - positive rate| weighted by bin size."""
    y = np.asarray(labels, dtype=float)
    s = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    index = np.minimum((s * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        in_bin = index == b
        n = int(np.sum(in_bin))
        if n:
            total += n * abs(float(np.mean(s[in_bin])) - float(np.mean(y[in_bin])))
    return total / len(y)


def mae(actual: Sequence[float], predicted: Sequence[float]) -> float:
    return float(np.mean(np.abs(np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float))))


def rmse(actual: Sequence[float], predicted: Sequence[float]) -> float:
    d = np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float)
    return float(math.sqrt(float(np.mean(d * d))))


def metrics_for(problem_type: str, labels: Sequence[float], predictions: Sequence[float], threshold: float) -> Dict[str, float]:
    if len(labels) == 0:
        raise ValueError("the holdout is empty")
    # A NaN or infinite score still sorts and averages into a finite-looking AUC or MAE, and
    # json.dump writes NaN that no JSON reader (nor the gate's JsonGet) accepts: refuse both.
    predicted = np.asarray(predictions, dtype=float)
    if not np.all(np.isfinite(predicted)):
        bad = int(np.sum(~np.isfinite(predicted)))
        raise ValueError(f"{bad} of {len(predicted)} predictions are NaN or infinite; check the model and the holdout's feature values")
    if problem_type == "regression" and not np.all(np.isfinite(np.asarray(labels, dtype=float))):
        raise ValueError("regression labels must be finite numbers")
    if problem_type == "binary_classification":
        bad = sorted({float(v) for v in labels} - {0.0, 1.0})
        if bad:
            raise ValueError(f"binary labels must be 0 or 1, found {bad[:5]}")
        p, r = precision_recall(labels, predictions, threshold)
        return {"auc": auc(labels, predictions), "precision": p, "recall": r, "calibrationError": calibration_error(labels, predictions)}
    if problem_type == "regression":
        return {"mae": mae(labels, predictions), "rmse": rmse(labels, predictions)}
    raise ValueError(f"unknown problem type {problem_type!r}")


def champion_bar(primary_metric: str, champion_value: Optional[float], new_value: float, tolerance: float) -> float:
    """The value the new model must reach (at least, or at most for errors) to stand against the champion.

    Without a champion the bar is the new value itself, so only the floor decides.
    """
    if champion_value is None:
        return new_value
    return champion_value - tolerance if primary_metric in HIGHER_IS_BETTER else champion_value + tolerance


# ---------------------------------------------------------------- models and data


class LinearModel:
    def __init__(self, spec: dict):
        if spec.get("kind") != "linear":
            raise ValueError("the reference evaluation scores Plinth linear models only (model.json kind 'linear'); bring your own evaluation image")
        self.link = spec.get("link", "identity")
        if self.link not in ("logistic", "identity"):
            raise ValueError(f"unknown link {self.link!r}")
        self.intercept = float(spec.get("intercept", 0.0))
        self.coefficients = {str(k): float(v) for k, v in spec["coefficients"].items()}

    def predict(self, columns: Dict[str, np.ndarray], rows: int) -> np.ndarray:
        z = np.full(rows, self.intercept)
        for name, weight in self.coefficients.items():
            if name not in columns:
                raise ValueError(f"the holdout has no column {name!r} the model needs")
            z = z + weight * columns[name]
        return 1.0 / (1.0 + np.exp(-z)) if self.link == "logistic" else z


def load_model(directory: str) -> Optional[LinearModel]:
    """The model in a directory: model.json, or model.json inside a model.tar.gz. None for the no-champion marker."""
    direct = os.path.join(directory, "model.json")
    if os.path.exists(direct):
        with open(direct) as f:
            return LinearModel(json.load(f))
    archives = sorted(glob.glob(os.path.join(directory, "**", "*.tar.gz"), recursive=True))
    for archive in archives:
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if os.path.basename(member.name) == "model.json":
                    return LinearModel(json.load(tar.extractfile(member)))
        raise ValueError(f"{archive} holds no model.json")
    return None


def _csv_columns(paths: List[str]) -> Dict[str, List[str]]:
    columns: Dict[str, List[str]] = {}
    for p in paths:
        with open(p, newline="") as f:
            reader = csv.DictReader(f)
            for row in reader:
                for k, v in row.items():
                    columns.setdefault(k, []).append(v)
    return columns


def read_table(directory: str) -> Dict[str, list]:
    """All rows under a directory: Parquet (with pyarrow) or CSV files with a header."""
    parquet = sorted(glob.glob(os.path.join(directory, "**", "*.parquet"), recursive=True))
    csvs = sorted(glob.glob(os.path.join(directory, "**", "*.csv"), recursive=True))
    if parquet:
        try:
            import pyarrow.parquet as pq  # type: ignore
        except ImportError as err:
            raise RuntimeError("the training set is Parquet and this image has no pyarrow; use an image with it") from err
        table = pq.read_table(parquet)
        return {name: table.column(name).to_pylist() for name in table.column_names}
    if csvs:
        return _csv_columns(csvs)
    raise ValueError(f"no .parquet or .csv files under {directory}")


def read_table_typed(directory: str) -> Tuple[Dict[str, list], bool]:
    """read_table, and whether its values carry their types (Parquet) or are all strings (CSV)."""
    typed = bool(glob.glob(os.path.join(directory, "**", "*.parquet"), recursive=True))
    return read_table(directory), typed


def numeric(values: list, name: str) -> np.ndarray:
    try:
        return np.asarray([float(v) for v in values], dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"column {name!r} is not numeric") from err


SAMPLE_FILE = "training-sample.jsonl"
# A CSV cell that is a JSON number (no leading zeros: '00123' stays an identifier string).
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_JSON_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
# What Python's csv module writes for a non-finite float: no JSON request can carry one.
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_BOOLEANS = {"true": True, "false": False}


class _Unrepresentable(Exception):
    """A value no JSON request could carry as such (bytes, an unknown object)."""


def _json_number(f: float):
    """A float as JSON.stringify writes it: null when not finite, an integer when integral (5411, not
    5411.0) within 2**53, where both print every digit; otherwise the shortest repr (the same double)."""
    if not math.isfinite(f):
        return None
    if f.is_integer() and abs(f) < 2**53:
        return int(f)
    return f


def json_value(v):
    """The value as the gateway's JSON request would carry it (JSON.stringify of the record).

    bool -> true/false; int -> integer; float and Decimal -> number as JSON.stringify writes it
    (5411.0 -> 5411; NaN and +-Infinity -> null); str -> string; None -> null; date/datetime/time
    -> ISO-8601 string; list/tuple/dict -> array/object (the drift job counts them missing, like
    the capture side). Anything else raises _Unrepresentable.
    """
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, (float, decimal.Decimal)):
        return _json_number(float(v))
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, np.generic):
        return json_value(v.item())
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    raise _Unrepresentable(type(v).__name__)


def typed_csv_column(values: list) -> list:
    """A CSV column (every cell a string) with the JSON types a typed table would have given it.

    An empty cell is null. A column whose every other cell is a JSON number (or a non-finite
    token, written as null) holds numbers; one whose every other cell is true/false in any case
    (Python writes True/False) holds booleans; any other column keeps its strings.
    """
    cells = [None if v is None or v == "" else v for v in values]
    present = [c for c in cells if c is not None]
    if present and all(_JSON_NUMBER.fullmatch(c) or _NON_FINITE.fullmatch(c) for c in present) and any(_JSON_NUMBER.fullmatch(c) for c in present):
        return [None if c is None or _NON_FINITE.fullmatch(c) else (int(c) if _JSON_INTEGER.fullmatch(c) else _json_number(float(c))) for c in cells]
    if present and all(c.lower() in _BOOLEANS for c in present):
        return [None if c is None else _BOOLEANS[c.lower()] for c in cells]
    return cells


def write_sample(train: Dict[str, list], path: str, rows: int, seed: int = 7, typed: bool = True) -> dict:
    """Up to `rows` records of the training split as JSON Lines: the drift baseline's input.

    Each line is one record as the gateway would send it to the endpoint (its JSON object), so the
    drift baseline (lambdas/drift-baseline) reads the same values from it as the drift job reads
    from data capture: `true`, not Python's `True`; `5411`, not `5411.0` (JSON.parse reads both
    5411.0 and 5411 as the same number, and the drift job formats it once, as JSON.stringify does).
    Every line has every column of the table (null when the value is missing), so a field the
    table does not have is absent from every line and the baseline declares it unbaselined.

    `typed` is False for a CSV table, whose cells are all strings: typed_csv_column restores
    numbers and booleans. A column holding a value no JSON request could carry (bytes, an unknown
    object) is left out of the sample and named in the result, never written as a guess.
    Returns {"records": n, "columns": [...], "omittedColumns": {name: type}}.
    """
    columns = {name: (list(values) if typed else typed_csv_column(list(values))) for name, values in train.items()}
    names = list(columns.keys())
    total = len(columns[names[0]]) if names else 0
    pick = np.sort(np.random.default_rng(seed).choice(total, size=min(rows, total), replace=False)) if total else []
    converted: Dict[str, list] = {}
    omitted: Dict[str, str] = {}
    for name in names:
        try:
            converted[name] = [json_value(columns[name][int(i)]) for i in pick]
        except _Unrepresentable as err:
            omitted[name] = str(err)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for j in range(len(pick)):
            record = {name: converted[name][j] for name in converted}
            # allow_nan=False: a NaN that slipped through fails here, never as invalid JSON downstream
            f.write(json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n")
    return {"records": len(pick), "columns": list(converted.keys()), "omittedColumns": omitted}


# ---------------------------------------------------------------- main


def evaluate(args: argparse.Namespace) -> dict:
    holdout = read_table(args.holdout)
    if args.label_column not in holdout:
        raise ValueError(f"the holdout has no label column {args.label_column!r}")
    labels = numeric(holdout[args.label_column], args.label_column)
    rows = len(labels)
    features = {k: numeric(v, k) for k, v in holdout.items() if k != args.label_column and _all_numeric(v)}
    model = load_model(args.model)
    if model is None:
        raise ValueError(f"no model under {args.model}")
    new_metrics = metrics_for(args.problem_type, labels, model.predict(features, rows), args.threshold)
    champion = None
    champion_model = load_model(args.champion) if args.champion_arn != "none" else None
    if args.champion_arn != "none":
        if champion_model is None:
            raise ValueError(f"champion {args.champion_arn} has no model under {args.champion}")
        champion = {
            "modelPackageArn": args.champion_arn,
            "samples": rows,
            "metrics": metrics_for(args.problem_type, labels, champion_model.predict(features, rows), args.threshold),
        }
    report = {
        "schemaVersion": 1,
        "problemType": args.problem_type,
        "primaryMetric": args.primary_metric,
        **({"threshold": args.threshold} if args.problem_type == "binary_classification" else {}),
        "samples": rows,
        "metrics": new_metrics,
        "champion": champion,
        # How the pipeline chose the champion (served | latest-approved | none) and why: the
        # evaluation job's environment, set from the champion lookup (lambdas/find-champion).
        **{key: os.environ[var] for key, var in (("championSource", "PLINTH_CHAMPION_SOURCE"), ("championReason", "PLINTH_CHAMPION_REASON")) if os.environ.get(var)},
    }
    value = new_metrics[args.primary_metric]
    gate = {
        "metric": args.primary_metric,
        "value": value,
        "championBar": champion_bar(args.primary_metric, champion["metrics"][args.primary_metric] if champion else None, value, args.tolerance),
        "hasChampion": champion is not None,
    }
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "evaluation.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(args.output, "gate.json"), "w") as f:
        json.dump(gate, f, indent=2)
    if args.train:
        table, typed = read_table_typed(args.train)
        written = write_sample(table, os.path.join(args.output, SAMPLE_FILE), args.sample_rows, typed=typed)
        if written["omittedColumns"]:
            # Visible in the job's log: the drift baseline reports these features as absent from the sample.
            print(json.dumps({"level": "warn", "msg": "columns left out of the training sample (no JSON form)", "omittedColumns": written["omittedColumns"]}))
    return report


def _all_numeric(values: list) -> bool:
    try:
        for v in values:
            float(v)
        return True
    except (TypeError, ValueError):
        return False


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--problem-type", required=True, choices=["binary_classification", "regression"])
    p.add_argument("--primary-metric", required=True, choices=["auc", "precision", "recall", "mae", "rmse"])
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--tolerance", type=float, required=True)
    p.add_argument("--label-column", required=True)
    p.add_argument("--champion-arn", default="none")
    p.add_argument("--holdout", default="/opt/ml/processing/holdout")
    p.add_argument("--train", default="/opt/ml/processing/train")
    p.add_argument("--model", default="/opt/ml/processing/model")
    p.add_argument("--champion", default="/opt/ml/processing/champion")
    p.add_argument("--output", default="/opt/ml/processing/evaluation")
    p.add_argument("--sample-rows", type=int, default=10000)
    args = p.parse_args(argv)
    if (args.primary_metric in HIGHER_IS_BETTER) != (args.problem_type == "binary_classification"):
        p.error(f"--primary-metric {args.primary_metric} does not fit --problem-type {args.problem_type}")
    return args


if __name__ == "__main__":
    report = evaluate(parse_args())
    print(json.dumps({"level": "info", "msg": "evaluation written", "samples": report["samples"], "metrics": report["metrics"]}))
    sys.exit(0)
