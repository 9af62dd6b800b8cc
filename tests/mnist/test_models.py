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
    epochs_done: list[int] = []
    trained = models.train_cnn(x, y, models.CnnConfig.quick(), on_epoch=epochs_done.append)
    assert epochs_done == list(range(1, models.CnnConfig.quick().epochs + 1))  # what drives the bar
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


def test_mirror_averaging_is_the_mean_over_each_image_and_its_mirror_and_reloads(tmp_path, digits):
    import dataclasses

    x, y = digits[("train", "images")][:300], digits[("train", "labels")][:300]
    config = dataclasses.replace(models.CnnConfig.quick(), epochs=1, mirror=True, weight_decay=1e-4,
                                 label_smoothing=0.1, warmup_epochs=0.5)
    trained = models.train_cnn(x, y, config)
    net = trained.model.get_layer("mnist_cnn")  # the trained CNN inside the averaging model
    images = digits[("test", "images")][:50]
    inputs = images.astype(np.float32)[..., None] / 255.0
    expected = (net.predict(inputs, verbose=0) + net.predict(inputs[:, :, ::-1], verbose=0)) / 2
    averaged = trained.model.predict(inputs, verbose=0)
    np.testing.assert_allclose(averaged, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(net.predict(inputs, verbose=0), expected, atol=1e-4)  # the mirror counts
    trained.model.save_weights(tmp_path / "m.weights.h5")
    again = models.load_cnn(trained.model.to_json(), tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(models.predict_cnn(again, images), models.predict_cnn(trained.model, images))


def test_profiles_per_dataset():
    assert not models.cnn_config("mnist", quick=False).mirror  # a mirrored 2 is no digit
    assert models.cnn_config("mnist", quick=False, seed=3) == models.CnnConfig(seed=3)
    assert models.cnn_config("fashion-mnist", quick=False).label_smoothing > 0
    assert models.cnn_config("fashion-mnist", quick=True, seed=7) == models.CnnConfig.quick(7)
