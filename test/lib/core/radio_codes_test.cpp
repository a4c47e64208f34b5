#include "sfcrimed/radio_codes.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "temp_files.hpp"

using sfcrimed::RadioCodes;
using sfcrimed::RadioCodesError;

TEST_CASE("the project's own table describes the 19 codes, two of them as Cancel", "[radio_codes]") {
  const auto table = RadioCodes::load(std::string(SFCRIMED_SOURCE_DIR) + "/etc/radio_codes.json");
  CHECK(table.size() == 19);
  CHECK(table.describe("HAN") == "Handled");
  CHECK(table.describe("GOA") == "Gone on Arrival");
  CHECK(table.describe("CAN") == "Cancel");
  CHECK(table.describe("22") == "Cancel");
}

TEST_CASE("the built-in table is etc/radio_codes.json", "[radio_codes]") {
  const auto builtin = RadioCodes::builtin();
  const auto file = RadioCodes::load(std::string(SFCRIMED_SOURCE_DIR) + "/etc/radio_codes.json");
  CHECK(builtin.size() == file.size());
  for (const char* code : {"HAN", "GOA", "CAN", "22", "ADV"}) {
    CHECK(builtin.describe(code) == file.describe(code));
  }
}

TEST_CASE("a code the table lacks has no description (the left join keeps the call)", "[radio_codes]") {
  const auto table = RadioCodes::parse(R"([{"description": "Handled", "disposition_code": "HAN"}])", "inline");
  CHECK(table.describe("HAN") == "Handled");
  CHECK_FALSE(table.describe("Not recorded").has_value());
  CHECK_FALSE(table.describe("han").has_value());  // codes are exact
}

TEST_CASE("the published file's format reads as it is, keys in any order", "[radio_codes]") {
  const auto table = RadioCodes::parse(R"([
    {"description": "Abated", "disposition_code": "ABA"},
    {"disposition_code": "ADM", "description": "Admonished", "note": "extra keys are fine"}
  ])",
                                       "inline");
  CHECK(table.size() == 2);
  CHECK(table.describe("ADM") == "Admonished");
}

TEST_CASE("a table that cannot be used is refused, naming the file and the entry", "[radio_codes]") {
  sfcrimed::test::TempDir dir;
  CHECK_THROWS_WITH(
      RadioCodes::load(dir.file("none.json")),
      Catch::Contains("none.json: cannot read the radio-code table") && Catch::Contains("pipeline.radio_codes"));
  CHECK_THROWS_WITH(RadioCodes::parse(R"({"HAN": "Handled"})", "t.json"),
                    Catch::StartsWith("t.json: expected a JSON array"));
  CHECK_THROWS_WITH(RadioCodes::parse(R"([{"description": "Handled"}])", "t.json"),
                    Catch::StartsWith("t.json: entry 0 has no disposition_code string"));
  CHECK_THROWS_WITH(RadioCodes::parse(R"([{"disposition_code": "HAN"}])", "t.json"),
                    Catch::StartsWith("t.json: entry 0 (HAN) has no description string"));
  CHECK_THROWS_WITH(RadioCodes::parse(R"([{"disposition_code": "HAN", "description": "Handled"},
                                         {"disposition_code": "HAN", "description": "Other"}])",
                                      "t.json"),
                    Catch::Contains("entry 1: code HAN is already described as \"Handled\""));
  CHECK_THROWS_AS(RadioCodes::parse("[1, 2", "t.json"), RadioCodesError);
}

TEST_CASE("the project's table agrees with the published radio_code.json, where it is at hand", "[radio_codes]") {
  const std::string published = std::string(SFCRIMED_SOURCE_DIR) + "/../shared/data/radio_code.json";
  if (!std::filesystem::exists(published)) {
    WARN("not compared: " << published << " is absent");
    return;
  }
  const auto ours = RadioCodes::load(std::string(SFCRIMED_SOURCE_DIR) + "/etc/radio_codes.json");
  const auto theirs = RadioCodes::load(published);
  CHECK(ours.size() == theirs.size());
  for (const char* code : {"ABA", "ADM", "ADV", "ARR", "CAN", "CIT", "CRM", "CSA", "GOA", "HAN", "NCR", "ND", "NOM",
                           "PAS", "REP", "SFD", "UTL", "VAS", "22"}) {
    INFO(code);
    CHECK(ours.describe(code) == theirs.describe(code));
  }
}
