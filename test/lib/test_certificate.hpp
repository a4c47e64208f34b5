#pragma once
// A self-signed TLS certificate for 127.0.0.1 and localhost with its key, made by the
// openssl command (Debian's openssl package) in a test's scratch directory: the HTTP
// server's TLS tests trust it as their own certificate authority.

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "temp_files.hpp"

namespace sfcrimed::test {

struct TestCertificate {
  std::string certificate;  // PEM
  std::string key;          // PEM, unencrypted
};

// Runs `openssl ARGUMENTS` (quiet); throws std::runtime_error when it fails.
inline void openssl(const std::string& arguments) {
  const std::string command = "openssl " + arguments + " 2>/dev/null";
  // One command at a time, from the test's own thread: the openssl command is the point.
  if (std::system(command.c_str()) != 0) {  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
    throw std::runtime_error("failed: " + command + " (is the openssl command installed?)");
  }
}

inline TestCertificate make_test_certificate(const TempDir& dir, const std::string& name = "server") {
  TestCertificate made{dir.file(name + ".crt"), dir.file(name + ".key")};
  // An EC key: made in milliseconds, where RSA takes up to a second.
  openssl(
      "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1"
      " -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
      made.key + "' -out '" + made.certificate + "'");
  return made;
}

}  // namespace sfcrimed::test
