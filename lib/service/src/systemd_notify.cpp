#include "sfcrimed/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace sfcrimed::systemd {
namespace {

// One datagram per call: systemd applies its lines together (READY with its STATUS).
void send(std::string_view state, std::string_view status) {
  std::string message(state);
  if (!status.empty()) {
    message += message.empty() ? "" : "\n";
    message += "STATUS=";
    // A newline would end the STATUS= line and start a bogus assignment.
    for (const char c : status) {
      message += c == '\n' ? ' ' : c;
    }
  }
  // The result only says whether a manager is listening; there is nothing to do if not.
  (void)sd_notify(0, message.c_str());
}

}  // namespace

void notify_ready(std::string_view status) { send("READY=1", status); }
void notify_stopping(std::string_view status) { send("STOPPING=1", status); }
void notify_status(std::string_view status) { send("", status); }
void notify_watchdog() { send("WATCHDOG=1", ""); }

std::optional<std::chrono::microseconds> watchdog_ping_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
    return std::nullopt;
  }
  return std::chrono::microseconds(usec / 2);
}

}  // namespace sfcrimed::systemd
