//===- CheckedOptions.h - pass options checked where they are parsed -*- C++ -*-===//
#ifndef WSE_TRANSFORMS_CHECKEDOPTIONS_H
#define WSE_TRANSFORMS_CHECKEDOPTIONS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"

#include <string>

namespace mlir::wse {

/// The body of a pass's initializeOptions override: `parse` runs the
/// generated Pass::initializeOptions, then `check` looks at the parsed
/// values (an error message, empty if they are fine), reported as
/// "<pass>: <message>". A parse failure with an empty message is not
/// reported again: llvm::cl has already printed why the value does not
/// parse.
inline LogicalResult initializeCheckedOptions(
    StringRef pass,
    function_ref<LogicalResult(function_ref<LogicalResult(const Twine &)>)>
        parse,
    function_ref<std::string()> check,
    function_ref<LogicalResult(const Twine &)> errorHandler) {
  auto nonEmpty = [&](const Twine &msg) {
    return msg.str().empty() ? failure() : errorHandler(msg);
  };
  if (failed(parse(nonEmpty)))
    return failure();
  if (std::string e = check(); !e.empty())
    return errorHandler(pass + ": " + e);
  return success();
}

} // namespace mlir::wse

#endif
