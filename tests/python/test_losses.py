"""The contrastive losses on NumPy batches: values against NumPy formulas, gradients against
central finite differences (float64)."""
import numpy as np
import pytest

from embedkit import losses


def finite_difference_check(loss_of, inputs, grads, eps=1e-6, tol=1e-6):
    """Compares each analytic gradient with central differences of loss_of(*inputs)."""
    for which, (x, g) in enumerate(zip(inputs, grads)):
        assert g.shape == x.shape
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            saved = x[idx]
            x[idx] = saved + eps
            up = loss_of(*inputs)
            x[idx] = saved - eps
            down = loss_of(*inputs)
            x[idx] = saved
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g, numeric, atol=tol, rtol=1e-4, err_msg="gradient of input %d" % which)


rng = np.random.default_rng(3)
B, K, D = 4, 3, 5


def batch(rows):
    return rng.standard_normal((rows, D))


def log_softmax_row(logits, i):
    return logits[i] - np.log(np.sum(np.exp(logits)))


def test_infonce_in_batch():
    a, p = batch(B), batch(B)
    loss, ga, gp = losses.infonce(a, p, temperature=0.2)
    na, np_ = a / np.linalg.norm(a, axis=1, keepdims=True), p / np.linalg.norm(p, axis=1, keepdims=True)
    logits = na @ np_.T / 0.2
    expected = -np.mean([log_softmax_row(logits[i], i) for i in range(B)])
    assert loss == pytest.approx(expected, rel=1e-9)
    finite_difference_check(lambda x, y: losses.infonce(x, y, temperature=0.2)[0], [a, p], [ga, gp])


def test_infonce_with_negatives_and_dot_similarity():
    a, p, n = batch(B), batch(B), batch(B * K)
    loss, ga, gp, gn = losses.infonce(a, p, n, temperature=0.5, similarity="dot")
    finite_difference_check(lambda x, y, z: losses.infonce(x, y, z, temperature=0.5, similarity="dot")[0],
                            [a, p, n], [ga, gp, gn])


def test_nt_xent():
    a, b = batch(B), batch(B)
    loss, ga, gb = losses.nt_xent(a, b)
    assert loss > 0
    finite_difference_check(lambda x, y: losses.nt_xent(x, y)[0], [a, b], [ga, gb])


def test_mnrl_with_and_without_hard_negatives():
    a, p, n = batch(B), batch(B), batch(2)
    loss, ga, gp = losses.mnrl(a, p, scale=5.0)
    finite_difference_check(lambda x, y: losses.mnrl(x, y, scale=5.0)[0], [a, p], [ga, gp])
    loss, ga, gp, gn = losses.mnrl(a, p, n, scale=5.0)
    finite_difference_check(lambda x, y, z: losses.mnrl(x, y, z, scale=5.0)[0], [a, p, n], [ga, gp, gn])


@pytest.mark.parametrize("distance", ["cosine", "l2", "squared-l2"])
def test_triplet(distance):
    a, p, n = batch(B), batch(B), batch(B * K)
    loss, ga, gp, gn = losses.triplet(a, p, n, margin=1.0, distance=distance)
    assert loss > 0
    finite_difference_check(lambda x, y, z: losses.triplet(x, y, z, margin=1.0, distance=distance)[0],
                            [a, p, n], [ga, gp, gn], tol=1e-5)


def test_logistic_matches_the_word2vec_objective():
    a, p, n = batch(B), batch(B), batch(B * K)
    loss, ga, gp, gn = losses.logistic(a, p, n)
    softplus = lambda x: np.log1p(np.exp(x))  # noqa: E731
    expected = np.mean([softplus(-a[i] @ p[i]) + sum(softplus(a[i] @ n[i * K + k]) for k in range(K))
                        for i in range(B)])
    assert loss == pytest.approx(expected, rel=1e-9)
    finite_difference_check(lambda x, y, z: losses.logistic(x, y, z)[0], [a, p, n], [ga, gp, gn])


def test_float32_and_lists_are_accepted_and_bad_shapes_raise():
    a = rng.standard_normal((B, D)).astype(np.float32)
    assert losses.infonce(a, a.tolist())[0] > 0
    with pytest.raises(ValueError):
        losses.infonce(batch(B), batch(B + 1))
    with pytest.raises(ValueError, match="2-D"):
        losses.infonce(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="temperature"):
        losses.infonce(batch(B), batch(B), temperature=0)
    with pytest.raises(ValueError, match="similarity"):
        losses.infonce(batch(B), batch(B), similarity="l1")
