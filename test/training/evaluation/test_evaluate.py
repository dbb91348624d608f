"""Tests of the reference evaluation script on data with known metrics.

Run: python3 -m pytest test/training/evaluation (jest runs it from test/training/evaluate-script.test.ts).
Independent references: scipy's Mann-Whitney U for AUC, and hand-computed fixtures.
"""

import datetime
import decimal
import io
import json
import os
import sys
import tarfile

import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "lib", "training", "evaluation"))
import evaluate as ev  # noqa: E402


def test_auc_hand_computed_with_ties():
    # pairs (pos, neg): 0.8>0.3, 0.8>0.5, 0.5=0.5 (half), 0.5>0.3 -> (1+1+0.5+1)/4
    assert ev.auc([1, 1, 0, 0], [0.8, 0.5, 0.5, 0.3]) == pytest.approx(3.5 / 4)


def test_auc_matches_scipy_mann_whitney():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.random(500) * 0.6 + y * 0.3, 2)  # rounded: many ties
    u = stats.mannwhitneyu(s[y == 1], s[y == 0]).statistic
    assert ev.auc(y, s) == pytest.approx(u / (np.sum(y == 1) * np.sum(y == 0)), abs=1e-12)


def test_auc_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        ev.auc([1, 1], [0.2, 0.9])


def test_precision_recall_at_threshold():
    y = [1, 1, 1, 0, 0, 0, 0, 1]
    s = [0.9, 0.6, 0.4, 0.7, 0.2, 0.5, 0.1, 0.5]
    # threshold 0.5 -> predicted positive: 0.9,0.6,0.7,0.5,0.5 => tp=3 (0.9,0.6,0.5@idx7) fp=2 (0.7,0.5@idx5) fn=1 (0.4)
    p, r = ev.precision_recall(y, s, 0.5)
    assert p == pytest.approx(3 / 5)
    assert r == pytest.approx(3 / 4)
    # nothing predicted positive: precision 0 by convention, recall 0
    assert ev.precision_recall(y, s, 0.95) == (0.0, 0.0)


def test_calibration_error_hand_computed():
    # bin [0.1,0.2): scores 0.1,0.1 labels 0,1 -> |0.1-0.5|=0.4, n=2
    # bin [0.9,1.0]: scores 0.9,1.0 labels 1,1 -> |0.95-1|=0.05, n=2
    assert ev.calibration_error([0, 1, 1, 1], [0.1, 0.1, 0.9, 1.0]) == pytest.approx((2 * 0.4 + 2 * 0.05) / 4)
    # perfectly calibrated: every score equals its bin's positive rate
    assert ev.calibration_error([0, 0, 1, 1], [0.0, 0.0, 1.0, 1.0]) == pytest.approx(0.0)


def test_mae_rmse_hand_computed():
    assert ev.mae([1, 2, 3, 4], [2, 2, 1, 4]) == pytest.approx((1 + 0 + 2 + 0) / 4)
    assert ev.rmse([1, 2, 3, 4], [2, 2, 1, 4]) == pytest.approx(np.sqrt((1 + 0 + 4 + 0) / 4))


def test_binary_labels_are_checked():
    with pytest.raises(ValueError, match="0 or 1"):
        ev.metrics_for("binary_classification", [0, 2], [0.1, 0.2], 0.5)


@pytest.mark.parametrize("problem", ["binary_classification", "regression"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_predictions_are_refused_not_scored(problem, bad):
    # A NaN score would otherwise rank last and give a finite AUC (or a NaN MAE in the report)
    with pytest.raises(ValueError, match="1 of 4 predictions are NaN or infinite"):
        ev.metrics_for(problem, [0, 1, 0, 1], [0.1, bad, 0.3, 0.9], 0.5)


def test_regression_labels_must_be_finite():
    with pytest.raises(ValueError, match="finite"):
        ev.metrics_for("regression", [1.0, float("nan")], [1.0, 2.0], 0.5)


def test_a_nan_feature_value_fails_the_evaluation(tmp_path):
    # GIVEN a holdout where one row's feature is NaN (a missing feature the training set kept)
    holdout = tmp_path / "holdout"
    holdout.mkdir()
    (holdout / "part.csv").write_text("x,label\n0.1,0\nnan,1\n0.9,1\n0.2,0\n")
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text(json.dumps({"kind": "linear", "link": "logistic", "intercept": 0, "coefficients": {"x": 2.0}}))
    # WHEN evaluated THEN it fails, and writes no evaluation.json
    args = ev.parse_args(["--problem-type", "binary_classification", "--primary-metric", "auc", "--tolerance", "0.01", "--holdout", str(holdout), "--model", str(model), "--output", str(tmp_path / "out"), "--label-column", "label", "--train", ""])
    with pytest.raises(ValueError, match="NaN or infinite"):
        ev.evaluate(args)
    assert not (tmp_path / "out" / "evaluation.json").exists()


def test_champion_bar():
    assert ev.champion_bar("auc", 0.9, 0.7, 0.02) == pytest.approx(0.88)
    assert ev.champion_bar("mae", 3.0, 9.0, 0.5) == pytest.approx(3.5)
    # no champion: the bar is the value itself, so only the floor decides
    assert ev.champion_bar("auc", None, 0.61, 0.02) == 0.61


def _write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(v) for v in r) + "\n")


