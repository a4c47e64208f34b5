#pragma once
// One number in printf's notation ("%.1f"), for log lines and the JSON sfcrimed writes:
// GCC 12's library has no <format>.

#include <chrono>
#include <cstdio>
#include <string>

namespace sfcrimed::detail {

inline std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

}  // namespace sfcrimed::detail

namespace sfcrimed::detail {

// A measured time as people read it in a log line: "0.4 s", "65.2 s".
template <typename Duration>
std::string seconds_text(Duration duration) {
  return format("%.1f s", std::chrono::duration<double>(duration).count());
}

}  // namespace sfcrimed::detail
