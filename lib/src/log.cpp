#include "sfcrimed/log.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <utility>

namespace sfcrimed::log {
namespace {

std::atomic<int> threshold{static_cast<int>(Level::info)};

constexpr std::array<std::pair<std::string_view, Level>, 5> kNames = {{{"error", Level::error},
                                                                       {"warning", Level::warning},
                                                                       {"notice", Level::notice},
                                                                       {"info", Level::info},
                                                                       {"debug", Level::debug}}};

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
  for (const auto& [text, level] : kNames) {
    if (text == name) {
      return level;
    }
  }
  return std::nullopt;
}

std::string_view level_name(Level level) {
  for (const auto& [text, candidate] : kNames) {
    if (candidate == level) {
      return text;
    }
  }
  return "info";
}

void set_level(Level level) { threshold.store(static_cast<int>(level), std::memory_order_relaxed); }

bool enabled(Level level) { return static_cast<int>(level) <= threshold.load(std::memory_order_relaxed); }

void write(Level level, std::string_view component, std::string_view message) {
  if (!enabled(level)) {
    return;
  }
  std::string line;
  line.reserve(message.size() + component.size() + 8);
  line += '<';
  line += static_cast<char>('0' + static_cast<int>(level));
  line += '>';
  line += component;
  line += ": ";
  line += message;
  line += '\n';
  // One write(2) per line: lines from several threads never interleave.
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t wrote = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (wrote <= 0) {
      return;
    }
    rest.remove_prefix(static_cast<std::size_t>(wrote));
  }
}

}  // namespace sfcrimed::log
