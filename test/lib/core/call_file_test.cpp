#include "sfcrimed/call_file.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "sfcrimed/sample.hpp"
#include "temp_files.hpp"

using sfcrimed::CallFile;
using sfcrimed::CallFileError;
using sfcrimed::OnBadRecord;
using sfcrimed::ReplayOrder;
using sfcrimed::test::TempDir;

namespace {

std::string call(const std::string& id, const std::string& time) {
  return R"({"crime_id": ")" + id + R"(", "original_crime_type_name": "Passing Call", "call_date_time": ")" + time +
         R"(", "disposition": "HAN"})";
}

// The message of the CallFileError that loading `path` throws ("" when none is thrown).
std::string load_error(const std::string& path, OnBadRecord on_bad = OnBadRecord::fail) {
  try {
    CallFile::load(path, ReplayOrder::event_time, on_bad);
  } catch (const CallFileError& e) {
    return e.what();
  }
  return "";
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("a JSON array is replayed in event-time order, or in file order", "[call_file]") {
  TempDir dir;
  const std::string path =
      dir.write("calls.json", "[\n  " + call("3", "2018-10-03T10:00:00.000") + ",\n  " + call("1", "2018-10-01T10:00") +
                                  ",\n  " + call("2", "2018-10-02T10:00:00") + "\n]\n");
  const CallFile by_time = CallFile::load(path, ReplayOrder::event_time, OnBadRecord::fail);
  REQUIRE(by_time.calls().size() == 3);
  CHECK(by_time.calls()[0].crime_id == "1");
  CHECK(by_time.calls()[1].crime_id == "2");
  CHECK(by_time.calls()[2].crime_id == "3");
  CHECK(by_time.calls()[0].index == 1);  // its place in the file

  const CallFile as_filed = CallFile::load(path, ReplayOrder::file, OnBadRecord::fail);
  CHECK(as_filed.calls()[0].crime_id == "3");
  CHECK(as_filed.calls()[2].crime_id == "2");
}

TEST_CASE("equal times keep their file order", "[call_file]") {
  TempDir dir;
  const std::string path =
      dir.write("calls.jsonl", call("b", "2018-10-01T10:00") + "\n" + call("a", "2018-10-01T10:00") + "\n" +
                                   call("c", "2018-09-01T10:00") + "\n");
  const CallFile file = CallFile::load(path, ReplayOrder::event_time, OnBadRecord::fail);
  REQUIRE(file.calls().size() == 3);
  CHECK(file.calls()[0].crime_id == "c");
  CHECK(file.calls()[1].crime_id == "b");
  CHECK(file.calls()[2].crime_id == "a");
}

TEST_CASE("each format and compression reads the same calls", "[call_file]") {
  TempDir dir;
  const std::string reference_path = dir.file("calls.json");
  sfcrimed::write_sample(reference_path, {800, 5});
  const CallFile reference = CallFile::load(reference_path, ReplayOrder::event_time, OnBadRecord::fail);
  for (const char* name : {"calls.json.gz", "calls.json.bz2", "calls.jsonl", "calls.jsonl.gz", "calls.ndjson.bz2"}) {
    INFO(name);
    sfcrimed::write_sample(dir.file(name), {800, 5});
    const CallFile file = CallFile::load(dir.file(name), ReplayOrder::event_time, OnBadRecord::fail);
    REQUIRE(file.calls().size() == reference.calls().size());
    std::string compact;
    std::string reference_compact;
    for (std::size_t i = 0; i < file.calls().size(); ++i) {
      sfcrimed::compact_json(file.calls()[i].json, compact);
      sfcrimed::compact_json(reference.calls()[i].json, reference_compact);
      REQUIRE(compact == reference_compact);
      REQUIRE(file.calls()[i].crime_id == reference.calls()[i].crime_id);
    }
  }
}

TEST_CASE("a record's value is its JSON without insignificant whitespace", "[call_file]") {
  std::string out = "old contents";
  sfcrimed::compact_json("{\n    \"crime_id\": \"1\",\n    \"address\": \"Geary Bl / 5th St\"\n}", out);
  CHECK(out == R"({"crime_id":"1","address":"Geary Bl / 5th St"})");
}

TEST_CASE("bad files are refused with the file named and what to do", "[call_file]") {
  TempDir dir;
  CHECK_THAT(load_error(dir.file("missing.json")),
             Catch::StartsWith(dir.file("missing.json") + ": cannot open: No such file or directory"));
  CHECK_THAT(load_error(dir.write("empty.json", " \n")), Catch::Contains("the file is empty"));
  CHECK_THAT(load_error(dir.write("text.json", "crime_id,call_date_time\n1,2018\n")),
             Catch::Contains("not JSON: expected a JSON array of calls ('[') or JSON lines ('{'), found 'c'"));
  CHECK_THAT(load_error(dir.write("cut.json", "[" + call("1", "2018-10-01T10:00") + ", {\"crime_id\": \"2")),
             Catch::Contains("does not end with ']': the file is truncated"));
  CHECK_THAT(load_error(dir.write("broken.json", "[" + call("1", "2018-10-01T10:00") + ", {\"crime_id\" ]")),
             Catch::Contains("not valid JSON"));
  CHECK_THAT(load_error(dir.write("bad-utf8.json", "[{\"crime_id\": \"\xff\xfe\"}]")),
             Catch::Contains("not valid JSON"));
}

TEST_CASE("compressed files cut short are refused", "[call_file]") {
  TempDir dir;
  for (const char* name : {"calls.json.gz", "calls.json.bz2"}) {
    INFO(name);
    sfcrimed::write_sample(dir.file(name), {2000, 1});
    const std::string whole = read_bytes(dir.file(name));
    // Named so that write() stores the bytes as they are; the reader goes by content.
    const std::string cut = dir.write(std::string(name) + ".part", whole.substr(0, whole.size() / 2));
    CHECK_THAT(load_error(cut), Catch::Contains("truncated"));
  }
}

TEST_CASE("bad records: fail names the first one, skip counts them all and says why", "[call_file]") {
  TempDir dir;
  const std::string records = "[" + call("1", "2018-10-01T10:00") +
                              R"(, 42, [1, 2], {"call_date_time": "2018-10-01T10:00"},
                                 {"crime_id": "", "call_date_time": "2018-10-01T10:00"},
                                 {"crime_id": 7, "call_date_time": "2018-10-01T10:00"},
                                 {"crime_id": "8"}, )" +
                              call("9", "2018-02-30T10:00") + ", " + call("10", "2018-10-01T11:00") + "]";
  const std::string path = dir.write("mixed.json", records);
  CHECK_THAT(load_error(path),
             Catch::Contains(path + ": record 1 is a number, not an object") && Catch::Contains("nothing was sent"));

  const CallFile file = CallFile::load(path, ReplayOrder::file, OnBadRecord::skip);
  REQUIRE(file.calls().size() == 2);
  CHECK(file.calls()[0].crime_id == "1");
  CHECK(file.calls()[1].crime_id == "10");
  REQUIRE(file.bad_records().size() == 7);
  const std::vector<std::pair<std::size_t, std::string>> expected = {
      {1, "is a number, not an object"},
      {2, "is an array, not an object"},
      {3, "has no crime_id"},
      {4, "has an empty crime_id"},
      {5, "has a crime_id that is not a string"},
      {6, "has no call_date_time"},
      {7, "has call_date_time \"2018-02-30T10:00\", not a date-time (YYYY-MM-DDTHH:MM[:SS[.fff]])"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(file.bad_records()[i].index == expected[i].first);
    CHECK(file.bad_records()[i].reason == expected[i].second);
  }
}

TEST_CASE("a bad line of JSON lines is one bad record, and the others are read", "[call_file]") {
  TempDir dir;
  const std::string path = dir.write("calls.jsonl", call("1", "2018-10-01T10:00") + "\n{\"crime_id\": \"2\", \n\n" +
                                                        call("3", "2018-10-01T09:00") + "\r\n");
  const CallFile file = CallFile::load(path, ReplayOrder::event_time, OnBadRecord::skip);
  REQUIRE(file.calls().size() == 2);
  CHECK(file.calls()[0].crime_id == "3");
  REQUIRE(file.bad_records().size() == 1);
  CHECK(file.bad_records()[0].index == 1);
  CHECK_THAT(file.bad_records()[0].reason, Catch::StartsWith("is not valid JSON"));
}
