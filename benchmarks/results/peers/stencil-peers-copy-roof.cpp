// Memory bandwidth roof: copy b = a (16 B/point moved + 8 B write-allocate) and a stencil-shaped
// read of 1 array + write of 1 array, 256^3 doubles (128 MiB each), 2 OpenMP threads; medians of 11.
#include <omp.h>
#include <vector>
#include <algorithm>
#include <cstdio>
#include <chrono>
int main() {
  const long n = 256L * 256 * 256;
  std::vector<double> a(n), b(n);
  #pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) { a[i] = i * 1e-9; b[i] = 0; }
  std::vector<double> tc, tr;
  for (int r = 0; r < 13; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; ++i) b[i] = a[i];
    auto t1 = std::chrono::steady_clock::now();
    double s = 0;
    #pragma omp parallel for schedule(static) reduction(+:s)
    for (long i = 0; i < n; ++i) s += a[i];
    auto t2 = std::chrono::steady_clock::now();
    if (r >= 2) { tc.push_back(std::chrono::duration<double>(t1 - t0).count()); tr.push_back(std::chrono::duration<double>(t2 - t1).count()); }
    if (s < 0) printf("%g", s);
  }
  std::sort(tc.begin(), tc.end()); std::sort(tr.begin(), tr.end());
  double c = tc[tc.size() / 2], rd = tr[tr.size() / 2];
  printf("copy 128 MiB: %.2f ms = %.1f GB/s counting 24 B/point (read + write + write-allocate), %.1f GB/s counting 16\n", c * 1e3, 24.0 * n / c / 1e9, 16.0 * n / c / 1e9);
  printf("read 128 MiB: %.2f ms = %.1f GB/s\n", rd * 1e3, 8.0 * n / rd / 1e9);
}
