//===- Npy.cpp - NumPy .npy file reading and writing ----------------------===//
//
// Format reference: numpy/lib/format.py. A file is
//   "\x93NUMPY" major minor header_len(u16 in v1, u32 in v2) header data
// where header is a Python dict literal with 'descr', 'fortran_order' and
// 'shape', padded with spaces and a '\n' so the data starts 64-byte aligned.
// Element data is copied verbatim; the conversions assume a little-endian
// host, which holds for every platform we build on.
//
//===----------------------------------------------------------------------===//

#include "wse/Support/Npy.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

using namespace wsert;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64; // numpy's ARRAY_ALIGN for written headers

struct FileCloser {
  void operator()(std::FILE *f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

bool fail(std::string &error, const std::string &path, const std::string &msg) {
  error = path + ": " + msg;
  return false;
}

std::string errnoText() { return std::strerror(errno); }

//===----------------------------------------------------------------------===//
// File access
//===----------------------------------------------------------------------===//

bool readFile(const std::string &path, std::vector<uint8_t> &bytes,
              std::string &error) {
  errno = 0;
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f)
    return fail(error, path, "cannot open for reading: " + errnoText());
  bytes.clear();
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f.get())) > 0)
    bytes.insert(bytes.end(), buf, buf + n);
  if (std::ferror(f.get()))
    return fail(error, path, "read error: " + errnoText());
  return true;
}

bool writeFile(const std::string &path, const std::string &head,
               const std::vector<uint8_t> &data, std::string &error) {
  errno = 0;
  std::FILE *raw = std::fopen(path.c_str(), "wb");
  if (!raw)
    return fail(error, path, "cannot open for writing: " + errnoText());
  bool ok = std::fwrite(head.data(), 1, head.size(), raw) == head.size();
  if (ok && !data.empty())
    ok = std::fwrite(data.data(), 1, data.size(), raw) == data.size();
  // fclose flushes, so its result matters as much as fwrite's.
  ok = (std::fclose(raw) == 0) && ok;
  if (!ok)
    return fail(error, path, "write error: " + errnoText());
  return true;
}

//===----------------------------------------------------------------------===//
// Header dict parsing
//===----------------------------------------------------------------------===//

struct HeaderFields {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// Parses the restricted Python dict literal numpy writes, e.g.
///   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : s(text) {}

  /// Returns false with a description (without file name) in `error`.
  bool parse(HeaderFields &out, std::string &error) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    if (!consume('{'))
      return bad(error, "expected '{'");
    while (!consume('}')) {
      std::string key;
      if (!parseString(key) || !consume(':'))
        return bad(error, "expected 'key':");
      if (key == "descr") {
        haveDescr = parseString(out.descr);
        if (!haveDescr)
          return bad(error, "'descr' must be a string");
      } else if (key == "fortran_order") {
        haveOrder = parseBool(out.fortranOrder);
        if (!haveOrder)
          return bad(error, "'fortran_order' must be True or False");
      } else if (key == "shape") {
        haveShape = parseShape(out.shape);
        if (!haveShape)
          return bad(error, "'shape' must be a tuple of non-negative ints");
      } else {
        return bad(error, "unexpected key '" + key + "'");
      }
      // Entries are separated by ',' and a trailing ',' is allowed.
      if (!consume(',') && !peek('}'))
        return bad(error, "expected ',' or '}'");
    }
    skipSpace();
    if (pos != s.size())
      return bad(error, "unexpected text after the dict");
    if (!haveDescr || !haveOrder || !haveShape)
      return bad(error, "missing 'descr', 'fortran_order' or 'shape'");
    return true;
  }

private:
  bool bad(std::string &error, const std::string &what) {
    error = "malformed header (" + what + " at offset " +
            std::to_string(pos) + "): " + s;
    // Drop the padding/newline so the message stays on one line.
    while (!error.empty() && (error.back() == ' ' || error.back() == '\n'))
      error.pop_back();
    return false;
  }

  void skipSpace() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' ||
                              s[pos] == '\n' || s[pos] == '\r'))
      ++pos;
  }

  bool peek(char c) {
    skipSpace();
    return pos < s.size() && s[pos] == c;
  }

  bool consume(char c) {
    if (!peek(c))
      return false;
    ++pos;
    return true;
  }

  bool consumeWord(const char *word) {
    size_t len = std::strlen(word);
    if (s.compare(pos, len, word) != 0)
      return false;
    pos += len;
    return true;
  }

  bool parseString(std::string &out) {
    skipSpace();
    if (pos >= s.size() || (s[pos] != '\'' && s[pos] != '"'))
      return false;
    char quote = s[pos++];
    size_t end = s.find(quote, pos);
    if (end == std::string::npos)
      return false;
    out = s.substr(pos, end - pos);
    pos = end + 1;
    return true;
  }

  bool parseBool(bool &out) {
    skipSpace();
    if (consumeWord("True"))
      out = true;
    else if (consumeWord("False"))
      out = false;
    else
      return false;
    return true;
  }

  bool parseInt(int64_t &out) {
    skipSpace();
    size_t start = pos;
    out = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      int digit = s[pos++] - '0';
      if (out > (std::numeric_limits<int64_t>::max() - digit) / 10)
        return false;
      out = out * 10 + digit;
    }
    return pos > start;
  }

  /// "()", "(n,)" or "(a, b, ...)" with an optional trailing comma.
  bool parseShape(std::vector<int64_t> &out) {
    out.clear();
    if (!consume('('))
      return false;
    while (!consume(')')) {
      int64_t dim;
      if (!parseInt(dim))
        return false;
      out.push_back(dim);
      if (!consume(',') && !peek(')'))
        return false;
    }
    return true;
  }

  const std::string &s;
  size_t pos = 0;
};

