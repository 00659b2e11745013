"""The speed benchmark runs end to end and its table adds up (on a small synthetic dataset)."""

import json

import pytest
from conftest import run_script

THROUGHPUT = "benchmarks/throughput.py"


def test_throughput_measures_both_loops_in_rounds_and_writes_its_table(tiny_mnist, tmp_path):
    table = tmp_path / "throughput.json"
    result = run_script(
        THROUGHPUT,
        *("--steps", 100, "--rounds", 2, "--networks", "1.0", "--passes", 2),
        *("--data-dir", tiny_mnist, "--json", table),
    )
    assert result.returncode == 0, result.stderr
    assert "2 rounds of 100 steps per loop" in result.stdout
    written = json.loads(table.read_text())
    (row,) = written["rows"]
    assert row["network"] == "1.0" and len(row["default_runs_s"]) == 2
    assert written["default_pass_totals_s"] == row["default_runs_s"]  # one script: each pass is its one run
    assert min(row["default_runs_s"]) <= row["default_run_s"] <= max(row["default_runs_s"])
    ours = sum(r["ours_s"] for r in row["rounds"])
    keras = sum(r["keras_fit_s"] for r in row["rounds"])
    assert len(row["rounds"]) == 2 and ours > 0 and keras > 0
    assert row["ours_steps_per_s"] == pytest.approx(200 / ours)
    assert row["keras_fit_steps_per_s"] == pytest.approx(200 / keras)
    assert row["ratio"] == pytest.approx(keras / ours)
    assert row["ratio_min"] <= row["ratio"] <= row["ratio_max"]
    assert f"{row['ratio']:.2f}" in result.stdout


@pytest.mark.parametrize(
    ("flag", "value"), [("--steps", "150"), ("--steps", "0"), ("--rounds", "0"), ("--passes", "0")]
)
def test_throughput_refuses_a_bad_count_in_one_line(flag, value, tmp_path):
    result = run_script(THROUGHPUT, flag, value, "--json", tmp_path / "t.json")
    assert result.returncode == 2
    assert f"throughput.py: error: {flag} must be" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "t.json").exists()


def test_throughput_names_a_missing_data_folder_in_one_line(tmp_path):
    result = run_script(THROUGHPUT, "--data-dir", tmp_path / "nowhere", "--json", tmp_path / "t.json")
    assert result.returncode == 2
    assert "throughput.py: error: data folder" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "t.json").exists()
