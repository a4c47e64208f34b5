#include "sfcrimed/duration.hpp"

#include <catch2/catch.hpp>

TEST_CASE("durations read and print in their shortest exact form", "[config]") {
  using std::chrono::milliseconds;
  CHECK(sfcrimed::parse_duration("1h") == milliseconds(3'600'000));
  CHECK(sfcrimed::parse_duration("90") == milliseconds(90'000));
  CHECK(sfcrimed::parse_duration("250ms") == milliseconds(250));
  CHECK(sfcrimed::parse_duration("2d") == milliseconds(172'800'000));
  CHECK_FALSE(sfcrimed::parse_duration("h"));
  CHECK_FALSE(sfcrimed::parse_duration("1 h"));
  CHECK_FALSE(sfcrimed::parse_duration("-1s"));
  CHECK(sfcrimed::format_duration(milliseconds(3'600'000)) == "1h");
  CHECK(sfcrimed::format_duration(milliseconds(90'000)) == "90s");
  CHECK(sfcrimed::format_duration(milliseconds(1500)) == "1500ms");
  CHECK(sfcrimed::format_duration(milliseconds(0)) == "0");
}
