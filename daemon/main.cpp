// sfcrimed: San Francisco police calls for service to live crime statistics, through Kafka.
//
//   sfcrimed [--config FILE] [SETTINGS...]     the service (see --help)
//   sfcrimed sample --records N --seed S --out FILE
//   sfcrimed consume --bootstrap HOST:PORT --topic T [...]

#include <string_view>

#include "commands.hpp"

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "sample") {
    return sfcrimed::daemon::sample_command(argc - 1, argv + 1);
  }
  if (command == "consume") {
    return sfcrimed::daemon::consume_command(argc - 1, argv + 1);
  }
  return sfcrimed::daemon::run_service(argc, argv);
}
