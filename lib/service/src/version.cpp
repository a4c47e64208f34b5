#include "sfcrimed/version.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <simdjson.h>
#include <boost/version.hpp>

namespace sfcrimed {

std::string version() { return std::string("sfcrimed ") + SFCRIMED_VERSION; }

std::string dependency_versions() {
  std::string text;
  text += "librdkafka     " + RdKafka::version_str() + "\n";
  // On-Demand's kernel is fixed at compile time by the CPU flags (SFCRIMED_ARCH_FLAGS),
  // not chosen at run time as the library's own DOM kernel is.
  text += "simdjson       " + std::to_string(simdjson::SIMDJSON_VERSION_MAJOR) + "." +
          std::to_string(simdjson::SIMDJSON_VERSION_MINOR) + "." + std::to_string(simdjson::SIMDJSON_VERSION_REVISION) +
          " (On-Demand kernel: " + SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION) + ")\n";
  text += "Boost          " + std::to_string(BOOST_VERSION / 100000) + "." +
          std::to_string(BOOST_VERSION / 100 % 1000) + "." + std::to_string(BOOST_VERSION % 100) + "\n";
  text += std::string("prometheus-cpp ") + SFCRIMED_PROMETHEUS_CPP_VERSION + "\n";
  return text;
}

}  // namespace sfcrimed
