//===- Crc32c.h - CRC-32C (Castagnoli) checksums ----------------*- C++ -*-===//
#ifndef WSE_SUPPORT_CRC32C_H
#define WSE_SUPPORT_CRC32C_H

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wsert {

/// CRC-32C (the Castagnoli polynomial of iSCSI, ext4 and Abseil's
/// absl::ComputeCrc32c, which Debian 12's Abseil does not ship yet) of
/// `bytes`, extending `crc` (0 for a fresh checksum).
uint32_t crc32c(std::string_view bytes, uint32_t crc = 0);

} // namespace wsert

#endif
