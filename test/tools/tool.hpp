#pragma once
// What the test tools share: their --flag value options, their failure line, and the
// project's producer as they all use it (idempotent, acks=all, failures on stderr).

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "sfcrimed/producer.hpp"

namespace sfcrimed::test {

// --flag value pairs, by flag.
inline std::map<std::string, std::string> read_flags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    flags[argv[i]] = argv[i + 1];
  }
  return flags;
}

// Says why `tool` failed on stderr; returns the exit status for it.
inline int fail(const char* tool, const std::string& why) {
  std::cerr << tool << ": FAILED: " << why << "\n";
  return EXIT_FAILURE;
}

inline std::unique_ptr<kafka::Producer> reliable_producer(const std::string& bootstrap, const char* tool) {
  return std::make_unique<kafka::Producer>(kafka::Settings{{"bootstrap.servers", bootstrap},
                                                           {"enable.idempotence", "true"},
                                                           {"acks", "all"},
                                                           {"message.timeout.ms", "30000"}},
                                           [tool](std::string_view, std::string_view key, std::string_view reason) {
                                             std::cerr << tool << ": delivery of key " << key << " failed: " << reason
                                                       << "\n";
                                           });
}

}  // namespace sfcrimed::test
