#include "sfcrimed/sample.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "sfcrimed/call_file.hpp"
#include "temp_files.hpp"

using sfcrimed::CallFile;
using sfcrimed::make_sample;
using sfcrimed::OnBadRecord;
using sfcrimed::ReplayOrder;

TEST_CASE("the same options give the same sample, byte for byte", "[sample]") {
  CHECK(make_sample({500, 7}, false) == make_sample({500, 7}, false));
  CHECK(make_sample({500, 7}, true) == make_sample({500, 7}, true));
  CHECK(make_sample({500, 7}, false) != make_sample({500, 8}, false));
}

TEST_CASE("a sample reads back as the records asked for, newest first, with duplicates", "[sample]") {
  sfcrimed::test::TempDir dir;
  for (const char* name : {"calls.json", "calls.jsonl", "calls.json.gz", "calls.jsonl.bz2"}) {
    INFO(name);
    const std::string path = dir.file(name);
    sfcrimed::write_sample(path, {5000, 3});
    const CallFile file = CallFile::load(path, ReplayOrder::file, OnBadRecord::fail);
    REQUIRE(file.calls().size() == 5000);
    CHECK(file.bad_records().empty());
    std::set<std::string> ids;
    for (std::size_t i = 0; i < file.calls().size(); ++i) {
      ids.insert(file.calls()[i].crime_id);
      if (i > 0) {
        CHECK(file.calls()[i].time <= file.calls()[i - 1].time);  // never increases, as published
      }
    }
    CHECK(sfcrimed::sample_duplicates(5000) == 1);
    CHECK(ids.size() == 5000 - 1);  // one call twice
  }
}

TEST_CASE("a sample looks like the published data", "[sample]") {
  const std::string text = make_sample({20000, 1}, true);
  std::istringstream lines(text);
  std::string line;
  std::set<std::string> types;
  std::size_t not_recorded = 0;
  std::size_t count = 0;
  while (std::getline(lines, line)) {
    ++count;
    for (const auto field : sfcrimed::kCallFields) {
      REQUIRE(line.find("\"" + std::string(field) + "\": \"") != std::string::npos);
    }
    const auto at = line.find(R"("original_crime_type_name": ")") + 29;
    types.insert(line.substr(at, line.find('"', at) - at));
    not_recorded += line.find(R"("disposition": "Not recorded")") != std::string::npos ? 1 : 0;
  }
  CHECK(count == 20000);
  CHECK(types.size() > 500);   // a long tail of free-text and radio-code types
  CHECK(not_recorded > 1000);  // about one call in ten, as in the published data
  CHECK(not_recorded < 3000);
}
