#include "sfcrimed/stats_topic.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

using sfcrimed::StatsEntry;
using sfcrimed::StatsMetric;
using sfcrimed::StatsTotals;

namespace {

using Counts = std::map<std::string, std::uint64_t, std::less<>>;

constexpr sfcrimed::WallSeconds kNine = 1538470800;  // 2018-10-02T09:00:00
constexpr sfcrimed::WallSeconds kHour = 3600;

StatsEntry crime_type(std::string name, std::int32_t partition, std::uint64_t count,
                      sfcrimed::WallSeconds start = kNine) {
  StatsEntry entry;
  entry.metric = StatsMetric::crime_type;
  entry.window_start = start;
  entry.window_end = start + kHour;
  entry.name = std::move(name);
  entry.partition = partition;
  entry.count = count;
  entry.final = true;
  return entry;
}

StatsEntry disposition(std::string code, std::optional<std::string> description, std::int32_t partition,
                       std::uint64_t count, sfcrimed::WallSeconds start = kNine) {
  StatsEntry entry = crime_type(std::move(code), partition, count, start);
  entry.metric = StatsMetric::disposition;
  entry.description = std::move(description);
  return entry;
}

// Adds `entry` as the pipeline would publish it, and requires that it is taken.
void add(StatsTotals& totals, const StatsEntry& entry) {
  std::string why;
  INFO(sfcrimed::stats_value(entry));
  REQUIRE(totals.add(sfcrimed::stats_key(entry), sfcrimed::stats_value(entry), why));
}

// A good value (of `entry`) with one field's JSON text replaced, for the rejections.
std::string with_field(const std::string& field, const std::string& json_value,
                       const StatsEntry& entry = crime_type("Traffic Stop", 2, 17)) {
  const std::string value = sfcrimed::stats_value(entry);
  const std::string name = "\"" + field + "\":";
  const auto at = value.find(name);
  REQUIRE(at != std::string::npos);
  const auto from = at + name.size();
  const auto to = value.find_first_of(",}", value[from] == '"' ? value.find('"', from + 1) : from);
  return value.substr(0, from) + json_value + value.substr(to);
}

}  // namespace

TEST_CASE("the key and value of an entry are the documented compact JSON", "[stats_topic]") {
  const auto entry = crime_type("Traffic Stop", 2, 17);
  CHECK(sfcrimed::stats_key(entry) == R"(["crime_type","2018-10-02T09:00:00","Traffic Stop",2])");
  CHECK(sfcrimed::stats_value(entry) ==
        R"({"metric":"crime_type","window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00",)"
        R"("name":"Traffic Stop","partition":2,"count":17,"final":true})");
  const auto han = disposition("HAN", "Handled", 0, 5);
  CHECK(sfcrimed::stats_key(han) == R"(["disposition","2018-10-02T09:00:00","HAN",0])");
  CHECK(sfcrimed::stats_value(han) ==
        R"({"metric":"disposition","window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00",)"
        R"("name":"HAN","description":"Handled","partition":0,"count":5,"final":true})");
  CHECK_THAT(sfcrimed::stats_value(disposition("Not recorded", std::nullopt, 1, 3)),
             Catch::Contains(R"("name":"Not recorded","description":null,)"));
}

TEST_CASE("a value reads back as the entry it was written from", "[stats_topic]") {
  auto still_open = disposition("GOA", "Gone on Arrival", 7, 18446744073709551615ULL, kNine + 5 * kHour);
  still_open.final = false;
  for (const auto& entry : {crime_type("Traffic Stop", 2, 17), disposition("HAN", "Handled", 0, 5),
                            disposition("Not recorded", std::nullopt, 1, 0), still_open}) {
    std::string why;
    const auto parsed = sfcrimed::parse_stats_value(sfcrimed::stats_value(entry), why);
    INFO(sfcrimed::stats_value(entry) << " " << why);
    REQUIRE(parsed.has_value());
    CHECK(parsed->metric == entry.metric);
    CHECK(parsed->window_start == entry.window_start);
    CHECK(parsed->window_end == entry.window_end);
    CHECK(parsed->name == entry.name);
    CHECK(parsed->partition == entry.partition);
    CHECK(parsed->count == entry.count);
    CHECK(parsed->description == entry.description);
    CHECK(parsed->final == entry.final);
  }
}