//===----------------------------------------------------------------------===//
// dtype and shape helpers
//===----------------------------------------------------------------------===//

/// Maps a numpy descr to a dtype; big-endian and unknown types are rejected.
bool parseDescr(const std::string &descr, NpyDType &dtype, std::string &error) {
  if (descr.size() < 2) {
    error = "unsupported dtype '" + descr + "'";
    return false;
  }
  char order = descr[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') {
    error = "unsupported dtype '" + descr + "'";
    return false;
  }
  std::string code = descr.substr(1);
  if (code == "f4")
    dtype = NpyDType::F32;
  else if (code == "f8")
    dtype = NpyDType::F64;
  else if (code == "i8")
    dtype = NpyDType::I64;
  else if (code == "i4")
    dtype = NpyDType::I32;
  else if (code == "b1")
    dtype = NpyDType::Bool;
  else {
    error = "unsupported dtype '" + descr +
            "' (supported: <f4, <f8, <i8, <i4, |b1)";
    return false;
  }
  // Byte order does not matter for 1-byte types.
  if (order == '>' && npyDTypeSize(dtype) > 1) {
    error = "big-endian data ('" + descr + "') is not supported";
    return false;
  }
  return true;
}

/// Total data bytes for `shape`, or false on negative dims or overflow.
bool dataBytes(const std::vector<int64_t> &shape, NpyDType dtype,
               uint64_t &bytes) {
  const uint64_t limit = std::numeric_limits<int64_t>::max();
  uint64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return false;
    if (dim != 0 && count > limit / static_cast<uint64_t>(dim))
      return false;
    count *= static_cast<uint64_t>(dim);
  }
  uint64_t size = npyDTypeSize(dtype);
  if (count > limit / size)
    return false;
  bytes = count * size;
  return true;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  // Python spells a 1-tuple "(n,)".
  return text + (shape.size() == 1 ? ",)" : ")");
}

//===----------------------------------------------------------------------===//
// Preamble
//===----------------------------------------------------------------------===//

/// Validates magic and version and locates the header text.
bool parsePreamble(const std::vector<uint8_t> &bytes, size_t &headerStart,
                   size_t &headerLen, std::string &error) {
  if (bytes.size() < kMagicLen ||
      std::memcmp(bytes.data(), kMagic, kMagicLen) != 0) {
    error = "bad magic: not a .npy file";
    return false;
  }
  if (bytes.size() < kMagicLen + 2) {
    error = "truncated preamble";
    return false;
  }
  unsigned major = bytes[6], minor = bytes[7];
  if ((major != 1 && major != 2) || minor != 0) {
    error = "unsupported format version " + std::to_string(major) + "." +
            std::to_string(minor) + " (supported: 1.0, 2.0)";
    return false;
  }
  size_t lenBytes = major == 1 ? 2 : 4;
  headerStart = 8 + lenBytes;
  if (bytes.size() < headerStart) {
    error = "truncated preamble";
    return false;
  }
  headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i) // little-endian length field
    headerLen |= static_cast<size_t>(bytes[8 + i]) << (8 * i);
  if (bytes.size() - headerStart < headerLen) {
    error = "truncated header: expected " + std::to_string(headerLen) +
            " bytes, found " + std::to_string(bytes.size() - headerStart);
    return false;
  }
  return true;
}

/// Builds magic, version, length and padded header for format 1.0.
bool buildPreamble(const NpyArray &arr, std::string &head, std::string &error) {
  std::string dict = std::string("{'descr': '") + npyDTypeDescr(arr.dtype) +
                     "', 'fortran_order': False, 'shape': " +
                     shapeText(arr.shape) + ", }";
  const size_t fixed = kMagicLen + 2 + 2;
  size_t total = fixed + dict.size() + 1; // +1 for the final '\n'
  total = (total + kAlign - 1) / kAlign * kAlign;
  size_t headerLen = total - fixed;
  if (headerLen > 0xffff) {
    error = "header too long for format 1.0";
    return false;
  }
  dict.append(headerLen - dict.size() - 1, ' ');
  dict += '\n';
  head.assign(kMagic, kMagicLen);
  head += '\x01';
  head += '\x00';
  head += static_cast<char>(headerLen & 0xff);
  head += static_cast<char>(headerLen >> 8);
  head += dict;
  return true;
}

