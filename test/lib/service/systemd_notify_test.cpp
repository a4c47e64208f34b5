#include "sfcrimed/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <string>

#include "temp_files.hpp"

namespace {

// The environment is the process's; these tests change it from Catch2's only thread.
void set_env(const char* name, const std::string& value) {
  ::setenv(name, value.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
}
void unset_env(const char* name) {
  ::unsetenv(name);  // NOLINT(concurrency-mt-unsafe)
}

// A datagram socket standing in for systemd's notification socket, named by NOTIFY_SOCKET
// while it exists.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(address.sun_path));
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    set_env("NOTIFY_SOCKET", path);
  }
  ~NotifySocket() {
    unset_env("NOTIFY_SOCKET");
    ::close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // The next datagram; empty when none comes (the socket does not block).
  [[nodiscard]] std::string receive() const {
    std::string buffer(4096, '\0');
    const ssize_t size = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    buffer.resize(size > 0 ? static_cast<std::size_t>(size) : 0);
    return buffer;
  }

 private:
  int fd_;
};

}  // namespace

TEST_CASE("READY, STOPPING, STATUS and WATCHDOG reach the notification socket", "[systemd]") {
  const sfcrimed::test::TempDir dir;
  NotifySocket socket(dir.file("notify"));
  sfcrimed::systemd::notify_ready("ready: 2 threads");
  CHECK(socket.receive() == "READY=1\nSTATUS=ready: 2 threads");
  sfcrimed::systemd::notify_status("input 10 rows/s\nlag 0");
  CHECK(socket.receive() == "STATUS=input 10 rows/s lag 0");  // one line: a newline would start a bogus assignment
  sfcrimed::systemd::notify_watchdog();
  CHECK(socket.receive() == "WATCHDOG=1");
  sfcrimed::systemd::notify_stopping("SIGTERM");
  CHECK(socket.receive() == "STOPPING=1\nSTATUS=SIGTERM");
  CHECK(socket.receive().empty());
}

TEST_CASE("the watchdog is pinged at half its interval, for this process only", "[systemd]") {
  unset_env("WATCHDOG_PID");
  set_env("WATCHDOG_USEC", "3000000");
  CHECK(sfcrimed::systemd::watchdog_ping_interval() == std::chrono::microseconds(1'500'000));
  set_env("WATCHDOG_PID", std::to_string(::getpid() + 1));  // meant for another process
  CHECK_FALSE(sfcrimed::systemd::watchdog_ping_interval());
  set_env("WATCHDOG_PID", std::to_string(::getpid()));
  CHECK(sfcrimed::systemd::watchdog_ping_interval() == std::chrono::microseconds(1'500'000));
  unset_env("WATCHDOG_USEC");
  unset_env("WATCHDOG_PID");
  CHECK_FALSE(sfcrimed::systemd::watchdog_ping_interval());
}
