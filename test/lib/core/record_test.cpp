#include "sfcrimed/record.hpp"

#include <catch2/catch.hpp>

using sfcrimed::format_wall_time;
using sfcrimed::parse_wall_time;

TEST_CASE("the schema has the 14 published fields, crime_id first", "[record]") {
  CHECK(sfcrimed::kCallFields.size() == 14);
  CHECK(sfcrimed::kCallFields.front() == "crime_id");
  CHECK(sfcrimed::kCallFields.back() == "common_location");
}

TEST_CASE("date-times are read as written, with no time zone applied", "[record]") {
  // 2018-12-31T23:57:00 is 1546300620 seconds after 1970-01-01T00:00:00 on the same clock.
  CHECK(parse_wall_time("2018-12-31T23:57:00.000") == 1546300620);
  CHECK(parse_wall_time("2018-12-31T23:57:00") == 1546300620);
  CHECK(parse_wall_time("2018-12-31T23:57") == 1546300620);
  CHECK(parse_wall_time("2018-12-31T23:57:00.123456789") == 1546300620);
  CHECK(parse_wall_time("2018-10-02T09:00:00.000") == 1538470800);
  CHECK(parse_wall_time("2016-02-29T00:00") == 1456704000);  // a leap day
}

TEST_CASE("text that is not a real date-time is refused", "[record]") {
  for (const char* text :
       {"", "2018-12-31", "2018-12-31 23:57:00", "2018-02-30T10:00", "2018-13-01T10:00", "2018-12-31T24:00",
        "2018-12-31T23:60", "2018-12-31T23:59:60", "2018-12-31T23:57:00.", "2018-12-31T23:57:00.0000000000",
        "2018-12-31T23:57:00Z", "2018-12-31T23:57:00+01:00", "2017-02-29T00:00", "yesterday", "2018-1a-31T23:57"}) {
    INFO(text);
    CHECK_FALSE(parse_wall_time(text).has_value());
  }
}

TEST_CASE("format_wall_time writes what parse_wall_time reads", "[record]") {
  CHECK(format_wall_time(1546300620) == "2018-12-31T23:57:00");
  for (const sfcrimed::WallSeconds seconds : {0L, 1538470800L, 1546300799L, 1456704000L}) {
    CHECK(parse_wall_time(format_wall_time(seconds)) == seconds);
  }
}
