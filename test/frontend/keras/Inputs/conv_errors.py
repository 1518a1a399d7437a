"""Writes the Keras JSON models of error_convolution.test into DIR."""
import json
import sys


def model(shape, layer):
    return {"class_name": "Sequential", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None] + shape,
                                                "name": "in"}},
        layer]}, "keras_version": "3.5.0", "backend": "tensorflow"}


def conv(**extra):
    config = {"name": "c", "filters": 2, "kernel_size": [3, 3]}
    config.update(extra)
    return {"class_name": "Conv2D", "config": config}


CASES = {
    "groups": model([8, 8, 4], conv(groups=3)),
    "channels_first": model([8, 8, 4], conv(data_format="channels_first")),
    "causal2d": model([8, 8, 4], conv(padding="causal")),
    "kernel_size": model([8, 8, 4], conv(kernel_size=[3, 0])),
    "too_large": model([4, 4, 1], conv(kernel_size=[5, 3])),
    "rank": model([8, 3], {"class_name": "MaxPooling2D",
                           "config": {"name": "p"}}),
    "pool_strides": model([8, 3], {"class_name": "MaxPooling1D",
                                   "config": {"name": "p", "strides": [2, 2]}}),
    "rank3d": model([8, 8, 3], {"class_name": "Conv3D", "config": {
        "name": "c", "filters": 2, "kernel_size": 3}}),
    "causal3d": model([4, 4, 4, 1], {"class_name": "Conv3D", "config": {
        "name": "c", "filters": 2, "kernel_size": 2, "padding": "causal"}}),
    "padding3d": model([4, 4, 4, 1], {"class_name": "ZeroPadding3D", "config": {
        "name": "z", "padding": [1, 2]}}),
    "cropping3d": model([4, 4, 4, 1], {"class_name": "Cropping3D", "config": {
        "name": "z", "cropping": [1, [2, 2], 0]}}),
    "depthwise_groups": model([8, 8, 4], {"class_name": "DepthwiseConv2D",
                                          "config": {"name": "d",
                                                     "kernel_size": 3,
                                                     "groups": 2}}),
    "bicubic": model([4, 4, 1], {"class_name": "UpSampling2D", "config": {
        "name": "u", "interpolation": "bicubic"}}),
    "bilinear3d": model([4, 4, 4, 1], {"class_name": "UpSampling3D", "config": {
        "name": "u", "interpolation": "bilinear"}}),
    "convlstm_rank": model([8, 8, 3], {"class_name": "ConvLSTM2D", "config": {
        "name": "l", "filters": 2, "kernel_size": 3}}),
    "convlstm_dropout": model([3, 8, 8, 1], {
        "class_name": "ConvLSTM2D", "config": {
            "name": "l", "filters": 2, "kernel_size": 3, "dropout": 0.2}}),
    "convlstm_stateful": model([3, 8, 1], {
        "class_name": "ConvLSTM1D", "config": {
            "name": "l", "filters": 2, "kernel_size": 3, "stateful": True}}),
    "convlstm_mask": {"class_name": "Sequential", "config": {
        "name": "m", "layers": [
            {"class_name": "InputLayer",
             "config": {"batch_shape": [None, 3, 8, 1], "name": "in"}},
            {"class_name": "Masking", "config": {"name": "mask"}},
            {"class_name": "ConvLSTM1D", "config": {
                "name": "l", "filters": 2, "kernel_size": 3}}]},
        "keras_version": "3.5.0", "backend": "tensorflow"},
}

for name, m in CASES.items():
    with open(f"{sys.argv[1]}/{name}.json", "w") as f:
        json.dump(m, f)
