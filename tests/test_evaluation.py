import numpy as np
import pytest

from mnistlab.evaluation import cell_mistakes, normalize_rows, score, top_confusion


def test_score_on_known_predictions():
    y = np.array([0, 1, 2, 2, 3])
    probs = np.full((5, 10), 0.01)
    for i, p in enumerate([0, 1, 1, 2, 0]):
        probs[i, p] = 0.91
    probs[4, 0] = 0.6  # a less confident mistake
    m = score(y, probs)
    assert m["accuracy"] == pytest.approx(0.6)
    cm = np.array(m["confusion"])
    assert cm[2, 1] == 1 and cm[3, 0] == 1 and cm.trace() == 3 and cm.sum() == 5
    assert m["mistakes"] == [[2, 2, 1, 0.91], [4, 3, 0, 0.6]]  # most confident first
    assert m["per_class"]["recall"][2] == pytest.approx(0.5)
    assert m["per_class"]["precision"][0] == pytest.approx(0.5)
    assert m["per_class"]["support"][:4] == [1, 1, 2, 1]
    expected_loss = -np.mean(np.log([0.91, 0.91, 0.01, 0.91, 0.01]))
    assert m["loss"] == pytest.approx(expected_loss)


def test_top_confusion_is_the_largest_off_diagonal_cell():
    cm = np.eye(10, dtype=int) * 900
    cm[4, 9], cm[7, 2], cm[9, 4] = 12, 30, 29
    assert top_confusion(cm.tolist()) == (7, 2)


def test_cell_mistakes_and_row_normalisation():
    metrics = {"mistakes": [[5, 4, 9, 0.9], [7, 4, 9, 0.8], [8, 9, 4, 0.7]]}
    assert [m[0] for m in cell_mistakes(metrics, 4, 9)] == [5, 7]
    norm = normalize_rows([[3, 1], [0, 0]])
    assert norm.tolist() == [[0.75, 0.25], [0.0, 0.0]]


def test_evaluate_a_trained_run_matches_its_stored_metrics(trained_store, mnist):
    from mnistlab.data import to_float
    from mnistlab.evaluation import evaluate

    store, ids = trained_store
    model = store.load_model(ids[0])
    metrics = evaluate(model, to_float(mnist.x_test), mnist.y_test)
    assert metrics["accuracy"] == pytest.approx(store.load(ids[0]).test_accuracy)
    assert metrics["accuracy"] > 0.9
    assert len(metrics["mistakes"]) == round((1 - metrics["accuracy"]) * 10000)