TEST_CASE("names with quotes, backslashes, control characters and UTF-8 survive the round trip", "[stats_topic]") {
  const std::string name = "415 \"Noise\" \\ 5150\t\xc3\xa9t\xc3\xa9 \xe2\x80\x94";
  const auto entry = disposition(name, R"(Said "no" \ left)", 3, 9);
  CHECK_THAT(sfcrimed::stats_key(entry), Catch::Contains(R"("415 \"Noise\" \\ 5150\u0009)"
                                                         "\xc3\xa9t\xc3\xa9 \xe2\x80\x94\""));
  CHECK_THAT(sfcrimed::stats_value(entry), Catch::Contains(R"("description":"Said \"no\" \\ left")"));
  std::string why;
  const auto parsed = sfcrimed::parse_stats_value(sfcrimed::stats_value(entry), why);
  REQUIRE(parsed.has_value());
  CHECK(parsed->name == name);
  CHECK(parsed->description == R"(Said "no" \ left)");

  StatsTotals totals;
  add(totals, entry);  // the key the value implies is the key it was written with
  CHECK_THAT(totals.to_json(false), Catch::Contains(R"({"415 \"Noise\" \\ 5150\u0009)"));
}

TEST_CASE("a value that is not a stats entry is refused with its reason", "[stats_topic]") {
  const std::string good = sfcrimed::stats_value(crime_type("Traffic Stop", 2, 17));
  const std::string without_description =
      R"({"metric":"disposition","window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00",)"
      R"("name":"HAN","partition":0,"count":5,"final":true})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "the value is empty"},
      {"Traffic Stop,17", "not a JSON object"},
      {R"({"metric":"crime_type",)", "not valid JSON"},
      {good.substr(0, good.size() / 2), "not valid JSON"},
      {good + good, "not valid JSON: more text after the object"},
      {"[1,2]", "not a JSON object"},
      {"{}", "metric is missing"},
      {R"({"metric":"crime_type"})", "window_start is missing"},
      {with_field("metric", R"("crime")"), R"(metric "crime" is neither crime_type nor disposition)"},
      {with_field("metric", "1"), "metric is not a string"},
      {with_field("window_start", R"("2018-02-30T09:00:00")"),
       R"(window_start "2018-02-30T09:00:00" is not a date-time)"},
      {with_field("window_end", R"("ten")"), R"(window_end "ten" is not a date-time)"},
      {with_field("window_end", R"("2018-10-02T09:00:00")"),
       "window_end 2018-10-02T09:00:00 is not after window_start 2018-10-02T09:00:00"},
      {with_field("name", R"("")"), "name is empty"},
      {with_field("name", "null"), "name is not a string"},
      {with_field("partition", "-1"), "partition is not a partition number"},
      {with_field("partition", "2147483648"), "partition is not a partition number"},
      {with_field("count", "-3"), "count is not an unsigned integer"},
      {with_field("count", "1.5"), "count is not an unsigned integer"},
      {with_field("count", R"("17")"), "count is not an unsigned integer"},
      {with_field("final", "1"), "final is not true or false"},
      {R"({"count":1,"count":2})", "duplicate key count"},
      {without_description, "description is missing"},
      {with_field("description", "7", disposition("HAN", "Handled", 0, 5)), "description is neither a string nor null"},
  };
  for (const auto& [value, reason_start] : cases) {
    INFO(value);
    std::string why;
    CHECK_FALSE(sfcrimed::parse_stats_value(value, why).has_value());
    CHECK_THAT(why, Catch::StartsWith(reason_start));
  }
}

TEST_CASE("fields in any order and fields a later writer adds are read", "[stats_topic]") {
  std::string why;
  const auto parsed = sfcrimed::parse_stats_value(
      R"({"final":false,"count":3,"partition":1,"name":"Passing Call","future":{"a":[1]},)"
      R"("window_end":"2018-10-02T10:00","window_start":"2018-10-02T09:00","metric":"crime_type"})",
      why);
  INFO(why);
  REQUIRE(parsed.has_value());
  CHECK(parsed->name == "Passing Call");
  CHECK(parsed->window_start == kNine);
  CHECK(parsed->count == 3);
  CHECK_FALSE(parsed->final);
}

TEST_CASE("a later message with the same key replaces the earlier one", "[stats_topic]") {
  StatsTotals totals;
  add(totals, crime_type("Traffic Stop", 0, 4));
  add(totals, crime_type("Traffic Stop", 0, 9));
  add(totals, crime_type("Traffic Stop", 0, 7));  // counts are the share's truth, not increments
  CHECK(totals.calls() == 7);
  CHECK(totals.crime_types() == Counts{{"Traffic Stop", 7}});
}

