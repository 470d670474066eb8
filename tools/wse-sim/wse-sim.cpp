//===- wse-sim.cpp - run a wafer program or a wse-level module ------------===//
//
//   wse-sim FILE --steps N --input NAME=FILE.npy ... --report report.json
//           --dump-params DIR --dump-outputs DIR
//
// FILE is a .wsebin (mesh engine: the functional simulator of the PE mesh) or
// a wse-level .mlir (reference engine: the interpreter). Both read the same
// inputs and write the same outputs and report.
//
//===----------------------------------------------------------------------===//
#include "WaferProgram.pb.h"
#include "wse/Interpreter/Interpreter.h"
#include "wse/Sim/MeshSimulator.h"
#include "wse/Support/HostTensor.h"
#include "wse/Support/Math.h"
#include "wse/Target/WaferProgram.h"
#include "wse/WseDialect.h"

#include "fabric/FabricDialect.h"
#include "pe/PeDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <map>
#include <thread>
#ifdef __GLIBC__
#include <malloc.h>
#endif

using namespace mlir;
using ::wsert::HostTensor;

namespace cl = llvm::cl;

// Named to sort before LLVM's "Generic Options" in --help.
static cl::OptionCategory simCategory("Command-line options of wse-sim");
static cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                                      cl::desc("<program.wsebin | module.mlir>"),
                                      cl::cat(simCategory));
static cl::opt<int64_t> steps("steps",
                              cl::desc("Training steps to run (default: 1)"),
                              cl::init(1), cl::cat(simCategory));
static cl::list<std::string>
    inputs("input",
           cl::desc("NAME=FILE.npy: an input of the program, or one slice "
                    "per step with an extra leading dimension (repeatable)"),
           cl::cat(simCategory));
static cl::opt<std::string> reportFile("report",
                                       cl::desc("Write a JSON report here"),
                                       cl::cat(simCategory));
static cl::opt<std::string>
    dumpParams("dump-params", cl::desc("Write <param>.npy here after the run"),
               cl::cat(simCategory));
static cl::opt<std::string>
    dumpOutputs("dump-outputs",
                cl::desc("Write output_<i>.npy here after the run"),
                cl::cat(simCategory));
static cl::opt<std::string> dumpMasks(
    "dump-masks",
    cl::desc("Write <param>.npy (bool) for each parameter wse-sparsify "
             "masked"),
    cl::cat(simCategory));
// --threads: libLLVM registers a hidden option of that name for its own
// thread pools, which wse-sim does not use; main() replaces it with this
// one before parsing.
static cl::opt<int> *threads = nullptr;
static cl::opt<bool> quiet("quiet",
                           cl::desc("Do not print the loss per step (stdout) "
                                    "nor the progress line (stderr)"),
                           cl::cat(simCategory));
static cl::opt<bool> timingOnly(
    "timing-only",
    cl::desc("Mesh engine: run the cost model alone, without data (no "
             "inputs, losses or parameters), at the cost of the program's "
             "regions and instructions rather than its PEs"),
    cl::cat(simCategory));
static cl::opt<bool> checkTransferCosts(
    "check-transfer-costs",
    cl::desc("Mesh engine: check that each transfer's cost derived from its "
             "layouts (as --timing-only derives it) equals its plan's; "
             "prints how many it checked"),
    cl::cat(simCategory));
static cl::opt<std::string>
    traceFile("trace", cl::desc("Mesh engine: write a Chrome trace (Perfetto, "
                                "chrome://tracing) of every PE's instructions"),
              cl::cat(simCategory));

namespace {

int fail(const std::string &msg) {
  llvm::errs() << "wse-sim: error: " << msg << "\n";
  return 1;
}

using InputMap = std::map<std::string, HostTensor>;

std::string loadInputs(InputMap &out) {
  for (const std::string &spec : inputs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return "--input expects NAME=FILE.npy, got '" + spec + "'";
    if (out.count(spec.substr(0, eq)))
      return "input '" + spec.substr(0, eq) + "' is given twice";
    ::wsert::NpyArray arr;
    std::string err;
    if (!::wsert::readNpy(spec.substr(eq + 1), arr, err))
      return err;
    out[spec.substr(0, eq)] = ::wsert::tensorFromNpy(arr);
  }
  return "";
}

/// How an integer tensor of `type` is stored in .npy: i1 as bool, i32 as
/// int32, other integers as int64.
::wsert::NpyDType npyIntType(Type type) {
  if (auto t = dyn_cast<ShapedType>(type))
    type = t.getElementType();
  if (type.isInteger(1))
    return ::wsert::NpyDType::Bool;
  if (type.isInteger(32))
    return ::wsert::NpyDType::I32;
  return ::wsert::NpyDType::I64;
}

/// How a mesh output of `bits`-wide integers is stored in .npy.
::wsert::NpyDType npyIntBits(int bits) {
  return bits == 1    ? ::wsert::NpyDType::Bool
         : bits == 32 ? ::wsert::NpyDType::I32
                      : ::wsert::NpyDType::I64;
}

std::string writeTensor(const std::string &dir, const std::string &name,
                        const HostTensor &t,
                        ::wsert::NpyDType intType = ::wsert::NpyDType::I64) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return dir + ": " + ec.message();
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name + ".npy");
  std::string err;
  if (!::wsert::writeNpy(std::string(path), ::wsert::tensorToNpy(t, intType),
                         err))
    return err;
  return "";
}