template <typename T> T loadElement(const uint8_t *p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

/// Number of whole elements actually present (guards malformed arrays).
size_t availableElements(const NpyArray &a) {
  int64_t n = a.numElements();
  size_t fit = a.data.size() / npyDTypeSize(a.dtype);
  return n < 0 ? 0 : std::min(static_cast<size_t>(n), fit);
}

int64_t floatToInt64(double v) {
  // 2^63 is exactly representable; anything at or beyond it overflows.
  const double limit = 9223372036854775808.0;
  if (std::isnan(v) || v >= limit || v < -limit)
    return 0;
  return static_cast<int64_t>(v);
}

} // namespace

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

size_t wsert::npyDTypeSize(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::F32:
  case NpyDType::I32:
    return 4;
  case NpyDType::F64:
  case NpyDType::I64:
    return 8;
  case NpyDType::Bool:
    return 1;
  }
  return 1;
}

const char *wsert::npyDTypeDescr(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::F32:
    return "<f4";
  case NpyDType::F64:
    return "<f8";
  case NpyDType::I64:
    return "<i8";
  case NpyDType::I32:
    return "<i4";
  case NpyDType::Bool:
    return "|b1";
  }
  return "?";
}

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

bool wsert::readNpy(const std::string &path, NpyArray &out, std::string &error) {
  std::vector<uint8_t> bytes;
  if (!readFile(path, bytes, error))
    return false;
  return parseNpy(bytes, path, out, error);
}

bool wsert::parseNpy(const std::vector<uint8_t> &bytes, const std::string &path,
                     NpyArray &out, std::string &error) {
  size_t headerStart = 0, headerLen = 0;
  std::string msg;
  if (!parsePreamble(bytes, headerStart, headerLen, msg))
    return fail(error, path, msg);

  std::string text(bytes.begin() + headerStart,
                   bytes.begin() + headerStart + headerLen);
  HeaderFields fields;
  if (!HeaderParser(text).parse(fields, msg))
    return fail(error, path, msg);
  NpyArray arr;
  if (!parseDescr(fields.descr, arr.dtype, msg))
    return fail(error, path, msg);
  if (fields.fortranOrder)
    return fail(error, path, "Fortran-order arrays are not supported");
  arr.shape = fields.shape;

  uint64_t need = 0;
  if (!dataBytes(arr.shape, arr.dtype, need))
    return fail(error, path, "shape " + shapeText(arr.shape) + " is too large");
  size_t dataStart = headerStart + headerLen;
  uint64_t have = bytes.size() - dataStart;
  if (have != need)
    return fail(error, path,
                std::string(have < need ? "truncated data" : "trailing bytes") +
                    ": shape " + shapeText(arr.shape) + " needs " +
                    std::to_string(need) + " data bytes, file has " +
                    std::to_string(have));
  arr.data.assign(bytes.begin() + dataStart, bytes.end());
  out = std::move(arr);
  return true;
}

bool wsert::writeNpy(const std::string &path, const NpyArray &arr,
                   std::string &error) {
  uint64_t need = 0;
  if (!dataBytes(arr.shape, arr.dtype, need))
    return fail(error, path, "invalid shape " + shapeText(arr.shape));
  if (need != arr.data.size())
    return fail(error, path,
                "shape " + shapeText(arr.shape) + " needs " +
                    std::to_string(need) + " data bytes, array has " +
                    std::to_string(arr.data.size()));
  std::string head, msg;
  if (!buildPreamble(arr, head, msg))
    return fail(error, path, msg);
  return writeFile(path, head, arr.data, error);
}

std::vector<double> wsert::npyAsDoubles(const NpyArray &a) {
  size_t n = availableElements(a);
  size_t size = npyDTypeSize(a.dtype);
  std::vector<double> values(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t *p = a.data.data() + i * size;
    switch (a.dtype) {
    case NpyDType::F32:
      values[i] = loadElement<float>(p);
      break;
    case NpyDType::F64:
      values[i] = loadElement<double>(p);
      break;
    case NpyDType::I64:
      values[i] = static_cast<double>(loadElement<int64_t>(p));
      break;
    case NpyDType::I32:
      values[i] = loadElement<int32_t>(p);
      break;
    case NpyDType::Bool:
      values[i] = *p != 0 ? 1.0 : 0.0;
      break;
    }
  }
  return values;
}

std::vector<int64_t> wsert::npyAsInt64(const NpyArray &a) {
  size_t n = availableElements(a);
  size_t size = npyDTypeSize(a.dtype);
  std::vector<int64_t> values(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t *p = a.data.data() + i * size;
    switch (a.dtype) {
    case NpyDType::F32:
      values[i] = floatToInt64(loadElement<float>(p));
      break;
    case NpyDType::F64:
      values[i] = floatToInt64(loadElement<double>(p));
      break;
    case NpyDType::I64:
      values[i] = loadElement<int64_t>(p);
      break;
    case NpyDType::I32:
      values[i] = loadElement<int32_t>(p);
      break;
    case NpyDType::Bool:
      values[i] = *p != 0 ? 1 : 0;
      break;
    }
  }
  return values;
}
