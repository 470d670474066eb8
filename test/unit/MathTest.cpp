// The reference engine's matmul against the plain dot product it promises
// (each output its products summed in k order from zero, multiplies and
// adds rounded apart): every transpose form, with and without accumulating
// into C, sizes off the kernels' row block, column panels and transpose
// tile, on one and on several threads, with each vector kernel the CPU has.
#include "wse/Support/Math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace wsert;

namespace {

#pragma clang fp contract(off)
float dot(const std::vector<float> &a, const std::vector<float> &b, int64_t m,
          int64_t n, int64_t k, bool transA, bool transB, int64_t i,
          int64_t j) {
  float s = 0.0f;
  for (int64_t p = 0; p < k; ++p) {
    float x = transA ? a[size_t(p * m + i)] : a[size_t(i * k + p)];
    float y = transB ? b[size_t(j * k + p)] : b[size_t(p * n + j)];
    float prod = x * y;
    s = s + prod;
  }
  return s;
}

} // namespace

TEST(Math, MatmulIsTheDotProductBitForBit) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  const int64_t sizes[][3] = {{1, 1, 1},   {3, 5, 7},    {4, 64, 32},
                              {5, 65, 33}, {37, 70, 45}, {130, 97, 300},
                              {9, 200, 17}};
  for (int widest : {2, 1, 0})
    for (int threads : {1, 2}) {
      math::setGemmThreads(threads);
      math::setGemmVectorWidth(widest);
      for (const auto &s : sizes)
        for (int form = 0; form < 8; ++form) {
          int64_t m = s[0], n = s[1], k = s[2];
          bool transA = form & 1, transB = form & 2, accumulate = form & 4;
          std::vector<float> a(size_t(m * k)), b(size_t(k * n)),
              c(size_t(m * n));
          for (float &v : a)
            v = normal(rng);
          for (float &v : b)
            v = normal(rng);
          for (float &v : c)
            v = normal(rng);
          std::vector<float> c0 = c;
          math::matmul(c.data(), a.data(), b.data(), m, n, k, transA, transB,
                       accumulate);
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              float want = dot(a, b, m, n, k, transA, transB, i, j);
              if (accumulate)
                want = c0[size_t(i * n + j)] + want;
              float got = c[size_t(i * n + j)];
              ASSERT_EQ(std::memcmp(&want, &got, sizeof(float)), 0)
                  << m << "x" << n << "x" << k << " form " << form << " kernel "
                  << widest << " at (" << i << ", " << j << "): " << got
                  << " vs " << want;
            }
        }
    }
  math::setGemmThreads(1);
  math::setGemmVectorWidth(2);
}

// expd and tanhF replace libm in both engines: within 2 ulp of the double
// (and 1 ulp of the f32) result, with the special values of the C library.
TEST(MathTest, ExpdAndTanhFAreAccurate) {
  for (double x = -745.0; x < 709.7; x += 0.3779) {
    double want = std::exp(x), got = wsert::math::expd(x);
    if (want < 2.3e-308)
      continue; // subnormal: checked only for being near
    double ulp = std::nextafter(want, INFINITY) - want;
    EXPECT_LE(std::fabs(got - want), 2 * ulp) << x;
  }
  EXPECT_EQ(wsert::math::expd(INFINITY), INFINITY);
  EXPECT_EQ(wsert::math::expd(-INFINITY), 0.0);
  EXPECT_EQ(wsert::math::expd(710.0), INFINITY);
  EXPECT_TRUE(std::isnan(wsert::math::expd(NAN)));
  for (float x = -12.0f; x < 12.0f; x += 0.0007f) {
    float want = float(std::tanh(double(x))), got = wsert::math::tanhF(x);
    EXPECT_LE(std::fabs(got - want),
              std::nextafter(std::fabs(want), 2.0f) - std::fabs(want))
        << x;
  }
  EXPECT_EQ(wsert::math::tanhF(1e-30f), 1e-30f);
  EXPECT_TRUE(std::signbit(wsert::math::tanhF(-0.0f)));
  EXPECT_EQ(wsert::math::tanhF(-INFINITY), -1.0f);
  EXPECT_TRUE(std::isnan(wsert::math::tanhF(NAN)));
}
