#include "sfcrimed/version.hpp"

#include <catch2/catch.hpp>

TEST_CASE("the version names sfcrimed and each library with a version number", "[version]") {
  CHECK_THAT(sfcrimed::version(), Catch::Matches(R"(sfcrimed \d+\.\d+\.\d+)"));
  const std::string libraries = sfcrimed::dependency_versions();
  for (const char* name : {"librdkafka     2.", "simdjson       3.", "Boost          1.81.", "prometheus-cpp 1."}) {
    CHECK_THAT(libraries, Catch::Contains(name));
  }
}
