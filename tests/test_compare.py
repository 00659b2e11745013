"""python -m common.compare: the table and figure from small fabricated histories, and its messages."""

import csv
import json
import subprocess
import sys

from common import compare
from common.history import History

import numpy as np
import pytest
from conftest import ROOT


def write_run(folder, accuracies, display_step=100, dataset="mnist", status="completed", **settings):
    """A history.json as a script would write it, with the given test accuracy curve."""
    steps = [i * display_step for i in range(len(accuracies))]
    settings = {"steps": steps[-1], "batch_size": 100, "display_step": display_step, "lr": 0.003, "seed": 0} | settings
    history = History(
        {
            "script": "mnist_fabricated",
            "network": "Fabricated",
            "dataset": dataset,
            "settings": settings,
            "status": status,
            "steps_done": steps[-1],
            "wall_time_s": 12.5,
        }
    )
    for step, accuracy in zip(steps, accuracies, strict=True):
        loss = 100 * (1 - accuracy) + 0.5
        history.add(step, train_loss=loss * 1.1, train_accuracy=accuracy, test_loss=loss, test_accuracy=accuracy)
    folder.mkdir(parents=True, exist_ok=True)
    history.save(folder / "history.json")
    return folder


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def two_runs(tmp_path):
    """Runs of different lengths and display steps, on the two datasets."""
    a = write_run(tmp_path / "runs" / "adam", [0.1, 0.95, 0.97, 0.965], display_step=100, lr=0.003)
    b = write_run(
        tmp_path / "runs" / "sgd",
        [0.1, 0.5, 0.8, 0.9, 0.92, 0.93, 0.935, 0.94],
        display_step=50,
        dataset="fashion_mnist",
        status="interrupted",
        lr=0.5,
        seed=7,
        batch_size=50,
    )
    return a, b