TEST_CASE("a tombstone removes its key, and a value that is no entry replaces it too", "[stats_topic]") {
  StatsTotals totals;
  const auto stop = crime_type("Traffic Stop", 0, 4);
  const auto call = crime_type("Passing Call", 0, 6);
  add(totals, stop);
  add(totals, call);
  std::string why;
  CHECK(totals.add(sfcrimed::stats_key(stop), "", why));
  CHECK(totals.calls() == 6);
  CHECK_FALSE(totals.crime_types().contains("Traffic Stop"));

  CHECK_FALSE(totals.add(sfcrimed::stats_key(call), "{\"count\":", why));
  CHECK_THAT(why, Catch::StartsWith("not valid JSON"));
  CHECK(totals.calls() == 0);
  CHECK(totals.add("[\"no such key\"]", "", why));  // a tombstone for nothing is fine
}

TEST_CASE("a key that is not the value's own key is refused", "[stats_topic]") {
  StatsTotals totals;
  std::string why;
  const auto entry = crime_type("Traffic Stop", 0, 4);
  CHECK_FALSE(totals.add(sfcrimed::stats_key(crime_type("Traffic Stop", 1, 4)), sfcrimed::stats_value(entry), why));
  CHECK(why == R"(the key ["crime_type","2018-10-02T09:00:00","Traffic Stop",1] is not the value's key )"
               R"(["crime_type","2018-10-02T09:00:00","Traffic Stop",0])");
  CHECK(totals.calls() == 0);
}

TEST_CASE("counts are summed over partitions and windows", "[stats_topic]") {
  StatsTotals totals;
  add(totals, crime_type("Traffic Stop", 0, 4));
  add(totals, crime_type("Traffic Stop", 1, 5));
  add(totals, crime_type("Traffic Stop", 0, 10, kNine + kHour));
  add(totals, crime_type("Passing Call", 2, 3));
  add(totals, disposition("HAN", "Handled", 0, 11));
  add(totals, disposition("HAN", "Handled", 1, 2, kNine + kHour));
  add(totals, disposition("Not recorded", std::nullopt, 2, 9));
  CHECK(totals.calls() == 22);
  CHECK(totals.crime_types() == Counts{{"Passing Call", 3}, {"Traffic Stop", 19}});
  const auto dispositions = totals.dispositions();
  REQUIRE(dispositions.size() == 2);
  CHECK(dispositions.at("HAN").count == 13);
  CHECK(dispositions.at("HAN").description == "Handled");
  CHECK(dispositions.at("Not recorded").count == 9);
  CHECK_FALSE(dispositions.at("Not recorded").description.has_value());

  const auto windows = totals.windows();
  REQUIRE(windows.size() == 3);
  CHECK(windows[0].start == kNine);
  CHECK(windows[0].end == kNine + kHour);
  CHECK(windows[0].crime_type == "Passing Call");
  CHECK(windows[0].count == 3);
  CHECK(windows[1].crime_type == "Traffic Stop");
  CHECK(windows[1].count == 9);
  CHECK(windows[2].start == kNine + kHour);
  CHECK(windows[2].count == 10);
}

TEST_CASE("the sums follow every replacement, and a window whose shares are all gone is gone", "[stats_topic]") {
  StatsTotals totals;
  totals.add(crime_type("Traffic Stop", 0, 4));  // as the pipeline hands its entries over
  totals.add(crime_type("Traffic Stop", 1, 5));
  totals.add(crime_type("Passing Call", 0, 2, kNine + kHour));
  totals.add(crime_type("Traffic Stop", 0, 6));  // the share grew: 6 + 5, not 4 + 5 + 6
  REQUIRE(totals.by_window().size() == 2);
  CHECK(totals.by_window().at(kNine).calls == 11);
  CHECK(totals.by_window().at(kNine).end == kNine + kHour);
  CHECK(totals.by_window().at(kNine).crime_types == Counts{{"Traffic Stop", 11}});
  CHECK(totals.calls() == 13);

  std::string why;
  CHECK(totals.add(sfcrimed::stats_key(crime_type("Passing Call", 0, 2, kNine + kHour)), "", why));
  CHECK(totals.by_window().size() == 1);
  CHECK_FALSE(totals.crime_types().contains("Passing Call"));
  CHECK(totals.calls() == 11);
  // Entries added either way meet in the same sums.
  add(totals, crime_type("Traffic Stop", 1, 1));
  CHECK(totals.crime_types() == Counts{{"Traffic Stop", 7}});
  CHECK(totals.by_window().at(kNine).calls == 7);
}

