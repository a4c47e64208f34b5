#include "sfcrimed/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace sfcrimed::log {
namespace {

std::atomic<int> threshold{static_cast<int>(Level::info)};

// Where lines go. Reopening dup2()s the new file onto the same descriptor, so writers
// never see a closed one and need no lock.
std::atomic<int> log_fd{STDERR_FILENO};
std::atomic<bool> timestamps{false};
std::mutex file_mutex;  // open_file() and reopen_file()
std::string file_path;

int open_for_append(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

// Puts `fd` in the place of the descriptor writers use and closes `fd`: the writers' number
// never refers to a closed (or reused) descriptor. dup3 rather than dup2, which would
// clear close-on-exec and leak the log into any program librdkafka starts (kinit).
// Returns errno on failure, 0 on success.
int replace_log_fd(int fd) {
  const int replaced = ::dup3(fd, log_fd.load(), O_CLOEXEC) < 0 ? errno : 0;
  ::close(fd);
  return replaced;
}

// "2026-11-25T18:45:01.123Z "
void append_timestamp(std::string& line) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  line.append(text.data(), length);
  line += '.';
  line += static_cast<char>('0' + millis / 100);
  line += static_cast<char>('0' + millis / 10 % 10);
  line += static_cast<char>('0' + millis % 10);
  line += "Z ";
}

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

void open_file(const std::string& path) {
  const std::lock_guard lock(file_mutex);
  const int fd = open_for_append(path);
  const int open_error = errno;
  if (fd < 0) {
    throw std::runtime_error("cannot open the log file '" + path + "': " + std::generic_category().message(open_error));
  }
  // The first file gets a descriptor of its own; later ones (or stderr again, after
  // use_stderr) take that descriptor's place.
  if (log_fd.load() == STDERR_FILENO) {
    log_fd.store(fd);
  } else if (const int error = replace_log_fd(fd); error != 0) {
    throw std::runtime_error("cannot switch to the log file '" + path + "': " + std::generic_category().message(error));
  }
  file_path = path;
  timestamps.store(true);
}

bool reopen_file() {
  std::string why;
  {
    const std::lock_guard lock(file_mutex);
    if (file_path.empty()) {
      return true;
    }
    const int fd = open_for_append(file_path);
    const int error = fd < 0 ? errno : replace_log_fd(fd);
    if (error == 0) {
      return true;
    }
    why = "cannot reopen the log file '" + file_path + "': " + std::generic_category().message(error) +
          "; still writing to the old one";
  }
  error("log", why);
  return false;
}

void use_stderr() {
  const std::lock_guard lock(file_mutex);
  if (log_fd.load() != STDERR_FILENO) {
    ::dup3(STDERR_FILENO, log_fd.load(), O_CLOEXEC);  // a failure leaves the file: harmless in a test
    file_path.clear();
  }
  timestamps.store(false);
}

void write(Level level, std::string_view component, std::string_view message) {
  if (!enabled(level)) {
    return;
  }
  std::string line;
  line.reserve(message.size() + component.size() + 40);
  if (timestamps.load(std::memory_order_relaxed)) {
    append_timestamp(line);
  }
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
    const ssize_t wrote = ::write(log_fd.load(std::memory_order_relaxed), rest.data(), rest.size());
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return;  // nowhere to say so: the log is where errors go
    }
    rest.remove_prefix(static_cast<std::size_t>(wrote));
  }
}

}  // namespace sfcrimed::log
