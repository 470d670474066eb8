#!/usr/bin/env python3
"""Writes a binary ONNX model with float16, bfloat16 and float64 data.

ONNX's text parser (1.12) cannot spell float16 literals, so the half-
initializers test builds its model here: y = x + h16 + hraw + b16, plus
Cast(d64) where d64 is a float64 Constant (torch writes clamp bounds that
way) and an optional float64 initializer (--with-f64-initializer).
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--with-f64-initializer", action="store_true")
args = p.parse_args()

# float16 through int32_data (the typed field: make_tensor stores the bits
# there) and through raw_data; bfloat16 through int32_data.
h16 = helper.make_tensor("h16", TensorProto.FLOAT16, [3], [0.5, 1.5, -2.0])
hraw = numpy_helper.from_array(np.array([1.0, 2.0, 3.0], np.float16), "hraw")
b16 = helper.make_tensor("b16", TensorProto.BFLOAT16, [3], [1.0, 2.0, 0.5])
d64 = helper.make_tensor("d64", TensorProto.DOUBLE, [], [0.25])
inits = [h16, hraw, b16]
nodes = [
    helper.make_node("Cast", ["h16"], ["h32"], to=TensorProto.FLOAT),
    helper.make_node("Cast", ["hraw"], ["hraw32"], to=TensorProto.FLOAT),
    helper.make_node("Cast", ["b16"], ["b32"], to=TensorProto.FLOAT),
    helper.make_node("Add", ["x", "h32"], ["a"]),
    helper.make_node("Add", ["a", "hraw32"], ["b"]),
    helper.make_node("Add", ["b", "b32"], ["c"]),
    helper.make_node("Constant", [], ["k64"], value=d64),
    helper.make_node("Cast", ["k64"], ["k32"], to=TensorProto.FLOAT),
    helper.make_node("Mul", ["c", "k32"], ["y"]),
]
outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])]
if args.with_f64_initializer:
    inits.append(numpy_helper.from_array(np.array([4.0, 5.0, 6.0]), "w64"))
    nodes.append(helper.make_node("Cast", ["w64"], ["w32"], to=TensorProto.FLOAT))
    nodes.append(helper.make_node("Add", ["y", "w32"], ["z"]))
    outputs.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 3]))
graph = helper.make_graph(
    nodes, "half", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
    outputs, inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, args.out)
