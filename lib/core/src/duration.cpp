#include "sfcrimed/duration.hpp"

#include <array>
#include <cstdint>
#include <utility>

namespace sfcrimed {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits == 0 || digits > 12) {
    return std::nullopt;
  }
  const std::int64_t number = std::stoll(std::string(text.substr(0, digits)));
  constexpr std::array<std::pair<std::string_view, std::int64_t>, 6> kUnits = {
      {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
  for (const auto& [unit, milliseconds] : kUnits) {
    if (text.substr(digits) == unit) {
      return std::chrono::milliseconds(number * milliseconds);
    }
  }
  return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds duration) {
  const std::int64_t ms = duration.count();
  constexpr std::array<std::pair<std::string_view, std::int64_t>, 4> kUnits = {
      {{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}}};
  for (const auto& [unit, milliseconds] : kUnits) {
    if (ms != 0 && ms % milliseconds == 0) {
      return std::to_string(ms / milliseconds) + std::string(unit);
    }
  }
  return ms == 0 ? "0" : std::to_string(ms) + "ms";
}

}  // namespace sfcrimed
