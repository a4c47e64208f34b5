#pragma once
// Log lines on stderr, one write per line, each with its syslog priority prefix ("<6>")
// so that journald keeps the level when sfcrimed runs under systemd; on a terminal the
// prefix is still short enough to read past.

#include <optional>
#include <string>
#include <string_view>

namespace sfcrimed::log {

enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// "error", "warning", "notice", "info", "debug"; nothing for any other name.
std::optional<Level> parse_level(std::string_view name);
std::string_view level_name(Level level);

// Lines above `level` are dropped (default info).
void set_level(Level level);
bool enabled(Level level);

void write(Level level, std::string_view component, std::string_view message);

inline void error(std::string_view component, std::string_view message) { write(Level::error, component, message); }
inline void warning(std::string_view component, std::string_view message) { write(Level::warning, component, message); }
inline void notice(std::string_view component, std::string_view message) { write(Level::notice, component, message); }
inline void info(std::string_view component, std::string_view message) { write(Level::info, component, message); }
inline void debug(std::string_view component, std::string_view message) { write(Level::debug, component, message); }

}  // namespace sfcrimed::log
