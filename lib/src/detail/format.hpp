#pragma once
// One number in printf's notation ("%.1f"), for log lines and the JSON sfcrimed writes:
// GCC 12's library has no <format>.

#include <cstdio>
#include <string>

namespace sfcrimed::detail {

inline std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

}  // namespace sfcrimed::detail