/// A parameter as --dump-params writes it: a stacked one (wse.param_parts)
/// as its parts, slice i of dim 0 under name i.
std::string writeParam(const std::string &dir, const std::string &name,
                       const std::vector<std::string> &parts,
                       const HostTensor &t,
                       ::wsert::NpyDType intType = ::wsert::NpyDType::I64) {
  if (parts.empty())
    return writeTensor(dir, name, t, intType);
  if (t.shape.empty() || t.shape[0] != int64_t(parts.size()))
    return "parameter '" + name + "' stacks " + std::to_string(parts.size()) +
           " parts but has a dim 0 of " +
           (t.shape.empty() ? std::string("none") : std::to_string(t.shape[0]));
  for (size_t i = 0; i < parts.size(); ++i)
    if (std::string e = writeTensor(dir, parts[i],
                                    ::wsert::sliceLeading(t, int64_t(i)),
                                    intType);
        !e.empty())
      return e;
  return "";
}

/// Names that were given with --input but that the program does not take.
std::string checkUnused(const InputMap &given,
                        const std::vector<std::string> &known) {
  for (const auto &[name, t] : given)
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const std::string &k : known)
        list += (list.empty() ? "" : ", ") + k;
      return "the program has no input '" + name + "' (it takes: " + list +
             ")";
    }
  return "";
}

/// Checks that `dir` exists or can be made and takes new files, before any
/// work whose results would go there.
std::string checkOutputDir(const std::string &option, const std::string &dir) {
  if (dir.empty())
    return "";
  if (llvm::sys::fs::exists(dir) && !llvm::sys::fs::is_directory(dir))
    return "--" + option + " " + dir + ": is a file, not a directory";
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return "--" + option + " " + dir + ": " + ec.message();
  llvm::SmallString<256> probe(dir);
  llvm::sys::path::append(probe, ".wse-sim-write-test");
  std::error_code ec;
  {
    llvm::raw_fd_ostream os(probe, ec);
  }
  if (ec)
    return "--" + option + " " + dir + ": cannot write there (" +
           ec.message() + ")";
  llvm::sys::fs::remove(probe);
  return "";
}

/// Checks that `file` can be written, without creating or truncating it.
std::string checkOutputFile(const std::string &option,
                            const std::string &file) {
  if (file.empty())
    return "";
  namespace fs = llvm::sys::fs;
  if (fs::is_directory(file))
    return "--" + option + " " + file + ": is a directory";
  llvm::StringRef parent = llvm::sys::path::parent_path(file);
  std::string dir = parent.empty() ? "." : parent.str();
  if (!fs::is_directory(dir))
    return "--" + option + " " + file + ": no directory " + dir;
  if (fs::access(dir, fs::AccessMode::Write) ||
      (fs::exists(file) && fs::access(file, fs::AccessMode::Write)))
    return "--" + option + " " + file + ": cannot write there";
  return "";
}

/// Where the outputs of a forward-only run went: shapes and files.
void printOutputs(const std::vector<std::string> &shapes) {
  for (size_t i = 0; i < shapes.size(); ++i) {
    llvm::outs() << "output " << i << ": " << shapes[i];
    if (!dumpOutputs.empty()) {
      llvm::SmallString<256> path(dumpOutputs);
      llvm::sys::path::append(path, "output_" + std::to_string(i) + ".npy");
      llvm::outs() << " -> " << path;
    }
    llvm::outs() << "\n";
  }
  if (dumpOutputs.empty())
    llvm::outs() << "(pass --dump-outputs DIR to write them as .npy)\n";
}

