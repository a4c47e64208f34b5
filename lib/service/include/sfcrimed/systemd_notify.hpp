#pragma once
// The service manager's notification protocol (sd_notify(3)) for a Type=notify unit:
// READY=1 once the service does its work, STOPPING=1 when it begins to stop, STATUS=
// lines for `systemctl status`, WATCHDOG=1 pings when the unit sets WatchdogSec=. Outside
// systemd (no NOTIFY_SOCKET in the environment) every call does nothing.

#include <chrono>
#include <optional>
#include <string_view>

namespace sfcrimed::systemd {

void notify_ready(std::string_view status);
void notify_stopping(std::string_view status);
void notify_status(std::string_view status);
void notify_watchdog();

// How often to ping: half the interval systemd expects pings at (WATCHDOG_USEC, for this
// process), or nothing when the unit has no watchdog.
std::optional<std::chrono::microseconds> watchdog_ping_interval();

}  // namespace sfcrimed::systemd