TEST_CASE("largest_first orders by count, ties by name, and keeps the top", "[stats_topic]") {
  const Counts counts = {{"b", 3}, {"a", 3}, {"c", 9}, {"d", 1}};
  const auto rows = sfcrimed::largest_first(counts, 3, [](std::uint64_t count) { return count; });
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]->first == "c");
  CHECK(rows[1]->first == "a");
  CHECK(rows[2]->first == "b");
  CHECK(sfcrimed::largest_first(counts, 0, [](std::uint64_t count) { return count; }).size() == 4);
}

TEST_CASE("counts near the 64-bit limit are summed exactly", "[stats_topic]") {
  StatsTotals totals;
  add(totals, crime_type("Traffic Stop", 0, 9007199254740993ULL));  // 2^53 + 1: no double on the way
  add(totals, crime_type("Traffic Stop", 1, 1));
  CHECK(totals.calls() == 9007199254740994ULL);
  CHECK_THAT(totals.to_json(false), Catch::Contains(R"("Traffic Stop":9007199254740994)"));
}

TEST_CASE("the JSON line is exactly one object in name order", "[stats_topic]") {
  StatsTotals totals;
  add(totals, crime_type("Traffic Stop", 0, 4));
  add(totals, crime_type("Traffic Stop", 1, 5));
  add(totals, crime_type("Passing Call", 1, 2, kNine + kHour));
  add(totals, disposition("Not recorded", std::nullopt, 0, 1));
  add(totals, disposition("HAN", "Handled", 1, 10));
  totals.set_malformed(3);
  CHECK(totals.to_json(false) == R"({"calls":11,"crime_types":{"Passing Call":2,"Traffic Stop":9},)"
                                 R"("dispositions":{"HAN":{"description":"Handled","count":10},)"
                                 R"("Not recorded":{"description":null,"count":1}},"malformed":3})");
  CHECK(totals.to_json(true) ==
        R"({"calls":11,"crime_types":{"Passing Call":2,"Traffic Stop":9},)"
        R"("dispositions":{"HAN":{"description":"Handled","count":10},)"
        R"("Not recorded":{"description":null,"count":1}},"malformed":3,)"
        R"("windows":[{"start":"2018-10-02T09:00:00","end":"2018-10-02T10:00:00","crime_type":"Traffic Stop",)"
        R"("count":9},{"start":"2018-10-02T10:00:00","end":"2018-10-02T11:00:00","crime_type":"Passing Call",)"
        R"("count":2}]})");
  CHECK(StatsTotals().to_json(true) == R"({"calls":0,"crime_types":{},"dispositions":{},"malformed":0,"windows":[]})");
}

TEST_CASE("the tables show the largest first, ties by name, and codes the table lacks", "[stats_topic]") {
  StatsTotals totals;
  add(totals, crime_type("Traffic Stop", 0, 120));
  add(totals, crime_type("Passing Call", 0, 7));
  add(totals, crime_type("Audible Alarm", 1, 7));
  add(totals, crime_type("Noise", 1, 1));
  add(totals, crime_type("Traffic Stop", 1, 3, kNine + kHour));
  add(totals, disposition("HAN", "Handled", 0, 130));
  add(totals, disposition("Not recorded", std::nullopt, 1, 8));
  totals.set_malformed(2);
  CHECK(totals.to_tables(3, false) ==
        "calls 138, malformed 2, windows 2, crime types 4, dispositions 2\n"
        "\n"
        "Top 3 crime types (of 4)\n"
        "count  crime type\n"
        "  123  Traffic Stop\n"
        "    7  Audible Alarm\n"
        "    7  Passing Call\n"
        "\n"
        "Top 2 dispositions\n"
        "count  code          description\n"
        "  130  HAN           Handled\n"
        "    8  Not recorded  (not in the radio-code table)\n");
  const std::string with_windows = totals.to_tables(0, true);
  CHECK_THAT(with_windows, Catch::Contains("Top 4 crime types\n"));
  CHECK_THAT(with_windows, Catch::EndsWith("\nWindows (2)\n"
                                           "start             end               calls  largest crime types\n"
                                           "2018-10-02 09:00  2018-10-02 10:00    135  Traffic Stop 120, Audible "
                                           "Alarm 7, Passing Call 7, ...\n"
                                           "2018-10-02 10:00  2018-10-02 11:00      3  Traffic Stop 3\n"));
  CHECK(StatsTotals().to_tables(10, false) ==
        "calls 0, malformed 0, windows 0, crime types 0, dispositions 0\n\nNo crime types\n\nNo dispositions\n");
}
