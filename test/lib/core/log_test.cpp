#include "sfcrimed/log.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include "temp_files.hpp"

namespace {

std::string contents(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("levels parse by name, and lines above the threshold are dropped", "[log]") {
  CHECK(sfcrimed::log::parse_level("warning") == sfcrimed::log::Level::warning);
  CHECK_FALSE(sfcrimed::log::parse_level("loud"));
  CHECK(sfcrimed::log::level_name(sfcrimed::log::Level::debug) == "debug");
  sfcrimed::log::set_level(sfcrimed::log::Level::notice);
  CHECK(sfcrimed::log::enabled(sfcrimed::log::Level::error));
  CHECK_FALSE(sfcrimed::log::enabled(sfcrimed::log::Level::info));
  sfcrimed::log::set_level(sfcrimed::log::Level::info);
}

TEST_CASE("a log file gets timestamped, prefixed lines and is reopened after logrotate moved it", "[log]") {
  const sfcrimed::test::TempDir dir;
  const std::string path = dir.file("sfcrimed.log");
  sfcrimed::log::open_file(path);
  sfcrimed::log::notice("test", "before the rotation");
  std::filesystem::rename(path, dir.file("sfcrimed.log.1"));
  sfcrimed::log::info("test", "after the move, before the reopen");
  REQUIRE(sfcrimed::log::reopen_file());
  sfcrimed::log::warning("test", "after the reopen");
  sfcrimed::log::use_stderr();
  sfcrimed::log::info("test", "back on stderr");

  const std::string rotated = contents(dir.file("sfcrimed.log.1"));
  const std::string current = contents(path);
  CHECK(std::regex_match(rotated, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z <5>test: before the rotation
\S+ <6>test: after the move, before the reopen
)")));
  CHECK(std::regex_match(current, std::regex(R"(\S+Z <4>test: after the reopen
)")));
}

TEST_CASE("a log file that cannot be opened is an error that says why", "[log]") {
  const sfcrimed::test::TempDir dir;
  CHECK_THROWS_WITH(sfcrimed::log::open_file(dir.file("missing/dir/x.log")),
                    Catch::Contains("cannot open the log file") && Catch::Contains("No such file or directory"));
  CHECK(sfcrimed::log::reopen_file());  // still on stderr: nothing to reopen
}
