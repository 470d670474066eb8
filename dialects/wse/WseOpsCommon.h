//===- WseOpsCommon.h - helpers shared by the op implementation files ----===//
#ifndef WSE_WSEOPSCOMMON_H
#define WSE_WSEOPSCOMMON_H

#include "wse/WseDialect.h"

#include <string>

namespace mlir::wse::opdetail {

/// "[4x8]" for messages.
std::string shapeStr(ArrayRef<int64_t> shape);

/// A boolean attribute seen by type inference. While parsing, inherent
/// attributes are still in the attribute dictionary, not yet in properties.
template <typename AdaptorT>
bool flagOf(AdaptorT &adaptor, BoolAttr fromProps, StringRef name,
            bool dflt = false) {
  if (fromProps)
    return fromProps.getValue();
  if (DictionaryAttr dict = adaptor.getAttributes())
    if (auto a = dict.template getAs<BoolAttr>(name))
      return a.getValue();
  return dflt;
}

/// Same for any attribute kind.
template <typename AttrT, typename AdaptorT>
AttrT attrOf(AdaptorT &adaptor, AttrT fromProps, StringRef name) {
  if (fromProps)
    return fromProps;
  if (DictionaryAttr dict = adaptor.getAttributes())
    return dict.template getAs<AttrT>(name);
  return {};
}

/// Normalizes a possibly negative axis; fails if out of range.
LogicalResult normalizeAxis(std::optional<Location> loc, StringRef op,
                            int64_t &axis, int64_t rank);

} // namespace mlir::wse::opdetail

#endif
