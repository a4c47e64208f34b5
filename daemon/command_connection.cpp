// The connection options of `sfcrimed stats` and `sfcrimed consume` (commands.hpp).

#include <iostream>

#include "commands.hpp"

namespace sfcrimed::daemon {

namespace po = boost::program_options;

void CommandConnection::describe(po::options_description& description) {
  description.add_options()  //
      ("config,c", po::value(&files_),
       "the daemon's ini file(s), for its brokers, topic names and [client] security; given again, each file "
       "overrides the ones before it")  //
      ("bootstrap,b", po::value(&bootstrap_),
       "Kafka brokers (default: the files' [kafka] bootstrap, or localhost:9092)");
}

std::optional<int> CommandConnection::read(const char* command, const po::variables_map& vm, Config& config) const {
  if (!files_.empty()) {
    try {
      config = read_config_files(files_);
    } catch (const ConfigError& e) {
      std::cerr << "sfcrimed " << command << ": configuration error: " << e.what() << "\n";
      return kExitConfig;
    }
  }
  if (vm.count("bootstrap") != 0U) {
    config.kafka.bootstrap = bootstrap_;
  }
  return std::nullopt;
}

}  // namespace sfcrimed::daemon
