//===- ToolOptions.h - command-line setup shared by the tools --*- C++ -*-===//
//
// The tools link the shared LLVM library, which registers hundreds of
// options of its own (targets, Polly, debug counters) before main runs.
// Each tool hides those so its --help shows its own options, and turns off
// MLIR's printing of the failing operation after each diagnostic: for an
// error on a module that prints the whole module, where one located line
// says what is wrong. `--mlir-print-op-on-diagnostic` brings it back.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_TOOLS_TOOLOPTIONS_H
#define WSE_TOOLS_TOOLOPTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <vector>

namespace wsetools {

/// Hides every option registered so far that is not in `keep` (help and
/// version stay). Options a tool's driver registers later stay visible.
inline void hidePreregisteredOptions(
    llvm::ArrayRef<const llvm::cl::OptionCategory *> keep = {}) {
  llvm::cl::HideUnrelatedOptions(keep);
}

/// Moves every visible option registered so far, except those named in
/// `keep` or in `keepCategories`, to --help-hidden: MLIR's drivers register
/// dozens of tuning and debugging flags that would otherwise bury the
/// tool's passes.
inline void moveToHiddenHelp(
    llvm::ArrayRef<llvm::StringRef> keep,
    llvm::ArrayRef<const llvm::cl::OptionCategory *> keepCategories = {}) {
  for (auto &entry : llvm::cl::getRegisteredOptions()) {
    llvm::StringRef name = entry.first;
    if (llvm::any_of(entry.second->Categories,
                     [&](const llvm::cl::OptionCategory *c) {
                       return llvm::is_contained(keepCategories, c);
                     }))
      continue;
    // Options without a name of their own list the tool's actions (passes,
    // translations) under their values' names: those stay.
    if (!entry.second->hasArgStr() ||
        entry.second->getOptionHiddenFlag() != llvm::cl::NotHidden ||
        llvm::is_contained(keep, name) || name == "help" ||
        name == "help-list" || name == "version")
      continue;
    entry.second->setHiddenFlag(llvm::cl::Hidden);
  }
}

/// Moves the option registered under `anyValueName` (the list of a tool's
/// passes or translations, registered under each value's name) into
/// `category`, whose name should sort before "General options": --help
/// prints categories alphabetically, and the tool's own actions go first.
inline bool moveToCategory(llvm::StringRef anyValueName,
                           llvm::cl::OptionCategory &category) {
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find(anyValueName);
  if (it == options.end())
    return false;
  it->second->addCategory(category);
  return true;
}

/// `argv` with `--mlir-print-op-on-diagnostic=false` added unless the user
/// set that option. The strings live as long as the process.
inline std::vector<char *> withQuietDiagnostics(int argc, char **argv) {
  static char quiet[] = "--mlir-print-op-on-diagnostic=false";
  std::vector<char *> args(argv, argv + argc);
  for (int i = 1; i < argc; ++i)
    if (llvm::StringRef(argv[i]).contains("mlir-print-op-on-diagnostic"))
      return args;
  args.insert(args.begin() + 1, quiet);
  return args;
}

} // namespace wsetools

#endif