struct Report {
  llvm::json::Array steps;
  llvm::json::Object extra;
  void step(int64_t i, std::optional<float> loss, std::optional<uint64_t> cycles) {
    llvm::json::Object s{{"step", i}};
    if (loss)
      s["loss"] = double(*loss);
    if (cycles)
      s["cycles"] = int64_t(*cycles);
    steps.push_back(std::move(s));
    if (loss && !quiet)
      llvm::outs() << "step " << i << " loss " << llvm::format("%.6f", *loss)
                   << "\n";
  }
  /// A named value of the last step, into its "metrics" (a number, or a
  /// flat list for a tensor).
  void metric(const std::string &name, const HostTensor &t) {
    llvm::json::Object *s = steps.back().getAsObject();
    if (!s->getObject("metrics"))
      (*s)["metrics"] = llvm::json::Object();
    llvm::json::Array values;
    for (size_t i = 0, n = t.isInt ? t.i.size() : t.f.size(); i < n; ++i)
      values.push_back(t.isInt ? llvm::json::Value(t.i[i])
                               : llvm::json::Value(double(t.f[i])));
    (*s->getObject("metrics"))[name] =
        t.shape.empty() ? values[0] : llvm::json::Value(std::move(values));
  }
  /// A progress line on stderr: the step's wall time and the simulated
  /// FLOPs it got through per wall second (the mesh engine's as its PEs
  /// executed them, the reference engine's by the graph's count).
  void progress(int64_t i, int64_t n,
                std::chrono::steady_clock::time_point start,
                std::optional<uint64_t> flops) {
    if (quiet)
      return;
    llvm::outs().flush(); // the loss line first, where both go to a terminal
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    llvm::errs() << "wse-sim: step " << i << "/" << n << ": "
                 << llvm::format("%.2f", seconds * 1e3) << " ms";
    if (flops && seconds > 0)
      llvm::errs() << ", "
                   << llvm::format("%.3g", double(*flops) / seconds / 1e9)
                   << " GFLOP/s simulated";
    llvm::errs() << "\n";
  }
  std::string write() {
    if (reportFile.empty())
      return "";
    llvm::json::Object o = std::move(extra);
    o["steps"] = std::move(steps);
    std::error_code ec;
    llvm::raw_fd_ostream os(reportFile, ec);
    if (ec)
      return reportFile + ": " + ec.message();
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(o))) << "\n";
    return "";
  }
};

