//===- NpyTest.cpp - Tests for the .npy reader/writer ---------------------===//

#include "wse/Support/HostTensor.h"
#include "wse/Support/Npy.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

using namespace wsert;

namespace {

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "wse_npy_test_" + name + ".npy";
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <typename T> std::vector<uint8_t> toBytes(const std::vector<T> &v) {
  std::vector<uint8_t> bytes(v.size() * sizeof(T));
  if (!v.empty())
    std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

template <typename T> std::string rawBytes(const std::vector<T> &v) {
  std::vector<uint8_t> bytes = toBytes(v);
  return std::string(bytes.begin(), bytes.end());
}

// Exactly what numpy 1.24 writes for
//   np.save(f, np.array([[1, 2, 3], [4, 5, 6]], dtype='<f4'))
// a 118-byte header so the data starts at offset 128.
std::string numpyF32Header() {
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string head("\x93NUMPY\x01\x00\x76\x00", 10);
  return head + dict + std::string(118 - dict.size() - 1, ' ') + "\n";
}

// np.lib.format.write_array(f, np.array([True, False, True]), version=(2, 0))
std::string numpyBoolV2File() {
  std::string dict =
      "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }";
  std::string head("\x93NUMPY\x02\x00\x74\x00\x00\x00", 12);
  return head + dict + std::string(116 - dict.size() - 1, ' ') + "\n" +
         std::string("\x01\x00\x01", 3);
}

NpyArray makeF32(std::vector<int64_t> shape, const std::vector<float> &v) {
  NpyArray a;
  a.dtype = NpyDType::F32;
  a.shape = std::move(shape);
  a.data = toBytes(v);
  return a;
}

// Expects readNpy to fail with a message naming the file and containing
// `what`.
void expectReadError(const std::string &path, const std::string &what) {
  NpyArray a;
  std::string error;
  EXPECT_FALSE(readNpy(path, a, error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find(what), std::string::npos) << error;
}

TEST(NpyTest, RoundTripF32) {
  std::string path = tempPath("f32");
  std::vector<float> values = {1.5f, -2.25f, 0.0f, 3.0e-8f, 1.0e20f, -7.0f};
  std::string error;
  ASSERT_TRUE(writeNpy(path, makeF32({2, 3}, values), error)) << error;

  // numpy aligns the start of the data to 64 bytes and ends the header
  // with '\n'.
  std::string bytes = readBytes(path);
  size_t headerLen = static_cast<uint8_t>(bytes[8]) |
                     (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
  EXPECT_EQ((10 + headerLen) % 64, 0u);
  EXPECT_EQ(bytes[10 + headerLen - 1], '\n');
  EXPECT_EQ(bytes.size(), 10 + headerLen + values.size() * sizeof(float));

  NpyArray back;
  ASSERT_TRUE(readNpy(path, back, error)) << error;
  EXPECT_EQ(back.dtype, NpyDType::F32);
  EXPECT_EQ(back.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back.numElements(), 6);
  EXPECT_EQ(back.data, toBytes(values));
  std::vector<double> asDoubles = npyAsDoubles(back);
  ASSERT_EQ(asDoubles.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(asDoubles[i], static_cast<double>(values[i]));
  std::remove(path.c_str());
}

TEST(NpyTest, RoundTripI64) {
  std::string path = tempPath("i64");
  std::vector<int64_t> values = {0, -1, 9, INT64_MAX, INT64_MIN};
  NpyArray a;
  a.dtype = NpyDType::I64;
  a.shape = {5};
  a.data = toBytes(values);
  std::string error;
  ASSERT_TRUE(writeNpy(path, a, error)) << error;
  EXPECT_NE(readBytes(path).find("'shape': (5,)"), std::string::npos);

  NpyArray back;
  ASSERT_TRUE(readNpy(path, back, error)) << error;
  EXPECT_EQ(back.dtype, NpyDType::I64);
  EXPECT_EQ(back.shape, (std::vector<int64_t>{5}));
  EXPECT_EQ(npyAsInt64(back), values);
  std::remove(path.c_str());
}

TEST(NpyTest, RoundTripScalar) {
  std::string path = tempPath("scalar");
  NpyArray a;
  a.dtype = NpyDType::F64;
  a.data = toBytes(std::vector<double>{2.5});
  std::string error;
  ASSERT_TRUE(writeNpy(path, a, error)) << error;
  EXPECT_NE(readBytes(path).find("'shape': ()"), std::string::npos);
  NpyArray back;
  ASSERT_TRUE(readNpy(path, back, error)) << error;
  EXPECT_TRUE(back.shape.empty());
  EXPECT_EQ(npyAsDoubles(back), std::vector<double>{2.5});
  std::remove(path.c_str());
}

TEST(NpyTest, ReadsNumpyWrittenFile) {
  std::string path = tempPath("numpy_f32");
  std::vector<float> values = {1, 2, 3, 4, 5, 6};
  writeBytes(path, numpyF32Header() + rawBytes(values));
  NpyArray a;
  std::string error;
  ASSERT_TRUE(readNpy(path, a, error)) << error;
  EXPECT_EQ(a.dtype, NpyDType::F32);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(npyAsInt64(a), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));

  // Our writer must produce byte-identical output to numpy.
  std::string ours = tempPath("ours_f32");
  ASSERT_TRUE(writeNpy(ours, a, error)) << error;
  EXPECT_EQ(readBytes(ours), readBytes(path));
  std::remove(path.c_str());
  std::remove(ours.c_str());
}

TEST(NpyTest, ReadsVersion2Bool) {
  std::string path = tempPath("numpy_bool_v2");
  writeBytes(path, numpyBoolV2File());
  NpyArray a;
  std::string error;
  ASSERT_TRUE(readNpy(path, a, error)) << error;
  EXPECT_EQ(a.dtype, NpyDType::Bool);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(npyAsDoubles(a), (std::vector<double>{1, 0, 1}));
  std::remove(path.c_str());
}

TEST(NpyTest, TruncatedDataIsAnError) {
  std::string path = tempPath("truncated");
  std::vector<float> values = {1, 2, 3, 4, 5};  // one element short
  writeBytes(path, numpyF32Header() + rawBytes(values));
  expectReadError(path, "truncated data");
  writeBytes(path, numpyF32Header().substr(0, 40));
  expectReadError(path, "truncated header");
  std::remove(path.c_str());
}

TEST(NpyTest, BadMagicIsAnError) {
  std::string path = tempPath("bad_magic");
  std::string bytes = numpyF32Header() + rawBytes(std::vector<float>(6));
  bytes[1] = 'X';
  writeBytes(path, bytes);
  expectReadError(path, "bad magic");
  writeBytes(path, "");
  expectReadError(path, "bad magic");
  std::remove(path.c_str());
}

TEST(NpyTest, MissingFileIsAnError) {
  expectReadError(tempPath("does_not_exist"), "cannot open");
}

TEST(NpyTest, UnsupportedHeadersAreErrors) {
  std::string path = tempPath("unsupported");
  std::string base = numpyF32Header() + rawBytes(std::vector<float>(6));
  auto withReplaced = [&](const std::string &from, const std::string &to) {
    std::string bytes = base;
    bytes.replace(bytes.find(from), from.size(), to);
    return bytes;
  };
  writeBytes(path, withReplaced("False", "True "));
  expectReadError(path, "Fortran");
  writeBytes(path, withReplaced("'<f4'", "'>f4'"));
  expectReadError(path, "big-endian");
  writeBytes(path, withReplaced("'<f4'", "'<c8'"));
  expectReadError(path, "unsupported dtype");
  std::string badVersion = base;
  badVersion[6] = '\x04';
  writeBytes(path, badVersion);
  expectReadError(path, "unsupported format version");
  std::remove(path.c_str());
}

TEST(NpyTest, WriteRejectsInconsistentArray) {
  NpyArray a = makeF32({2, 3}, {1, 2, 3});
  std::string error;
  EXPECT_FALSE(writeNpy(tempPath("inconsistent"), a, error));
  EXPECT_NE(error.find("needs 24 data bytes"), std::string::npos) << error;
}

} // namespace

// Found by fuzz-npy under UBSan: an empty float array reached memcpy with
// the null data() of an empty vector.
TEST(NpyTest, EmptyArraysConvertBothWays) {
  std::vector<uint8_t> bytes;
  std::ifstream f(WSE_SOURCE_DIR "/test/fuzz/regressions/npy/empty-f32.npy",
                  std::ios::binary);
  bytes.assign(std::istreambuf_iterator<char>(f), {});
  ASSERT_FALSE(bytes.empty());
  wsert::NpyArray arr;
  std::string error;
  ASSERT_TRUE(wsert::parseNpy(bytes, "empty-f32.npy", arr, error)) << error;
  wsert::HostTensor t = wsert::tensorFromNpy(arr);
  EXPECT_EQ(t.numElements(), 0);
  EXPECT_TRUE(wsert::tensorToNpy(t, wsert::NpyDType::I64).data.empty());
  wsert::HostTensor ints = wsert::HostTensor::ints({0, 3});
  EXPECT_TRUE(wsert::tensorToNpy(ints, wsert::NpyDType::I64).data.empty());
}
