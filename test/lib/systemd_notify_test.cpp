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
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // The next datagram; empty when none comes (the socket does not block).
  std::string receive() {
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
  ::unsetenv("WATCHDOG_PID");
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  CHECK(sfcrimed::systemd::watchdog_ping_interval() == std::chrono::microseconds(1'500'000));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);  // meant for another process
  CHECK_FALSE(sfcrimed::systemd::watchdog_ping_interval());
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(sfcrimed::systemd::watchdog_ping_interval() == std::chrono::microseconds(1'500'000));
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  CHECK_FALSE(sfcrimed::systemd::watchdog_ping_interval());
}