int runReference(InputMap &given) {
  if (!traceFile.empty())
    return fail("--trace records the mesh engine; give it a .wsebin");
  for (auto [option, given] :
       {std::pair{"--timing-only", bool(timingOnly)},
        std::pair{"--check-transfer-costs", bool(checkTransferCosts)}})
    if (given)
      return fail(std::string(option) +
                  " times the mesh engine's program; give it a .wsebin");
  if (*threads < 0)
    return fail("--threads " + std::to_string(*threads) +
                " must be 0 (every core) or a positive count");
  // Large matmuls split their rows over the threads; each output is summed
  // as on one thread.
  ::wsert::math::setGemmThreads(
      *threads == 0 ? int(std::max(1u, std::thread::hardware_concurrency()))
                    : int(*threads));
  DialectRegistry registry;
  registry.insert<mlir::wse::WseDialect, func::FuncDialect, fabric::FabricDialect,
                  pe::PeDialect>();
  MLIRContext ctx(registry);
  ctx.printOpOnDiagnostic(false);
  llvm::SourceMgr sm;
  SourceMgrDiagnosticHandler handler(sm, &ctx);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(inputFile, sm, &ctx);
  if (!module)
    return 1;
  func::FuncOp fn = module->lookupSymbol<func::FuncOp>("train_step");
  if (!fn) {
    for (auto f : module->getOps<func::FuncOp>())
      if (f.isPublic()) {
        if (fn)
          return fail("the module has several public functions and no "
                      "@train_step");
        fn = f;
      }
  }
  if (!fn)
    return fail(inputFile + " has no function to run (the reference engine "
                            "runs wse-level modules)");
  if (fn.isExternal())
    return fail("@" + fn.getSymName().str() + " has no body");

  bool train = fn.getNumResults() > 0 && fn.getResultAttr(0, mlir::wse::kLossAttr);
  // Token ids and labels: checked against the ops reading them, as torch
  // does, rather than wrapped as ONNX Gather would.
  mlir::wse::annotateInputRanges(fn);
  // A micro-batched step must say, for every op, when it runs.
  if (mlir::wse::microBatchesOf(fn) > 1 &&
      failed(mlir::wse::microBatchPhases(fn)))
    return 1;
  if (!train && steps.getNumOccurrences() && steps != 1)
    return fail("--steps " + std::to_string(steps) +
                ": the program trains nothing (no loss output), it computes "
                "its outputs once");
  int64_t runs = train ? steps : 1;
  std::vector<HostTensor> args(fn.getNumArguments());
  // Parameters and optimizer state start from {wse.init} and take the
  // step's results of the same name; everything else is an input.
  std::map<std::string, unsigned> paramArg, stateArg;
  std::vector<std::string> inputNames;
  auto carried = [&](unsigned a) {
    return fn.getArgAttr(a, mlir::wse::kParamAttr) ||
           fn.getArgAttr(a, mlir::wse::kStateAttr);
  };
  for (unsigned a = 0; a < fn.getNumArguments(); ++a) {
    auto p = fn.getArgAttrOfType<StringAttr>(a, mlir::wse::kParamAttr);
    auto st = fn.getArgAttrOfType<StringAttr>(a, mlir::wse::kStateAttr);
    if (p || st) {
      (p ? paramArg : stateArg)[(p ? p : st).str()] = a;
      Attribute init = fn.getArgAttr(a, mlir::wse::kInitAttr);
      if (!init)
        return fail(std::string(p ? "parameter '" : "optimizer state '") +
                    (p ? p : st).str() + "' has no {wse.init} value");
      FailureOr<HostTensor> t = mlir::wse::tensorFromAttr(fn.getLoc(), init);
      if (failed(t))
        return 1;
      args[a] = std::move(*t);
    } else if (auto n = fn.getArgAttrOfType<StringAttr>(a, mlir::wse::kInputAttr)) {
      inputNames.push_back(n.str());
    } else {
      inputNames.push_back("arg" + std::to_string(a));
    }
  }
  if (std::string e = checkUnused(given, inputNames); !e.empty())
    return fail(e);

  // Arguments the step's results replace (a training step's parameters and
  // state) and the inputs read afresh each step are moved into the
  // interpreter rather than copied; the rest are copied, as they are still
  // needed after the step.
  std::vector<bool> movedIn(fn.getNumArguments());
  for (unsigned a = 0; a < fn.getNumArguments(); ++a)
    movedIn[a] = !carried(a);
  if (train)
    for (unsigned r = 1; r < fn.getNumResults(); ++r) {
      auto p = fn.getResultAttrOfType<StringAttr>(r, mlir::wse::kParamAttr);
      auto st = fn.getResultAttrOfType<StringAttr>(r, mlir::wse::kStateAttr);
      auto &byName = p ? paramArg : stateArg;
      if (auto it = (p || st) ? byName.find((p ? p : st).str()) : byName.end();
          it != byName.end())
        movedIn[it->second] = true;
    }
  Report report;
  std::vector<HostTensor> results;
  // The step's arithmetic by the graph's count (arithmeticFlops).
  uint64_t flops = mlir::wse::stepFlops(fn);
  for (int64_t step = 0; step < runs; ++step) {
    auto start = std::chrono::steady_clock::now();
    size_t k = 0;
    for (unsigned a = 0; a < fn.getNumArguments(); ++a) {
      if (carried(a))
        continue;
      const std::string &name = inputNames[k++];
      auto it = given.find(name);
      if (it == given.end())
        return fail("input '" + name + "' is not given: pass --input " + name +
                    "=FILE.npy");
      auto type = cast<RankedTensorType>(fn.getArgument(a).getType());
      std::vector<int64_t> shape(type.getShape().begin(),
                                 type.getShape().end());
      // A micro-batched step takes the whole batch and runs it in slices.
      if (fn.getArgAttr(a, mlir::wse::kMicroBatchedAttr))
        shape[0] *= mlir::wse::microBatchesOf(fn);
      bool wantInt = isa<IntegerType>(type.getElementType());
      if (std::string e =
              ::wsert::inputForStep(it->second, name, shape, wantInt, step,
                                    runs, args[a], npyIntType(type));
          !e.empty())
        return fail(e);
      if (auto range = fn.getArgAttrOfType<DenseI64ArrayAttr>(
              a, mlir::wse::kRangeAttr);
          range && args[a].isInt)
        if (std::string e = ::wsert::checkInputRange(
                name, shape, args[a].i,
                std::vector<int64_t>(range.asArrayRef().begin(),
                                     range.asArrayRef().end()));
            !e.empty())
          return fail("step " + std::to_string(step + 1) + ": " + e);
    }
    std::vector<HostTensor> stepArgs(args.size());
    for (unsigned a = 0; a < args.size(); ++a)
      stepArgs[a] = movedIn[a] ? std::move(args[a]) : args[a];
    FailureOr<std::vector<HostTensor>> out =
        mlir::wse::interpret(fn, std::move(stepArgs));
    if (failed(out))
      return 1;
    results = std::move(*out);
    if (!train) {
      report.step(step + 1, std::nullopt, std::nullopt);
      continue;
    }
    if (results[0].isInt || results[0].f.size() != 1)
      return fail("the {wse.loss} result of @" + fn.getSymName().str() +
                  " is not an f32 scalar");
    report.step(step + 1, results[0].f[0], std::nullopt);
    report.progress(step + 1, runs, start, flops);
    for (unsigned r = 1; r < fn.getNumResults(); ++r) {
      if (auto m = fn.getResultAttrOfType<StringAttr>(r, mlir::wse::kMetricAttr)) {
        report.metric(m.str(), results[r]);
        continue;
      }
      auto p = fn.getResultAttrOfType<StringAttr>(r, mlir::wse::kParamAttr);
      auto st = fn.getResultAttrOfType<StringAttr>(r, mlir::wse::kStateAttr);
      auto &byName = p ? paramArg : stateArg;
      auto it = (p || st) ? byName.find((p ? p : st).str()) : byName.end();
      if (it == byName.end())
        return fail("result " + std::to_string(r) + " of @" +
                    fn.getSymName().str() +
                    " names no parameter or state argument");
      // The last step's results are also --dump-outputs'.
      if (dumpOutputs.empty() || step + 1 < runs)
        args[it->second] = std::move(results[r]);
      else
        args[it->second] = results[r];
    }
  }
  report.extra["engine"] = "reference";
  report.extra["flops_per_step"] = int64_t(flops);
  report.extra["micro_batches"] = mlir::wse::microBatchesOf(fn);
  if (!train && !timingOnly) {
    std::vector<std::string> shapes;
    for (const HostTensor &t : results)
      shapes.push_back(t.shapeString());
    printOutputs(shapes);
  }
  auto partsOf = [&](unsigned a) {
    std::vector<std::string> parts;
    if (auto list =
            fn.getArgAttrOfType<ArrayAttr>(a, mlir::wse::kParamPartsAttr))
      for (Attribute p : list)
        parts.push_back(cast<StringAttr>(p).str());
    return parts;
  };
  if (!dumpParams.empty())
    for (auto &[name, a] : paramArg)
      if (std::string e =
              writeParam(dumpParams, name, partsOf(a), args[a],
                         npyIntType(fn.getArgument(a).getType()));
          !e.empty())
        return fail(e);
  if (!dumpMasks.empty())
    for (auto &[name, a] : paramArg)
      if (auto mask = fn.getArgAttrOfType<DenseElementsAttr>(
              a, mlir::wse::kMaskAttr)) {
        FailureOr<HostTensor> t = mlir::wse::tensorFromAttr(fn.getLoc(), mask);
        if (failed(t))
          return 1;
        if (std::string e = writeParam(dumpMasks, name, partsOf(a), *t,
                                       ::wsert::NpyDType::Bool);
            !e.empty())
          return fail(e);
      }
  if (!dumpOutputs.empty())
    for (size_t r = 0; r < results.size(); ++r)
      if (std::string e =
              writeTensor(dumpOutputs, "output_" + std::to_string(r),
                          results[r], npyIntType(fn.getResultTypes()[r]));
          !e.empty())
        return fail(e);
  if (std::string e = report.write(); !e.empty())
    return fail(e);
  return 0;
}

