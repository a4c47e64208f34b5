#pragma once
// The configuration tests' command line: `args` as sfcrimed would get them after its name.

#include <string>
#include <vector>

#include "sfcrimed/config.hpp"

namespace sfcrimed::test {

inline Invocation parse(std::vector<std::string> args) {
  args.insert(args.begin(), "sfcrimed");
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.c_str());
  }
  return parse_invocation(static_cast<int>(argv.size()), argv.data());
}

}  // namespace sfcrimed::test
