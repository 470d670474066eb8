//===- OnnxModelChecks.cpp - preparing a ModelProto for import ------------===//
//
// Everything between the bytes and the walk: parsing (binary or text), the
// --input-shape / --dim options applied to the graph, and checks that keep
// libonnx's own shape inference from crashing. Built with -fexceptions like
// the rest of the importer.
//
//===----------------------------------------------------------------------===//
#include "OnnxImporter.h"

#include "llvm/ADT/StringSet.h"

#include <onnx/defs/parser.h>
#include <onnx/shape_inference/implementation.h>

#include <climits>
#include <exception>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::onnximport;

bool mlir::wse::parseInputShapeOption(StringRef spec,
                                      OnnxImportOptions &options,
                                      std::string &error) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || name.size() == spec.size()) {
    error = "--input-shape '" + spec.str() +
            "' is not NAME=D0xD1x... (e.g. x=2x16x64)";
    return false;
  }
  SmallVector<int64_t> shape;
  if (!dims.empty() && dims != "scalar") {
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef p : parts) {
      int64_t d;
      if (p.trim().getAsInteger(10, d) || d < 0) {
        error = "--input-shape '" + spec.str() + "': '" + p.str() +
                "' is not a dimension size (sizes are integers >= 0 "
                "joined by 'x', e.g. x=2x16x64)";
        return false;
      }
      shape.push_back(d);
    }
  }
  options.inputShapes[name.str()] = shape;
  return true;
}

bool mlir::wse::parseDimOption(StringRef spec, OnnxImportOptions &options,
                               std::string &error) {
  auto [name, value] = spec.rsplit('=');
  int64_t v;
  if (name.empty() || name.size() == spec.size() ||
      value.trim().getAsInteger(10, v) || v < 0) {
    error = "--dim '" + spec.str() +
            "' is not SYMBOL=SIZE (e.g. batch=32, SIZE >= 0)";
    return false;
  }
  options.dims[name.str()] = v;
  return true;
}


/// Substitutes --dim values and --input-shape shapes into the graph before
/// shape inference.
LogicalResult onnximport::applyShapeOptions(onnx::ModelProto &model,
                                const OnnxImportOptions &options,
                                Location loc) {
  onnx::GraphProto *graph = model.mutable_graph();
  llvm::StringSet<> initNames;
  for (const onnx::TensorProto &t : graph->initializer())
    initNames.insert(t.name());

  bool ok = true;
  for (const auto &[name, shape] : options.inputShapes) {
    onnx::ValueInfoProto *info = nullptr;
    for (onnx::ValueInfoProto &in : *graph->mutable_input())
      if (in.name() == name && !initNames.contains(in.name()))
        info = &in;
    if (!info) {
      std::string names;
      for (const onnx::ValueInfoProto &in : graph->input())
        if (!initNames.contains(in.name()))
          names += (names.empty() ? "'" : ", '") + in.name() + "'";
      emitError(loc) << "--input-shape names '" << name
                     << "', which is not a graph input (the inputs are "
                     << (names.empty() ? std::string("none") : names) << ")";
      ok = false;
      continue;
    }
    if (!info->type().has_tensor_type()) {
      emitError(loc) << "--input-shape names '" << name
                     << "', which is not a tensor";
      ok = false;
      continue;
    }
    onnx::TypeProto_Tensor *tensor =
        info->mutable_type()->mutable_tensor_type();
    if (tensor->has_shape()) {
      const onnx::TensorShapeProto &old = tensor->shape();
      if (old.dim_size() != int(shape.size())) {
        emitError(loc) << "--input-shape gives '" << name << "' "
                       << shape.size() << " dimension"
                       << (shape.size() == 1 ? "" : "s")
                       << " but the model declares rank " << old.dim_size();
        ok = false;
        continue;
      }
      bool agree = true;
      for (int d = 0; d < old.dim_size(); ++d)
        if (old.dim(d).has_dim_value() && old.dim(d).dim_value() != shape[d]) {
          emitError(loc) << "--input-shape gives '" << name << "' dimension "
                         << d << " size " << shape[d]
                         << " but the model fixes it to "
                         << old.dim(d).dim_value();
          agree = false;
        }
      if (!agree) {
        ok = false;
        continue;
      }
    }
    onnx::TensorShapeProto *out = tensor->mutable_shape();
    out->clear_dim();
    for (int64_t d : shape)
      out->add_dim()->set_dim_value(d);
  }

  if (!options.dims.empty()) {
    llvm::StringSet<> used;
    auto substitute = [&](onnx::ValueInfoProto &info) {
      if (!info.type().has_tensor_type() ||
          !info.type().tensor_type().has_shape())
        return;
      for (onnx::TensorShapeProto_Dimension &dim : *info.mutable_type()
                                                        ->mutable_tensor_type()
                                                        ->mutable_shape()
                                                        ->mutable_dim()) {
        if (!dim.has_dim_param())
          continue;
        auto it = options.dims.find(dim.dim_param());
        if (it == options.dims.end())
          continue;
        used.insert(dim.dim_param());
        dim.set_dim_value(it->second);
      }
    };
    for (onnx::ValueInfoProto &in : *graph->mutable_input())
      substitute(in);
    llvm::StringSet<> usedByInputs = used;
    for (onnx::ValueInfoProto &out : *graph->mutable_output())
      substitute(out);
    for (onnx::ValueInfoProto &vi : *graph->mutable_value_info())
      substitute(vi);
    for (const auto &[symbol, value] : options.dims) {
      if (usedByInputs.contains(symbol))
        continue;
      std::string symbols;
      llvm::StringSet<> seen;
      for (const onnx::ValueInfoProto &in : graph->input())
        if (in.type().has_tensor_type() && in.type().tensor_type().has_shape())
          for (const auto &dim : in.type().tensor_type().shape().dim())
            if (dim.has_dim_param() && seen.insert(dim.dim_param()).second)
              symbols +=
                  (symbols.empty() ? "'" : ", '") + dim.dim_param() + "'";
      emitError(loc) << "--dim " << symbol << "=" << value
                     << ": no graph input has a dimension named '" << symbol
                     << "' (the symbolic dimensions left are "
                     << (symbols.empty() ? std::string("none") : symbols)
                     << ")";
      ok = false;
    }
  }
  return success(ok);
}