/// Chrome trace events: a process per region, a thread per PE, one slice
/// per instruction that took time, timed in microseconds at the clock.
std::string writeTrace(const ::wsert::sim::MeshSimulator &sim) {
  const auto &prog = sim.program();
  double usPerCycle = 1.0 / double(prog.machine().clock_mhz());
  std::error_code ec;
  llvm::raw_fd_ostream os(traceFile, ec);
  if (ec)
    return traceFile + ": " + ec.message();
  // Streamed, not built as one JSON value: a long run has millions of
  // slices. Keys in sorted order, as a JSON value would print them.
  llvm::json::OStream j(os);
  j.object([&] {
    j.attribute("displayTimeUnit", "ns");
    j.attributeArray("traceEvents", [&] {
      for (int p = 0; p < prog.programs_size(); ++p)
        j.object([&] {
          j.attributeObject("args", [&] {
            j.attribute("name", "@" + prog.programs(p).name());
          });
          j.attribute("name", "process_name");
          j.attribute("ph", "M");
          j.attribute("pid", p);
        });
      // A thread per PE for its core, then one per PE for its out-ramp
      // (sends run beside the core).
      auto tid = [&](const auto &info, bool ramp) {
        const auto &p = prog.programs(info.program);
        return (ramp ? int64_t(p.width()) * p.height() : 0) +
               info.py * p.width() + info.px;
      };
      for (bool ramp : {false, true})
        for (int64_t pe = 0; pe < sim.numPes(); ++pe) {
          auto info = sim.peInfo(pe);
          j.object([&] {
            j.attributeObject("args", [&] {
              bool host = prog.programs(info.program).host();
              j.attribute("name",
                          host ? std::string(ramp ? "host links out" : "host")
                               : "PE (" + std::to_string(info.x) + ", " +
                                     std::to_string(info.y) + ")" +
                                     (ramp ? " out-ramp" : ""));
            });
            j.attribute("name", "thread_name");
            j.attribute("ph", "M");
            j.attribute("pid", info.program);
            j.attribute("tid", tid(info, ramp));
          });
        }
      for (const auto &e : sim.trace()) {
        auto info = sim.peInfo(e.pe);
        const auto &in = prog.programs(info.program).instrs(e.instr);
        j.object([&] {
          j.attributeObject("args", [&] {
            j.attribute("cycles", int64_t(e.end - e.start));
            j.attribute("instruction", e.instr);
            // A send, post or receive names its transfer (as in the IR).
            if (in.op() == "send" || in.op() == "recv" || in.op() == "post")
              if (!in.ints().empty() && in.ints(0) >= 0 &&
                  in.ints(0) < prog.transfers_size())
                j.attribute("transfer", prog.transfers(int(in.ints(0))).name());
          });
          j.attribute("dur", double(e.end - e.start) * usPerCycle);
          j.attribute("name", in.fn().empty() ? in.op() : in.op() + " " + in.fn());
          j.attribute("ph", "X");
          j.attribute("pid", info.program);
          j.attribute("tid", tid(info, e.ramp));
          j.attribute("ts", double(e.start) * usPerCycle);
        });
      }
      // A flow arrow from the send whose data a receive waited for last
      // to that receive: following them back from the PE that finishes
      // last walks the step's critical path.
      int64_t flow = 0;
      for (const auto &e : sim.trace()) {
        if (e.fromPe < 0)
          continue;
        auto to = sim.peInfo(e.pe), from = sim.peInfo(e.fromPe);
        for (bool start : {true, false})
          j.object([&] {
            j.attribute("bp", "e");
            j.attribute("cat", "fabric");
            j.attribute("id", flow);
            j.attribute("name", "wavelets");
            j.attribute("ph", start ? "s" : "f");
            j.attribute("pid", start ? from.program : to.program);
            j.attribute("tid", start ? tid(from, true) : tid(to, false));
            j.attribute("ts", double(start ? e.fromAt : e.start) * usPerCycle);
          });
        ++flow;
      }
    });
  });
  return "";
}

