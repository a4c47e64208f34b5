#pragma once
// Durations as the configuration and the log write them: "1h", "90s", "250ms".

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sfcrimed {

// "1h", "90s", "250ms", "0" (a bare number is seconds); nothing when it is not a duration.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// The shortest exact form: 3600000 ms is "1h", 1500 ms is "1500ms".
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace sfcrimed