/// libonnx 1.12's LayerNormalization shape inference indexes the Mean and
/// InvStdDev shapes with an unchecked negative axis and crashes when
/// axis < -rank. Learn the input ranks from an inference run on a copy
/// whose LayerNormalization nodes have only their Y output, and reject such
/// axes first.
LogicalResult onnximport::checkLayerNormAxes(const onnx::ModelProto &model,
                                 StringRef fileName, MLIRContext *ctx) {
  auto axisOf = [](const onnx::NodeProto &node) -> int64_t {
    for (const onnx::AttributeProto &a : node.attribute())
      if (a.name() == "axis")
        return a.i();
    return -1;
  };
  auto risky = [&](const onnx::NodeProto &node) {
    return isDefaultDomain(node.domain()) &&
           node.op_type() == "LayerNormalization" && node.output_size() > 1 &&
           (axisOf(node) < -1 || axisOf(node) > INT32_MAX);
  };
  const onnx::GraphProto &graph = model.graph();
  if (llvm::none_of(graph.node(), risky))
    return success();
  // An axis beyond int32 (which libonnx truncates) fits no rank.
  bool ok = true;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    if (!risky(node) ||
        (axisOf(node) >= INT32_MIN && axisOf(node) <= INT32_MAX))
      continue;
    emitError(nodeLoc(ctx, fileName, node, i))
        << "node '" << nodeNameOf(node, i) << "' (LayerNormalization): axis "
        << axisOf(node) << " is out of range";
    ok = false;
  }
  if (!ok)
    return failure();
  // Lenient inference on a copy that declares nothing it could contradict.
  onnx::ModelProto copy = model;
  onnx::GraphProto *g = copy.mutable_graph();
  for (onnx::NodeProto &node : *g->mutable_node())
    if (risky(node))
      node.mutable_output()->DeleteSubrange(1, node.output_size() - 1);
  for (onnx::ValueInfoProto &out : *g->mutable_output())
    out.clear_type();
  g->clear_value_info();
  try {
    onnx::shape_inference::InferShapes(
        copy, onnx::OpSchemaRegistry::Instance(),
        onnx::ShapeInferenceOptions(/*check_type=*/false, /*strict_mode=*/0));
  } catch (const std::exception &) {
    // Ranks stay unknown where inference stopped.
  }
  llvm::StringMap<int64_t> ranks;
  auto note = [&](const onnx::ValueInfoProto &info) {
    if (info.type().has_tensor_type() && info.type().tensor_type().has_shape())
      ranks[info.name()] = info.type().tensor_type().shape().dim_size();
  };
  for (const onnx::ValueInfoProto &info : copy.graph().input())
    note(info);
  for (const onnx::ValueInfoProto &info : copy.graph().value_info())
    note(info);
  for (const onnx::ValueInfoProto &info : copy.graph().output())
    note(info);
  for (const onnx::TensorProto &t : copy.graph().initializer())
    ranks[t.name()] = t.dims_size();
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    if (!risky(node) || node.input_size() == 0)
      continue;
    auto it = ranks.find(node.input(0));
    if (it == ranks.end() || axisOf(node) >= -it->second)
      continue;
    emitError(nodeLoc(ctx, fileName, node, i))
        << "node '" << nodeNameOf(node, i) << "' (LayerNormalization): axis "
        << axisOf(node) << " is out of range for rank " << it->second;
    ok = false;
  }
  return success(ok);
}

StringRef onnximport::trimmedMessage(const char *msg) {
  return StringRef(msg).rtrim();
}

LogicalResult onnximport::parseModel(StringRef bytes, bool isText, Location loc,
                         onnx::ModelProto &model) {
  if (bytes.empty())
    return emitError(loc) << "the input is empty, not an ONNX model";
  if (isText) {
    std::string text = bytes.str(); // the parser wants a NUL-terminated string
    onnx::Status status = onnx::OnnxParser::Parse(model, text.c_str());
    if (!status.IsOK())
      return emitError(loc) << "cannot parse the ONNX text model: "
                            << trimmedMessage(status.ErrorMessage().c_str());
    return success();
  }
  if (bytes.size() > size_t(INT_MAX))
    return emitError(loc) << "the model is " << bytes.size()
                          << " bytes; a binary ONNX model is limited to 2 GiB";
  if (!model.ParseFromArray(bytes.data(), int(bytes.size())))
    return emitError(loc) << "cannot parse the input as a binary ONNX model "
                             "(ModelProto); for ONNX text syntax use "
                             "--import-onnx-text";
  return success();
}