int runMesh(InputMap &given) {
  ::wsebin::WaferProgram program;
  if (std::string e = ::wsert::loadWaferProgram(inputFile, program); !e.empty())
    return fail(e);
  if (timingOnly) {
    // Nothing runs but the cost model: options about data would be ignored.
    for (auto [option, given] :
         {std::pair{"--input", !inputs.empty()},
          std::pair{"--dump-params", !dumpParams.empty()},
          std::pair{"--dump-outputs", !dumpOutputs.empty()},
          std::pair{"--dump-masks", !dumpMasks.empty()},
          std::pair{"--trace", !traceFile.empty()},
          std::pair{"--check-transfer-costs", bool(checkTransferCosts)},
          std::pair{"--threads", threads->getNumOccurrences() > 0}})
      if (given)
        return fail(std::string(option) +
                    " has no effect with --timing-only, which runs no data "
                    "(and one thread)");
  }
  std::unique_ptr<::wsert::sim::MeshSimulator> sim;
  if (std::string e =
          timingOnly
              ? ::wsert::sim::MeshSimulator::createTimingOnly(program, sim)
              : ::wsert::sim::MeshSimulator::create(program, sim);
      !e.empty())
    return fail(inputFile + ": " + e);
  if (checkTransferCosts) {
    int64_t derived = 0;
    if (std::string e = sim->checkTransferCosts(derived); !e.empty())
      return fail(e);
    llvm::errs() << "wse-sim: " << derived << " of "
                 << program.transfers_size()
                 << " transfers costed from their layouts, as planned\n";
  }
  std::vector<std::string> names;
  for (const auto &b : program.inputs())
    names.push_back(b.name());
  if (std::string e = checkUnused(given, names); !e.empty())
    return fail(e);
  bool train = false;
  for (const auto &b : program.outputs())
    train |= b.loss();
  if (!traceFile.empty())
    sim->enableTrace();
  if (*threads < 0)
    return fail("--threads " + std::to_string(*threads) +
                " must be 0 (every core) or a positive count");
  sim->setThreads(*threads == 0
                      ? int(std::max(1u, std::thread::hardware_concurrency()))
                      : int(*threads));
  if (!train && steps.getNumOccurrences() && steps != 1)
    return fail("--steps " + std::to_string(steps) +
                ": the program trains nothing (no loss output), it computes "
                "its outputs once");
  int64_t runs = train ? steps : 1;

  Report report;
  uint64_t flopsPerStep = 0, cyclesLastStep = 0, computeLastStep = 0,
           hostLinkLastStep = 0;
  // Weight streaming: the program has a host (parameters in host memory).
  bool streaming =
      llvm::any_of(program.programs(), [](const auto &p) { return p.host(); });
  for (int64_t step = 0; step < runs; ++step) {
    auto start = std::chrono::steady_clock::now();
    for (const auto &b : program.inputs()) {
      if (timingOnly)
        break;
      auto it = given.find(b.name());
      if (it == given.end())
        return fail("input '" + b.name() + "' is not given: pass --input " +
                    b.name() + "=FILE.npy");
      std::vector<int64_t> shape(b.type().shape().begin(),
                                 b.type().shape().end());
      // A micro-batched step takes the whole batch and runs it in slices.
      if (b.micro_batched())
        shape[0] *= program.micro_batches();
      HostTensor value;
      if (std::string e = ::wsert::inputForStep(it->second, b.name(), shape,
                                              b.type().is_int(), step, runs,
                                              value);
          !e.empty())
        return fail(e);
      if (std::string e = sim->setInput(b.name(), value); !e.empty())
        return fail("step " + std::to_string(step + 1) + ": " + e);
    }
    ::wsert::sim::StepStats stats;
    if (std::string e = sim->runStep(stats); !e.empty())
      return fail("step " + std::to_string(step + 1) + ": " + e);
    std::optional<float> loss;
    for (const auto &b : program.outputs())
      if (b.loss() && !timingOnly)
        loss = sim->read(b).f[0];
    report.step(step + 1, loss, stats.cycles);
    llvm::json::Object &s = *report.steps.back().getAsObject();
    if (!timingOnly)
      s["pe_cycles"] = int64_t(stats.peCycles);
    if (streaming) {
      s["host_bytes_in"] = int64_t(stats.hostBytesIn);
      s["host_bytes_out"] = int64_t(stats.hostBytesOut);
    }
    for (const auto &b : program.outputs())
      if (b.metric() && !timingOnly)
        report.metric(b.name(), sim->read(b));
    if (train)
      report.progress(step + 1, runs, start,
                      timingOnly ? std::nullopt
                                 : std::optional<uint64_t>(stats.flops));
    flopsPerStep = stats.flops;
    cyclesLastStep = stats.cycles;
    computeLastStep = stats.criticalComputeCycles;
    hostLinkLastStep = std::max(stats.hostInCycles, stats.hostOutCycles);
  }

  if (!train) {
    std::vector<std::string> shapes;
    for (const auto &b : program.outputs())
      shapes.push_back(sim->read(b).shapeString());
    printOutputs(shapes);
  }
  const auto &m = program.machine();
  report.extra["engine"] = timingOnly ? "timing-only" : "mesh";
  report.extra["cycles"] = int64_t(sim->totalCycles());
  if (!timingOnly)
    report.extra["pe_cycles"] = int64_t(sim->totalPeCycles());
  report.extra["wavelets"] = int64_t(sim->totalWavelets());
  report.extra["max_pe_sram_bytes"] = sim->maxPeSramBytes();
  report.extra["pes"] = sim->numMeshPes();
  report.extra["flops_per_step"] = int64_t(flopsPerStep);
  // The mesh's peak: an FMAC (2 FLOPs) per fmac lane per PE per cycle.
  double peak = 2.0 * double(m.fmacs_per_cycle()) * double(sim->numMeshPes()) *
                double(cyclesLastStep);
  report.extra["utilization"] = peak > 0 ? double(flopsPerStep) / peak : 0.0;
  report.extra["execution"] = streaming ? "weight-streaming" : "pipelined";
  // Gradient accumulation (wse-micro-batch): a step is this many runs.
  report.extra["micro_batches"] = std::max<int64_t>(1, program.micro_batches());
  report.extra["recompute"] =
      program.recompute().empty() ? "none" : program.recompute();
  // What bounds the step: the host links when they are busy for most of
  // it (weight streaming), else, on the PE that finishes last, the share
  // of the step its core computes; below half, it mostly waits for the
  // fabric.
  double computeShare =
      cyclesLastStep ? double(computeLastStep) / double(cyclesLastStep) : 0.0;
  double hostLinkShare =
      cyclesLastStep ? double(hostLinkLastStep) / double(cyclesLastStep) : 0.0;
  report.extra["compute_share"] = computeShare;
  if (streaming)
    report.extra["host_link_share"] = hostLinkShare;
  report.extra["bottleneck"] =
      hostLinkShare >= 0.5 && hostLinkShare >= computeShare ? "host I/O"
      : computeShare >= 0.5                                 ? "compute"
                                                            : "fabric";
  report.extra["seconds_per_step_estimate"] =
      runs ? double(sim->totalCycles()) / double(runs) /
                 (double(m.clock_mhz()) * 1e6)
           : 0.0;
  report.extra["machine"] = llvm::json::Object{
      {"name", m.name()}, {"width", m.width()}, {"height", m.height()},
      {"clock_mhz", m.clock_mhz()}};
  llvm::json::Array regions;
  // The host (weight streaming) is a 1x1 program off the mesh.
  for (const auto &p : program.programs())
    regions.push_back(llvm::json::Object{{"name", p.name()},
                                         {"x", p.x()},
                                         {"y", p.y()},
                                         {"width", p.width()},
                                         {"height", p.height()},
                                         {"host", p.host()}});
  report.extra["regions"] = std::move(regions);
  auto partsOf = [](const ::wsebin::Binding &b) {
    return std::vector<std::string>(b.parts().begin(), b.parts().end());
  };
  if (!dumpParams.empty())
    for (const auto &b : program.params())
      if (std::string e =
              writeParam(dumpParams, b.name(), partsOf(b), sim->read(b));
          !e.empty())
        return fail(e);
  // A sparse parameter's layout names its mask.
  if (!dumpMasks.empty())
    for (const auto &b : program.params()) {
      if (b.layout().mask() == 0)
        continue;
      const ::wsebin::Mask &m = program.masks(b.layout().mask() - 1);
      std::vector<int64_t> shape(m.shape().begin(), m.shape().end());
      HostTensor t = HostTensor::ints(shape);
      for (size_t i = 0; i < t.i.size(); ++i)
        t.i[i] = m.keep()[i] ? 1 : 0;
      if (std::string e = writeParam(dumpMasks, b.name(), partsOf(b), t,
                                     ::wsert::NpyDType::Bool);
          !e.empty())
        return fail(e);
    }
  // The results of the train step it was compiled from, in its order: the
  // loss, then updated parameters and optimizer state.
  if (!dumpOutputs.empty())
    for (int i = 0; i < program.outputs_size(); ++i)
      if (std::string e = writeTensor(dumpOutputs, "output_" + std::to_string(i),
                                      sim->read(program.outputs(i)),
                                      npyIntBits(program.outputs(i).type().int_bits()));
          !e.empty())
        return fail(e);
  if (!traceFile.empty())
    if (std::string e = writeTrace(*sim); !e.empty())
      return fail(e);
  if (std::string e = report.write(); !e.empty())
    return fail(e);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
#ifdef __GLIBC__
  // Both engines allocate each step's tensors afresh: keep freed memory in
  // the heap for the next step instead of returning it to the kernel (an
  // mmap per large tensor costs a page fault per page, every step).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  if (auto it = cl::getRegisteredOptions().find("threads");
      it != cl::getRegisteredOptions().end())
    it->second->removeArgument();
  static cl::opt<int> threadsOption(
      "threads",
      cl::desc("Threads (default 0: every core): the mesh engine's PEs, the "
               "reference engine's large matmuls; the results are the same "
               "for every count"),
      cl::init(0), cl::cat(simCategory));
  threads = &threadsOption;
  cl::HideUnrelatedOptions(simCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "wse-sim: train on the simulated wafer (.wsebin) or run the reference "
      "interpreter (.mlir)\n");
  if (steps < 1)
    return fail("--steps must be at least 1");
  // Where results go is checked before the run, not after it.
  for (auto [option, dir] : {std::pair{"dump-params", &dumpParams},
                             std::pair{"dump-outputs", &dumpOutputs},
                             std::pair{"dump-masks", &dumpMasks}})
    if (std::string e = checkOutputDir(option, *dir); !e.empty())
      return fail(e);
  for (auto [option, file] : {std::pair{"report", &reportFile},
                              std::pair{"trace", &traceFile}})
    if (std::string e = checkOutputFile(option, *file); !e.empty())
      return fail(e);
  InputMap given;
  if (std::string e = loadInputs(given); !e.empty())
    return fail(e);
  if (llvm::StringRef(inputFile).ends_with(".mlir"))
    return runReference(given);
  return runMesh(given);
}
