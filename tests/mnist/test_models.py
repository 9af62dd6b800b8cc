import numpy as np
import pytest

from cinepipe.errors import ModelError
from cinepipe.mnist import models, sample


@pytest.fixture(scope="module")
def digits():
    return sample.digits_sample()


def test_quick_cnn_learns_the_sample_and_reloads(tmp_path, digits):
    x, y = digits[("train", "images")], digits[("train", "labels")]
    xt, yt = digits[("test", "images")], digits[("test", "labels")]
    trained = models.train_cnn(x, y, models.CnnConfig.quick())
    assert set(trained.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(trained.history["loss"]) == models.CnnConfig.quick().epochs
    predicted = models.predict_cnn(trained.model, xt)
    assert models.accuracy(predicted, yt) > 0.8
    trained.model.save_weights(tmp_path / "m.weights.h5")
    again = models.load_cnn(trained.model.to_json(), tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(models.predict_cnn(again, xt), predicted)


def test_full_cnn_has_the_lecture_layers():
    net = models.build_cnn(models.CnnConfig())
    kinds = {type(layer).__name__ for layer in net.layers}
    assert {"Conv2D", "MaxPooling2D", "Dropout", "Dense"} <= kinds
    assert net.layers[-1].get_config()["activation"] == "softmax"
    assert net.output_shape == (None, 10)


@pytest.mark.parametrize("name", models.BASELINES)
def test_baselines_fit_the_sample(digits, name):
    fitted, seconds = models.fit_baseline(name, digits[("train", "images")], digits[("train", "labels")])
    assert seconds >= 0
    assert models.accuracy(fitted.predict(digits[("test", "images")]), digits[("test", "labels")]) > 0.9


def test_unknown_baseline_is_a_clear_error():
    with pytest.raises(ModelError, match="unknown baseline"):
        models.make_baseline("knn")


def test_confusion_counts_every_prediction():
    matrix = models.confusion(np.array([0, 1, 1, 9]), np.array([0, 1, 2, 9]))
    assert matrix.sum() == 4 and matrix[2, 1] == 1 and np.trace(matrix) == 3


def test_augmentation_is_seeded_shifts_without_losing_ink_and_mirrors():
    import tensorflow as tf

    images = np.zeros((6, 28, 28), dtype=np.uint8)
    images[:, 10:14, 12:15] = 255  # a blob well inside the frame: a 2-pixel shift keeps all its ink
    x = models._as_inputs(images)
    seed = tf.constant(5, tf.int64)
    shifted = models.augment(tf.constant(x), seed, 2, False).numpy()
    np.testing.assert_array_equal(shifted, models.augment(tf.constant(x), seed, 2, False).numpy())
    assert shifted.shape == x.shape and np.allclose(shifted.sum(axis=(1, 2, 3)), x.sum(axis=(1, 2, 3)))
    corners = {tuple(np.argwhere(s[..., 0] > 0).min(axis=0)) for s in shifted}
    assert all(8 <= r <= 12 and 10 <= c <= 14 for r, c in corners) and len(corners) > 1
    mirrored = models.augment(tf.constant(x), seed, 0, True).numpy()
    for before, after in zip(x, mirrored, strict=True):
        assert np.array_equal(after, before) or np.array_equal(after, before[:, ::-1])


def test_batches_repeat_with_the_seed_and_change_each_epoch():
    x = models._as_inputs(np.random.default_rng(0).integers(0, 256, (8, 28, 28), dtype=np.uint8))
    y = np.arange(8)
    first = models._batches(x, y, 4, shuffle_seed=1, shift_px=2, flip=True)
    again = models._batches(x, y, 4, shuffle_seed=1, shift_px=2, flip=True)
    epoch_1 = [b[0].numpy() for b in first]
    epoch_2 = [b[0].numpy() for b in first]
    assert all(np.array_equal(a, b) for a, b in zip(epoch_1, [b[0].numpy() for b in again], strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(epoch_1, epoch_2, strict=True))


def test_mirror_averaging_cnn_trains_predicts_and_reloads(tmp_path, digits):
    config = models.CnnConfig(filters=(8, 16), dense_units=16, epochs=1, batch_size=64, flip=True,
                              validation_fraction=0.1)
    trained = models.train_cnn(digits[("train", "images")], digits[("train", "labels")], config)
    assert trained.model.name.endswith("mirror_average") and trained.model.output_shape == (None, 10)
    xt = digits[("test", "images")]
    predicted = models.predict_cnn(trained.model, xt)
    assert predicted.shape == (len(xt),) and set(predicted) <= set(range(10))
    trained.model.save_weights(tmp_path / "m.weights.h5")
    again = models.load_cnn(trained.model.to_json(), tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(models.predict_cnn(again, xt), predicted)


def test_only_fashion_mnist_is_mirrored():
    assert models.CnnConfig.for_dataset("fashion-mnist", 7).flip
    assert not models.CnnConfig.for_dataset("mnist", 7).flip
    assert models.CnnConfig.for_dataset("mnist", 7).seed == 7