def test_table_lists_each_run_with_its_results(two_runs, tmp_path, capsys):
    out = tmp_path / "out"
    compare.main([str(two_runs[0]), str(two_runs[1]), "--out-dir", str(out)])

    rows = read_csv(out / "results.csv")
    assert [row["run"] for row in rows] == ["adam", "sgd"]
    adam, sgd = rows
    assert adam["dataset"] == "mnist" and sgd["dataset"] == "fashion_mnist"
    assert adam["network"] == "Fabricated"
    assert float(adam["final_test_accuracy"]) == pytest.approx(0.965)
    assert float(adam["best_test_accuracy"]) == pytest.approx(0.97)
    assert int(adam["best_at_iteration"]) == 200
    assert float(adam["final_test_loss"]) == pytest.approx(100 * (1 - 0.965) + 0.5)
    assert (adam["steps"], adam["batch_size"], adam["seed"]) == ("300", "100", "0")
    assert float(adam["lr"]) == 0.003 and float(adam["wall_time_s"]) == 12.5
    assert (sgd["steps"], sgd["batch_size"], sgd["seed"], sgd["lr"]) == ("350", "50", "7", "0.5")
    assert int(sgd["best_at_iteration"]) == 350
    assert sgd["status"] == "interrupted"

    markdown = (out / "results.md").read_text().splitlines()
    assert markdown[0].startswith("| run | network | dataset | final test accuracy | best test accuracy |")
    assert set(markdown[1]) <= set("|-:")
    assert len(markdown) == 4
    assert markdown[2].startswith("| adam | Fabricated | mnist | 0.9650 | 0.9700 | 200 |")
    assert markdown[3].startswith("| sgd | Fabricated | fashion_mnist | 0.9400 | 0.9400 | 350 |")
    assert (out / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| adam |" in capsys.readouterr().out


def test_figure_overlays_every_run_and_separates_good_accuracies(two_runs, tmp_path):
    runs = compare.find_runs([str(p) for p in two_runs], tmp_path / "out")
    fig = compare.comparison_figure(runs)
    accuracy_ax, test_loss_ax, train_loss_ax, legend_ax = fig.axes

    for ax in (accuracy_ax, test_loss_ax, train_loss_ax):
        lines = ax.get_lines()
        assert len(lines) == 2
        # Each run keeps its own iterations: different lengths and display steps still overlay.
        assert list(lines[0].get_xdata()) == [0, 100, 200, 300]
        assert list(lines[1].get_xdata()) == list(range(0, 400, 50))
    colours = [line.get_color() for line in accuracy_ax.get_lines()]
    assert colours[0] != colours[1]
    assert [line.get_color() for line in test_loss_ax.get_lines()] == colours
    labels = [text.get_text() for text in legend_ax.get_legend().get_texts()]
    assert "adam (mnist)" in labels[0] and "sgd (fashion_mnist)" in labels[1]
    assert test_loss_ax.get_yscale() == "log" and train_loss_ax.get_yscale() == "log"

    # 0.95 and 0.97 must lie far apart on the page, not in a flat line at the top of a 0-1 axis.
    def height(accuracy):
        display = accuracy_ax.transData.transform((0, accuracy))
        return accuracy_ax.transAxes.inverted().transform(display)[1]

    assert height(0.97) - height(0.95) > 0.08
    assert 0 <= height(0.94) and height(0.97) <= 1


def test_default_compares_every_run_under_runs_but_not_its_own_output(two_runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "compare").mkdir()
    (tmp_path / "runs" / "compare" / "results.csv").write_text("old")
    write_run(tmp_path / "runs" / "nested" / "deeper", [0.2, 0.6])
    compare.main([])
    rows = read_csv(tmp_path / "runs" / "compare" / "results.csv")
    assert [row["run"] for row in rows] == ["adam", "deeper", "sgd"]


def test_a_folder_of_runs_stands_for_the_runs_in_it(two_runs, tmp_path):
    compare.main([str(tmp_path / "runs"), "--out-dir", str(tmp_path / "out")])
    assert len(read_csv(tmp_path / "out" / "results.csv")) == 2


def test_runs_with_the_same_folder_name_get_distinct_labels(tmp_path):
    write_run(tmp_path / "first" / "run", [0.5, 0.9])
    write_run(tmp_path / "second" / "run", [0.5, 0.8])
    compare.main([str(tmp_path / "first" / "run"), str(tmp_path / "second" / "run"), "--out-dir", str(tmp_path / "o")])
    assert [row["run"] for row in read_csv(tmp_path / "o" / "results.csv")] == ["first/run", "second/run"]


def malformed(folder, kind):
    folder.mkdir(parents=True)
    path = folder / "history.json"
    good = {"format": "tf2-mnist-tutorial-history", "version": 1, "records": {}}
    if kind == "not json":
        path.write_text("{'this is': not json")
    elif kind == "foreign json":
        path.write_text(json.dumps({"loss": [1, 2, 3]}))
    elif kind == "uneven curves":
        records = {"step": [0, 100], "train_loss": [1, 2], "train_accuracy": [0.1, 0.2]}
        path.write_text(json.dumps(good | {"records": records | {"test_loss": [1], "test_accuracy": [0.5, 0.6]}}))
    elif kind == "not numbers":
        records = {"step": [0], "train_loss": ["x"], "train_accuracy": [0.1], "test_loss": [1], "test_accuracy": [0]}
        path.write_text(json.dumps(good | {"records": records}))
    elif kind == "no points":
        records = {"step": [], "train_loss": [], "train_accuracy": [], "test_loss": [], "test_accuracy": []}
        path.write_text(json.dumps(good | {"records": records}))
    elif kind == "binary":
        path.write_bytes(b"\xff\xfe\x00garbage")
    return folder


MALFORMED = {
    "not json": "is damaged and cannot be read",
    "foreign json": "is not a history written by these scripts",
    "uneven curves": "is damaged: its curves have different lengths",
    "not numbers": "values that are not numbers",
    "no points": "holds no recorded point",
    "binary": "is damaged and cannot be read",
}


@pytest.mark.parametrize("kind", MALFORMED)
def test_a_malformed_history_is_one_clear_line(tmp_path, capsys, kind):
    bad = malformed(tmp_path / "bad", kind)
    with pytest.raises(SystemExit) as exit_info:
        compare.main([str(bad), "--out-dir", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("compare: error: ") and str(bad / "history.json") in err and MALFORMED[kind] in err
    assert not (tmp_path / "out" / "results.csv").exists()


def test_folders_without_a_run_are_reported(tmp_path, capsys, monkeypatch):
    (tmp_path / "empty").mkdir()
    for args, message in (
        ([str(tmp_path / "empty")], f"{tmp_path / 'empty'} holds no run"),
        ([str(tmp_path / "missing")], f"{tmp_path / 'missing'} does not exist"),
        ([], "there is no runs/ folder here"),
    ):
        monkeypatch.chdir(tmp_path)
        with pytest.raises(SystemExit) as exit_info:
            compare.main(args)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    (tmp_path / "runs").mkdir()
    with pytest.raises(SystemExit):
        compare.main([])
    assert "runs/ holds no run" in capsys.readouterr().err


def test_bad_runs_among_good_ones_are_skipped_with_a_warning(two_runs, tmp_path, capsys):
    bad = malformed(tmp_path / "bad", "foreign json")
    compare.main([str(two_runs[0]), str(bad), str(tmp_path / "empty"), "--out-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert "warning: skipped" in err and "not a history written by these scripts" in err and "does not exist" in err
    assert [row["run"] for row in read_csv(tmp_path / "out" / "results.csv")] == ["adam"]


def test_runs_as_a_module_from_the_command_line(two_runs, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "common.compare", *map(str, two_runs), "--out-dir", str(tmp_path / "cli")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "compared 2 runs" in result.stdout
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == ["compare.png", "results.csv", "results.md"]
    assert not np.isnan(float(read_csv(tmp_path / "cli" / "results.csv")[0]["final_test_accuracy"]))
