// `sfcrimed hash-password`: a bcrypt hash of a password read from standard input, for
// the file metrics.users names (lib/service/src/basic_auth.cpp makes it).

#include <termios.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <optional>
#include <string>

#include "commands.hpp"
#include "sfcrimed/basic_auth.hpp"

namespace sfcrimed::daemon {
namespace {

// While it exists, a terminal on standard input does not echo what is typed.
class EchoOff {
 public:
  EchoOff() {
    if (::isatty(STDIN_FILENO) != 0 && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~EchoOff() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
      std::cerr << "\n";  // the newline typed was not echoed either
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

  [[nodiscard]] bool active() const { return active_; }

 private:
  termios saved_{};
  bool active_ = false;
};

// The first line of standard input, without its "\n" (or "\r\n"); nothing at its end.
std::optional<std::string> read_password() {
  const EchoOff echo_off;
  if (echo_off.active()) {
    std::cerr << "Password: " << std::flush;
  }
  std::string line;
  if (!std::getline(std::cin, line)) {
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

}  // namespace

int hash_password_command(int argc, const char* const* argv) {
  namespace po = boost::program_options;
  std::string user;
  po::options_description description(
      "Usage: sfcrimed hash-password [--user NAME] < FILE\n\n"
      "Reads a password (the first line of standard input; typed unechoed on a terminal) and prints its\n"
      "bcrypt hash ($2b$, cost 10), or with --user the line NAME:HASH, for the file that metrics.users\n"
      "names: one such line per user, as `htpasswd -nbB NAME PASSWORD` writes them. Every path of the\n"
      "HTTP endpoint then asks for one user's name and password (basic authentication; use TLS with it,\n"
      "metrics.tls_certificate and metrics.tls_key). Prometheus sends them with basic_auth, its\n"
      "password_file holding the password itself (docs/security.md).\n\n"
      "Examples:\n"
      "  sfcrimed hash-password --user prometheus >> /etc/sfcrimed/users   # type the password\n"
      "  sfcrimed hash-password --user prometheus < /etc/prometheus/sfcrimed.password >> /etc/sfcrimed/users\n"
      "  then, in the ini: [metrics] users = /etc/sfcrimed/users\n\n"
      "Exit statuses: 0 printed, 64 no password or one bcrypt cannot take (over 72 bytes), 1 libcrypt failed.\n\n"
      "Options");
  description.add_options()                                                                             //
      ("user,u", po::value(&user), "print NAME:HASH, a whole line of the users file (no ':' in NAME)")  //
      ("help,h", "print this help");
  po::variables_map vm;
  if (const auto status = parse_subcommand("hash-password", description, argc, argv, vm)) {
    return *status;
  }
  if (vm.count("user") != 0U && (user.empty() || user.find(':') != std::string::npos)) {
    std::cerr << "sfcrimed hash-password: --user '" << user << "': a name must be given and have no ':'\n";
    return kExitUsage;
  }
  const auto password = read_password();
  if (!password || password->empty()) {
    std::cerr << "sfcrimed hash-password: no password on standard input (one line)\n";
    return kExitUsage;
  }
  if (password->size() > http::kBcryptMaxPassword) {
    std::cerr << "sfcrimed hash-password: the password has " << password->size() << " bytes; bcrypt reads only "
              << http::kBcryptMaxPassword << ", so the rest would not count: use a shorter one\n";
    return kExitUsage;
  }
  try {
    const std::string hash = http::bcrypt_hash(*password);
    std::cout << (user.empty() ? "" : user + ":") << hash << "\n";
  } catch (const std::invalid_argument& e) {  // a NUL byte in it, say
    std::cerr << "sfcrimed hash-password: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "sfcrimed hash-password: " << e.what() << "\n";
    return kExitFailed;
  }
  return 0;
}

}  // namespace sfcrimed::daemon
