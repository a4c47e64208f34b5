// sfcrimed: San Francisco police calls for service to live crime statistics, through Kafka.
//
//   sfcrimed [--config FILE] [SETTINGS...]     the service (see --help)
//   sfcrimed sample --records N --seed S --out FILE
//   sfcrimed consume --bootstrap HOST:PORT --topic T [...]
//   sfcrimed stats --bootstrap HOST:PORT --topic T [...]
//   sfcrimed hash-password [--user NAME] < FILE

#include <boost/program_options.hpp>
#include <iostream>
#include <string_view>

#include "commands.hpp"

namespace sfcrimed::daemon {

std::optional<int> parse_subcommand(const char* name, const boost::program_options::options_description& options,
                                    int argc, const char* const* argv, boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    if (vm.count("help") != 0U) {
      std::cout << options;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "sfcrimed " << name << ": " << e.what() << "\n" << options;
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace sfcrimed::daemon

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "sample") {
    return sfcrimed::daemon::sample_command(argc - 1, argv + 1);
  }
  if (command == "consume") {
    return sfcrimed::daemon::consume_command(argc - 1, argv + 1);
  }
  if (command == "stats") {
    return sfcrimed::daemon::stats_command(argc - 1, argv + 1);
  }
  if (command == "hash-password") {
    return sfcrimed::daemon::hash_password_command(argc - 1, argv + 1);
  }
  return sfcrimed::daemon::run_service(argc, argv);
}
