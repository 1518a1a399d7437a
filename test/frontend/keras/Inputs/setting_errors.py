"""Writes the Keras JSON models of error_settings.test into DIR: settings
kiln once accepted and ignored."""
import json
import sys


def sequential(shape, *layers, compile_config=None):
    m = {"class_name": "Sequential", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None] + shape,
                                                "name": "in"}},
        *layers]}, "keras_version": "3.5.0", "backend": "tensorflow"}
    if compile_config:
        m["compile_config"] = compile_config
    return m


def dense(units, **extra):
    config = {"name": "d", "units": units}
    config.update(extra)
    return {"class_name": "Dense", "config": config}


def metric(cls, **config):
    return {"module": "keras.metrics", "class_name": cls,
            "config": {"name": config.pop("name"), "dtype": "float32",
                       **config}, "registered_name": None}


def training(*metrics):
    return {"optimizer": "sgd", "loss": "binary_crossentropy",
            "metrics": list(metrics)}


CASES = {
    # The augmentation layers' settings: an unknown fill mode, a factor that
    # is not a number or pair, a pair outside Keras's bounds, a value range
    # of one number; RMSNormalization over a leading axis (its scale would
    # broadcast against another); a negative activity penalty.
    "rotation_fill": sequential([4, 4, 1], {"class_name": "RandomRotation",
                                            "config": {"name": "r",
                                                       "factor": 0.1,
                                                       "fill_mode":
                                                           "mirror"}}),
    "zoom_factor": sequential([4, 4, 1], {"class_name": "RandomZoom",
                                          "config": {"name": "z",
                                                     "height_factor": "big"}}),
    "translation_range": sequential([4, 4, 1], {
        "class_name": "RandomTranslation",
        "config": {"name": "t", "height_factor": [0.1, 1.5],
                   "width_factor": 0.1}}),
    "contrast_range": sequential([4, 4, 3], {"class_name": "RandomContrast",
                                             "config": {"name": "c",
                                                        "factor": 0.2,
                                                        "value_range": [0]}}),
    "rms_axis": sequential([3, 4], {"class_name": "RMSNormalization",
                                    "config": {"name": "n", "axis": 1}}),
    "activity_negative": sequential([4], {
        "class_name": "ActivityRegularization",
        "config": {"name": "a", "l1": -1.0}}),
    # AlphaDropout sharing draws (noise_shape), GaussianNoise without a
    # deviation, RandomFlip in an unknown mode.
    "alpha_noise_shape": sequential([4], {"class_name": "AlphaDropout",
                                          "config": {"name": "a", "rate": 0.1,
                                                     "noise_shape": [1, 4]}}),
    "noise_stddev": sequential([4], {"class_name": "GaussianNoise",
                                     "config": {"name": "g"}}),
    "flip_mode": sequential([4, 4, 1], {"class_name": "RandomFlip",
                                        "config": {"name": "f",
                                                   "mode": "diagonal"}}),
    # Resizing by bicubic interpolation; CenterCrop of a smaller image.
    "resize_bicubic": sequential([4, 4, 1], {"class_name": "Resizing",
                                             "config": {"name": "r",
                                                        "height": 2,
                                                        "width": 2,
                                                        "interpolation":
                                                            "bicubic"}}),
    "crop_larger": sequential([4, 4, 1], {"class_name": "CenterCrop",
                                          "config": {"name": "c",
                                                     "height": 5,
                                                     "width": 2}}),
    # GroupNormalization's groups must divide the channels.
    "group_divisor": sequential([5, 8], {"class_name": "GroupNormalization",
                                         "config": {"name": "gn",
                                                    "groups": 3}}),
    # A softmax over two axes at once.
    "softmax_axes": sequential([3, 4], {"class_name": "Softmax", "config": {
        "name": "s", "axis": [1, 2]}}),
    # Keras 2's call arguments beside an inbound tensor: training=True runs
    # BatchNormalization on the batch's statistics in predict.
    "keras2_training": {"class_name": "Functional", "config": {
        "name": "f", "layers": [
            {"class_name": "InputLayer", "name": "x",
             "config": {"batch_input_shape": [None, 4], "name": "x"},
             "inbound_nodes": []},
            {"class_name": "BatchNormalization", "name": "bn",
             "config": {"name": "bn"},
             "inbound_nodes": [[["x", 0, 0, {"training": True}]]]}],
        "input_layers": [["x", 0, 0]], "output_layers": [["bn", 0, 0]]},
        "keras_version": "2.15.0", "backend": "tensorflow"},
    # Metric settings the steps compute (a threshold, from_logits) and
    # values Keras itself refuses or kiln cannot compute: each of those is
    # left out (a warning), not reported with another setting.
    "metrics": sequential([4], dense(1, activation="sigmoid"),
                          compile_config=training(
                              metric("BinaryAccuracy", name="acc7",
                                     threshold=0.7),
                              metric("BinaryCrossentropy",
                                     name="bce_logits",
                                     from_logits=True, label_smoothing=0.0),
                              metric("BinaryAccuracy", name="binary_accuracy",
                                     threshold=0.5),
                              metric("Precision", name="p15",
                                     thresholds=1.5),
                              metric("BinaryCrossentropy", name="bce2",
                                     label_smoothing=2),
                              metric("BinaryAccuracy", name="acc_high",
                                     threshold="high"),
                              # Keras 3 names a wrapper's function in an
                              # object.
                              metric("MeanMetricWrapper", name="acc2",
                                     fn={"module": "builtins",
                                         "class_name": "function",
                                         "config": "binary_accuracy",
                                         "registered_name": "function"},
                                     threshold=0.2),
                              metric("MeanMetricWrapper", name="mae_t",
                                     fn="mean_absolute_error", threshold=0.3),
                              metric("CategoricalCrossentropy", name="cce1",
                                     axis=1))),
    # Precision and recall at threshold 0.5 over every element only.
    "ratio_metrics": sequential([4], dense(2, activation="sigmoid"),
                                compile_config=training(
                                    metric("Precision", name="p2",
                                           thresholds=[0.3, 0.7]),
                                    metric("Recall", name="r1", top_k=1),
                                    metric("Recall", name="c0", class_id=0),
                                    metric("Precision", name="p",
                                           thresholds=0.5, top_k=None,
                                           class_id=None),
                                    metric("Recall", name="r3",
                                           thresholds=[0.3]),
                                    "recall",
                                    metric("AUC", name="pr", curve="PR"),
                                    metric("AUC", name="auc100",
                                           num_thresholds=100),
                                    metric("AUC", name="auc", curve="ROC",
                                           num_thresholds=200,
                                           summation_method="interpolation",
                                           multi_label=False,
                                           from_logits=False))),
    # Top-k accuracy for a whole k of 1 or more.
    "topk_metrics": sequential([4], dense(6, activation="softmax"),
                               compile_config={
                                   "optimizer": "sgd",
                                   "loss": "categorical_crossentropy",
                                   "metrics": [
                                       metric("TopKCategoricalAccuracy",
                                              name="top3", k=3),
                                       metric("TopKCategoricalAccuracy",
                                              name="top5", k=5),
                                       metric("TopKCategoricalAccuracy",
                                              name="top0", k=0),
                                       metric("TopKCategoricalAccuracy",
                                              name="top2.5", k=2.5)]}),
}

for name, m in CASES.items():
    with open(f"{sys.argv[1]}/{name}.json", "w") as f:
        json.dump(m, f)

# TensorFlow.js's precision and recall average each batch's: left out.
with open(f"{sys.argv[1]}/tfjs_precision.json", "w") as f:
    json.dump({
        "format": "layers-model",
        "modelTopology": {
            "class_name": "Sequential",
            "config": {"name": "t", "layers": [
                {"class_name": "Dense",
                 "config": {"name": "d", "units": 1, "activation": "sigmoid",
                            "use_bias": False, "batch_input_shape": [None, 2]}}]},
            "keras_version": "tfjs-layers 4.22.0", "backend": "tensor_flow.js"},
        "trainingConfig": {"loss": "binaryCrossentropy",
                           "metrics": ["precision", "accuracy"],
                           "optimizer_config": {
                               "class_name": "SGD",
                               "config": {"learningRate": 0.1}}},
        "weightsManifest": [{"paths": ["tfjs_precision.bin"], "weights": [
            {"name": "d/kernel", "shape": [2, 1], "dtype": "float32"}]}]}, f)
with open(f"{sys.argv[1]}/tfjs_precision.bin", "wb") as f:
    f.write(b"\0" * 8)
