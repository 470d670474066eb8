//===- wse-translate.cpp - ONNX import and wafer-program export -----------===//
//
//   wse-translate --import-onnx model.onnx -o model.mlir
//   wse-translate --import-onnx-text model.onnxtext
//   wse-translate --import-onnx model.onnx --dim batch=32 \
//       --input-shape input_ids=32x128
//   wse-translate --export-wafer-program lowered.mlir -o model.wsebin
//
//===----------------------------------------------------------------------===//
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/Timing.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include "wse/Frontend/ImportOnnx.h"
#include "wse/Target/WaferProgram.h"
#include "wse/Tools/ToolOptions.h"

using namespace mlir;
namespace cl = llvm::cl;

// Options of the ONNX import translations.
// Named to sort before MLIR's "General options" in --help.
static cl::OptionCategory onnxCategory("Conversions: ONNX import options");
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("NAME=D0xD1x...: the static shape of ONNX graph input NAME "
             "(repeatable)"),
    cl::value_desc("name=shape"), cl::cat(onnxCategory));
static cl::list<std::string>
    dimValues("dim",
              cl::desc("SYMBOL=SIZE: the size of symbolic dimension SYMBOL "
                       "of the ONNX graph inputs (repeatable)"),
              cl::value_desc("symbol=size"), cl::cat(onnxCategory));
static cl::opt<bool>
    f64AsF32("f64-as-f32",
             cl::desc("Import ONNX float64 tensors as float32 (otherwise "
                      "float64 is an error)"),
             cl::init(false), cl::cat(onnxCategory));

static cl::opt<bool> keepTiedParams(
    "keep-tied-params",
    cl::desc("Keep parameters that torch.onnx.export folded into one "
             "initializer (Identity outputs) as one tied parameter"),
    cl::init(false), cl::cat(onnxCategory));

/// Imports the main buffer of `sourceMgr` as it is: raw bytes for a binary
/// model, text for ONNX's textual syntax.
static OwningOpRef<Operation *> importOnnx(llvm::SourceMgr &sourceMgr,
                                           MLIRContext *ctx, bool isText) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  Location loc = FileLineColLoc::get(ctx, buffer->getBufferIdentifier(), 0, 0);
  wse::OnnxImportOptions options;
  options.f64AsF32 = f64AsF32;
  options.keepTiedParams = keepTiedParams;
  std::string error;
  for (const std::string &spec : inputShapes)
    if (!wse::parseInputShapeOption(spec, options, error)) {
      emitError(loc) << error;
      return {};
    }
  for (const std::string &spec : dimValues)
    if (!wse::parseDimOption(spec, options, error)) {
      emitError(loc) << error;
      return {};
    }
  return wse::importOnnxModel(
      buffer->getBuffer(), buffer->getBufferIdentifier(), ctx, isText, options);
}

static void registerOnnxImport() {
  static TranslateToMLIRRegistration importBinary(
      "import-onnx", "import a binary ONNX model (.onnx) into the wse dialect",
      TranslateRawSourceMgrToMLIRFunction(
          [](llvm::SourceMgr &sourceMgr, MLIRContext *ctx) {
            return importOnnx(sourceMgr, ctx, /*isText=*/false);
          }),
      wse::registerOnnxImportDialects);
  static TranslateToMLIRRegistration importText(
      "import-onnx-text",
      "import an ONNX model in ONNX's textual syntax into the wse dialect",
      TranslateRawSourceMgrToMLIRFunction(
          [](llvm::SourceMgr &sourceMgr, MLIRContext *ctx) {
            return importOnnx(sourceMgr, ctx, /*isText=*/true);
          }),
      wse::registerOnnxImportDialects);
}

/// True when argv names a registered translation or asks for help or the
/// version. Without one, LLVM's check of the translation option repeats
/// its complaint once per translation name.
static bool namesATranslation(int argc, char **argv) {
  TranslationParser translations(f64AsF32); // lists the registry only
  for (int i = 1; i < argc; ++i) {
    if (!llvm::StringRef(argv[i]).starts_with("-"))
      continue; // a file name, even one called "import-onnx"
    llvm::StringRef arg = llvm::StringRef(argv[i]).ltrim('-');
    arg = arg.take_until([](char c) { return c == '='; });
    if (arg.starts_with("help") || arg == "version")
      return true;
    for (unsigned t = 0; t < translations.getNumOptions(); ++t)
      if (arg == translations.getOption(t))
        return true;
  }
  std::vector<std::string> sorted;
  for (unsigned t = 0; t < translations.getNumOptions(); ++t)
    sorted.push_back(translations.getOption(t).str());
  llvm::sort(sorted);
  std::string names;
  for (const std::string &t : sorted)
    names += (names.empty() ? "--" : ", --") + t;
  llvm::errs() << "wse-translate: error: say which translation to run: "
               << names << " (see --help)\n";
  return false;
}

int main(int argc, char **argv) {
  wsetools::hidePreregisteredOptions({&onnxCategory});
  registerOnnxImport();
  wse::registerWaferProgramExport();
  if (!namesATranslation(argc, argv))
    return 1;
  // MLIR's driver options, registered now so that all but the everyday
  // ones can move to --help-hidden; mlirTranslateMain registers each once.
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerTranslationCLOptions();
  registerDefaultTimingManagerCLOptions();
  wsetools::moveToHiddenHelp({"split-input-file", "verify-diagnostics",
                              "mlir-print-op-on-diagnostic",
                              "mlir-print-debuginfo",
                              "mlir-elide-elementsattrs-if-larger"},
                             {&onnxCategory});
  std::vector<char *> args = wsetools::withQuietDiagnostics(argc, argv);
  return failed(mlirTranslateMain(int(args.size()), args.data(),
                                  "wse translation driver\n"));
}
