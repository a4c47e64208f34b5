// call_file_bench: how fast the reader turns a calls file into calls (the ingest's work
// before it sends anything). Loads FILE N times and prints the best and median rates.
//
//   call_file_bench FILE [N]     (FILE uncompressed, to time parsing rather than bzip2)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sfcrimed/call_file.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: call_file_bench FILE [RUNS]\n");
    return 64;
  }
  const std::string path = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<double> seconds;
  std::size_t bytes = 0;
  std::size_t calls = 0;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const auto file = sfcrimed::CallFile::load(path, sfcrimed::ReplayOrder::event_time, sfcrimed::OnBadRecord::skip);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    bytes = file.json_bytes();
    calls = file.calls().size();
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  std::printf(
      "{\"calls\":%zu,\"bytes\":%zu,\"runs\":%d,\"best_seconds\":%.4f,\"median_seconds\":%.4f,"
      "\"best_gb_per_s\":%.3f,\"median_gb_per_s\":%.3f}\n",
      calls, bytes, runs, seconds.front(), median, static_cast<double>(bytes) / seconds.front() / 1e9,
      static_cast<double>(bytes) / median / 1e9);
  return 0;
}