def _model_tar(directory, spec):
    os.makedirs(directory, exist_ok=True)
    data = json.dumps(spec).encode()
    with tarfile.open(os.path.join(directory, "model.tar.gz"), "w:gz") as tar:
        info = tarfile.TarInfo("model.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def _run(tmp_path, champion_arn="none", champion_spec=None, problem="binary_classification", metric="auc"):
    rows = [(1.0, 1), (0.8, 1), (0.4, 0), (-0.5, 0), (0.1, 1), (-1.0, 0)]
    _write_csv(str(tmp_path / "holdout" / "part-0.csv"), ["amount", "label"], rows)
    _write_csv(str(tmp_path / "train" / "part-0.csv"), ["amount", "label"], rows * 3)
    link = "logistic" if problem == "binary_classification" else "identity"
    _model_tar(str(tmp_path / "model"), {"kind": "linear", "link": link, "intercept": 0.0, "coefficients": {"amount": 2.0}})
    if champion_spec:
        _model_tar(str(tmp_path / "champion"), champion_spec)
    args = ev.parse_args([
        "--problem-type", problem, "--primary-metric", metric, "--tolerance", "0.05", "--label-column", "label",
        "--champion-arn", champion_arn, "--holdout", str(tmp_path / "holdout"), "--train", str(tmp_path / "train"),
        "--model", str(tmp_path / "model"), "--champion", str(tmp_path / "champion"), "--output", str(tmp_path / "out"),
        "--sample-rows", "5",
    ])
    ev.evaluate(args)
    with open(tmp_path / "out" / "evaluation.json") as f:
        report = json.load(f)
    with open(tmp_path / "out" / "gate.json") as f:
        gate = json.load(f)
    return report, gate


def test_end_to_end_without_champion(tmp_path):
    report, gate = _run(tmp_path)
    # scores are monotone in amount: positives 1.0, 0.8, 0.1 vs negatives 0.4, -0.5, -1.0 -> 8 of 9 pairs
    assert report["metrics"]["auc"] == pytest.approx(8 / 9)
    assert report["schemaVersion"] == 1 and report["samples"] == 6 and report["champion"] is None
    # run outside a pipeline (no PLINTH_CHAMPION_* in the environment): no claim about the champion's source
    assert "championSource" not in report and "championReason" not in report
    assert report["primaryMetric"] == "auc" and report["threshold"] == 0.5
    assert gate == {"metric": "auc", "value": pytest.approx(8 / 9), "championBar": pytest.approx(8 / 9), "hasChampion": False}
    with open(tmp_path / "out" / "training-sample.jsonl") as f:
        lines = f.read().strip().splitlines()
    # five records (--sample-rows 5) as JSON objects; the CSV table's numbers are numbers again
    records = [json.loads(line) for line in lines]
    assert len(records) == 5 and all(set(r) == {"amount", "label"} for r in records)
    assert all(isinstance(r["amount"], (int, float)) and isinstance(r["amount"], bool) is False and isinstance(r["label"], int) for r in records)
    assert not (tmp_path / "out" / "training-sample.csv").exists()


def test_end_to_end_with_champion_on_the_same_holdout(tmp_path, monkeypatch):
    # the pipeline says how it chose the champion (the evaluation job's environment)
    monkeypatch.setenv("PLINTH_CHAMPION_SOURCE", "served")
    monkeypatch.setenv("PLINTH_CHAMPION_REASON", "served by primary of fraud-detector-dev (weight 1 of 1)")
    # the champion ranks with the opposite sign: AUC 1/9
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud-detector/3"
    report, gate = _run(tmp_path, arn, {"kind": "linear", "link": "logistic", "intercept": 0.0, "coefficients": {"amount": -1.0}})
    assert report["championSource"] == "served"
    assert report["championReason"] == "served by primary of fraud-detector-dev (weight 1 of 1)"
    assert report["champion"]["modelPackageArn"] == arn
    assert report["champion"]["samples"] == report["samples"] == 6
    assert report["champion"]["metrics"]["auc"] == pytest.approx(1 / 9)
    assert gate["championBar"] == pytest.approx(1 / 9 - 0.05)
    assert gate["hasChampion"] is True


def test_regression_report(tmp_path):
    report, gate = _run(tmp_path, problem="regression", metric="mae")
    pred = np.array([2.0, 1.6, 0.8, -1.0, 0.2, -2.0])
    y = np.array([1, 1, 0, 0, 1, 0])
    assert report["metrics"]["mae"] == pytest.approx(np.mean(np.abs(y - pred)))
    assert report["metrics"]["rmse"] == pytest.approx(np.sqrt(np.mean((y - pred) ** 2)))
    assert "threshold" not in report and "auc" not in report["metrics"]


def test_champion_without_a_model_fails_loudly(tmp_path):
    with pytest.raises(ValueError, match="champion .* has no model"):
        _run(tmp_path, "arn:aws:sagemaker:us-east-1:123456789012:model-package/x/1")


def test_other_model_formats_are_refused(tmp_path):
    os.makedirs(tmp_path / "m")
    with open(tmp_path / "m" / "model.json", "w") as f:
        json.dump({"kind": "xgboost"}, f)
    with pytest.raises(ValueError, match="bring your own evaluation image"):
        ev.load_model(str(tmp_path / "m"))


def test_metric_must_fit_problem_type():
    with pytest.raises(SystemExit):
        ev.parse_args(["--problem-type", "regression", "--primary-metric", "auc", "--tolerance", "0", "--label-column", "y"])


# ---------------------------------------------------------------- the training sample (drift baseline input)


def test_sample_values_are_written_as_the_gateway_sends_them(tmp_path):
    # GIVEN a training split as pyarrow's to_pylist gives a Parquet table: Python values
    train = {
        "card_present": [True, False, None],
        "mcc": [5411.0, 5812.0, 5411.0],
        "txn_count_24h": [3, 0, 12],
        "amount": [12.5, float("nan"), float("inf")],
        "currency": ["EUR", "", None],
        "fee": [decimal.Decimal("1.50"), decimal.Decimal("0"), None],
        "occurred_at": [datetime.datetime(2026, 11, 1, 8, 0, tzinfo=datetime.timezone.utc), None, None],
        "tags": [["a"], None, {"k": 1}],
    }
    path = tmp_path / "training-sample.jsonl"
    # WHEN all three rows are written
    written = ev.write_sample(train, str(path), rows=10)
    # THEN each line is the record's JSON: true/false, not True/False; NaN/Infinity as null (JSON.stringify's
    # output for them), Decimal as a number, a timestamp as ISO-8601, "" kept apart from null
    text = path.read_text()
    assert "True" not in text and "NaN" not in text and "Infinity" not in text
    assert [json.loads(line) for line in text.splitlines()] == [
        {"card_present": True, "mcc": 5411.0, "txn_count_24h": 3, "amount": 12.5, "currency": "EUR", "fee": 1.5, "occurred_at": "2026-11-01T08:00:00+00:00", "tags": ["a"]},
        {"card_present": False, "mcc": 5812.0, "txn_count_24h": 0, "amount": None, "currency": "", "fee": 0.0, "occurred_at": None, "tags": None},
        {"card_present": None, "mcc": 5411.0, "txn_count_24h": 12, "amount": None, "currency": None, "fee": None, "occurred_at": None, "tags": {"k": 1}},
    ]
    # byte for byte what JSON.stringify writes for these values: 5411, not 5411.0; 0, not 0.0
    assert text.splitlines()[0].startswith('{"card_present":true,"mcc":5411,"txn_count_24h":3,"amount":12.5,"currency":"EUR","fee":1.5,')
    assert '"fee":0,' in text.splitlines()[1]
    assert written == {"records": 3, "columns": list(train), "omittedColumns": {}}


def test_a_column_with_no_json_form_is_left_out_and_named_never_guessed(tmp_path):
    written = ev.write_sample({"amount": [1.0, 2.0], "blob": [b"\x00", b"\x01"]}, str(tmp_path / "s.jsonl"), rows=10)
    assert written["omittedColumns"] == {"blob": "bytes"}
    assert [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()] == [{"amount": 1.0}, {"amount": 2.0}]


def test_a_csv_table_gets_its_numbers_and_booleans_back(tmp_path):
    # GIVEN a CSV training split (every cell a string, as csv.DictReader reads it)
    train = {
        "card_present": ["True", "false", ""],
        "mcc": ["5411.0", "5812", "nan"],
        "account_id": ["00123", "7", "8"],
        "currency": ["EUR", "USD", "GBP"],
        "mixed": ["1", "x", ""],
    }
    path = tmp_path / "s.jsonl"
    ev.write_sample(train, str(path), rows=10, typed=False)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["card_present"] for r in rows] == [True, False, None]
    assert [r["mcc"] for r in rows] == [5411.0, 5812, None]
    # '00123' is no JSON number: an identifier column stays text
    assert [r["account_id"] for r in rows] == ["00123", "7", "8"]
    assert [r["mixed"] for r in rows] == ["1", "x", None]


def test_the_sample_is_a_reproducible_subset_of_the_rows(tmp_path):
    train = {"i": list(range(1000))}
    a = ev.write_sample(train, str(tmp_path / "a.jsonl"), rows=50)
    ev.write_sample(train, str(tmp_path / "b.jsonl"), rows=50)
    got = [json.loads(line)["i"] for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert a["records"] == 50 and len(set(got)) == 50 and got == sorted(got)
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()
