#pragma once
// Log lines, one write per line, each with its syslog priority prefix ("<6>") so that
// journald keeps the level when sfcrimed runs under systemd; on a terminal the prefix is
// still short enough to read past. Lines go to stderr, or to a file (log.file) with a UTC
// timestamp first, reopened on request (SIGHUP) so that logrotate can move it away.

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

// From now on, lines go to `path` (appended, created 0640 when missing); throws
// std::runtime_error saying why it cannot be opened.
void open_file(const std::string& path);
// Opens the file again under its name (after logrotate moved it); false, with the reason
// logged to the file still open, when it cannot. Lines written meanwhile go to one or the
// other, none are lost or split. Without a log file it does nothing and returns true.
bool reopen_file();
// Back to stderr, without timestamps (for tests; a daemon keeps its file).
void use_stderr();

void write(Level level, std::string_view component, std::string_view message);

inline void error(std::string_view component, std::string_view message) { write(Level::error, component, message); }
inline void warning(std::string_view component, std::string_view message) { write(Level::warning, component, message); }
inline void notice(std::string_view component, std::string_view message) { write(Level::notice, component, message); }
inline void info(std::string_view component, std::string_view message) { write(Level::info, component, message); }
inline void debug(std::string_view component, std::string_view message) { write(Level::debug, component, message); }

}  // namespace sfcrimed::log
