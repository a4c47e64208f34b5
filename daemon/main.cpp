// sfcrimed: San Francisco police calls for service to live crime statistics, through Kafka.
//
// This is the service's entry point. It parses the command line and hands over to the
// units in lib/; the ingest thread and the pipeline are wired in here as they land.

#include <boost/program_options.hpp>
#include <cstdlib>
#include <iostream>

#include "sfcrimed/version.hpp"

namespace po = boost::program_options;

namespace {

constexpr int kExitUsage = 64;  // EX_USAGE from sysexits.h

}  // namespace

int main(int argc, char** argv) {
  po::options_description options("Options");
  options.add_options()                       //
      ("help,h", "print this help and exit")  //
      ("version", "print the version of sfcrimed and of the libraries it was built with, and exit");

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "sfcrimed: " << e.what() << "\nTry 'sfcrimed --help'.\n";
    return kExitUsage;
  }

  if (vm.count("help") != 0U) {
    std::cout << "Usage: sfcrimed [OPTIONS]\n\n"
                 "Turns San Francisco police calls for service into live crime statistics through\n"
                 "Apache Kafka. A local broker for it: scripts/kafka.sh start (see the README).\n\n"
              << options;
    return EXIT_SUCCESS;
  }
  if (vm.count("version") != 0U) {
    std::cout << sfcrimed::version() << "\n" << sfcrimed::dependency_versions();
    return EXIT_SUCCESS;
  }
  std::cerr << "sfcrimed: nothing to do yet; try 'sfcrimed --help'.\n";
  return kExitUsage;
}
