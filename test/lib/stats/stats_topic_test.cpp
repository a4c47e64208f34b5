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

// The stats topic as the pipeline writes it: each share whole, with every count of its
// window and partition so far; `add` changes one count and publishes its share again.
class Shares {
 public:
  explicit Shares(StatsTotals& totals) : totals_(totals) {}
  void add(const StatsEntry& entry) {
    auto& share = shares_[{entry.window_start, entry.partition}];
    const auto same = [&](const StatsEntry& other) { return other.metric == entry.metric && other.name == entry.name; };
    if (const auto found = std::find_if(share.begin(), share.end(), same); found != share.end()) {
      *found = entry;
    } else {
      share.push_back(entry);
    }
    std::string why;
    const std::string value = sfcrimed::share_value(share);
    INFO(value);
    REQUIRE(totals_.add(sfcrimed::share_key(entry.window_start, entry.partition), value, why));
  }

 private:
  StatsTotals& totals_;
  std::map<std::pair<sfcrimed::WallSeconds, std::int32_t>, std::vector<StatsEntry>> shares_;
};

// One share of four counts.
std::vector<StatsEntry> a_share() {
  return {crime_type("Traffic Stop", 2, 9), crime_type("Passing Call", 2, 8), disposition("HAN", "Handled", 2, 12),
          disposition("XYZ", std::nullopt, 2, 5)};
}

// A good value (of a_share()) with one field's JSON text replaced, for the rejections.
std::string with_field(const std::string& field, const std::string& json_value) {
  const std::string value = sfcrimed::share_value(a_share());
  const std::string name = "\"" + field + "\":";
  const auto at = value.find(name);
  REQUIRE(at != std::string::npos);
  const auto from = at + name.size();
  std::size_t to = 0;
  if (field == "dispositions") {
    to = value.size() - 1;  // the last field, an object of objects
  } else if (value[from] == '{') {
    to = value.find('}', from) + 1;
  } else {
    to = value.find_first_of(",}", value[from] == '"' ? value.find('"', from + 1) : from);
  }
  return value.substr(0, from) + json_value + value.substr(to);
}

}  // namespace

TEST_CASE("the key and value of a share are the documented compact JSON", "[stats_topic]") {
  CHECK(sfcrimed::share_key(kNine, 2) == R"(["2018-10-02T09:00:00",2])");
  CHECK(sfcrimed::share_value(a_share()) ==
        R"({"window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00","partition":2,"final":true,)"
        R"("calls":17,"crime_types":{"Traffic Stop":9,"Passing Call":8},)"
        R"("dispositions":{"HAN":{"description":"Handled","count":12},"XYZ":{"description":null,"count":5}}})");
  auto open = a_share();
  open.resize(1);
  open[0].final = false;
  CHECK(sfcrimed::share_value(open) ==
        R"({"window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00","partition":2,"final":false,)"
        R"("calls":9,"crime_types":{"Traffic Stop":9},"dispositions":{}})");
}

TEST_CASE("a share reads back as the counts it was written from", "[stats_topic]") {
  auto still_open = disposition("GOA", "Gone on Arrival", 7, 18446744073709551615ULL, kNine + 5 * kHour);
  still_open.final = false;
  for (const auto& share : {a_share(), std::vector<StatsEntry>{still_open}}) {
    std::string why;
    const std::string value = sfcrimed::share_value(share);
    const auto parsed = sfcrimed::parse_share_value(value, why);
    INFO(value << " " << why);
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->size() == share.size());
    for (std::size_t i = 0; i < share.size(); ++i) {
      const auto& got = (*parsed)[i];
      CHECK(got.metric == share[i].metric);
      CHECK(got.window_start == share[i].window_start);
      CHECK(got.window_end == share[i].window_end);
      CHECK(got.name == share[i].name);
      CHECK(got.partition == share[i].partition);
      CHECK(got.count == share[i].count);
      CHECK(got.description == share[i].description);
      CHECK(got.final == share[i].final);
    }
  }
}

TEST_CASE("names with quotes, backslashes, control characters and UTF-8 survive the round trip", "[stats_topic]") {
  const std::string name = "415 \"Noise\" \\ 5150\t\xc3\xa9t\xc3\xa9 \xe2\x80\x94";
  const std::vector<StatsEntry> share = {crime_type(name, 3, 2), disposition(name, R"(Said "no" \ left)", 3, 9)};
  const std::string value = sfcrimed::share_value(share);
  CHECK_THAT(value, Catch::Contains(R"("415 \"Noise\" \\ 5150\u0009)"
                                    "\xc3\xa9t\xc3\xa9 \xe2\x80\x94\""));
  CHECK_THAT(value, Catch::Contains(R"("description":"Said \"no\" \\ left")"));
  std::string why;
  const auto parsed = sfcrimed::parse_share_value(value, why);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0].name == name);
  CHECK((*parsed)[1].name == name);
  CHECK((*parsed)[1].description == R"(Said "no" \ left)");

  StatsTotals totals;
  Shares(totals).add(share[0]);
  CHECK_THAT(totals.to_json(false), Catch::Contains(R"({"415 \"Noise\" \\ 5150\u0009)"));
}

TEST_CASE("a value that is not a share is refused with its reason", "[stats_topic]") {
  const std::string good = sfcrimed::share_value(a_share());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "the value is empty"},
      {"Traffic Stop,17", "not a JSON object"},
      {R"({"window_start":)", "not valid JSON"},
      {good.substr(0, good.size() / 2), "not valid JSON"},
      {good + good, "not valid JSON: more text after the object"},
      {"[1,2]", "not a JSON object"},
      {"{}", "window_start is missing"},
      {R"({"window_start":"2018-10-02T09:00:00"})", "window_end is missing"},
      {with_field("window_start", R"("2018-02-30T09:00:00")"),
       R"(window_start "2018-02-30T09:00:00" is not a date-time)"},
      {with_field("window_end", R"("ten")"), R"(window_end "ten" is not a date-time)"},
      {with_field("window_end", R"("2018-10-02T09:00:00")"),
       "window_end 2018-10-02T09:00:00 is not after window_start 2018-10-02T09:00:00"},
      {with_field("partition", "-1"), "partition is not a partition number"},
      {with_field("partition", "2147483648"), "partition is not a partition number"},
      {with_field("final", "1"), "final is not true or false"},
      {with_field("calls", "-3"), "calls is not an unsigned integer"},
      {with_field("calls", "16"), "calls 16 is not the sum of the crime types' counts, 17"},
      {with_field("crime_types", "[]"), "crime_types is not an object"},
      {with_field("crime_types", R"({"Traffic Stop":9,"Passing Call":1.5})"),
       R"(crime_types "Passing Call" is not an unsigned integer)"},
      {with_field("crime_types", R"({"":17})"), "crime_types has an empty name"},
      {with_field("dispositions", R"({"HAN":{"count":1}})"), R"(dispositions "HAN": description is missing)"},
      {with_field("dispositions", R"({"HAN":{"description":7,"count":1}})"),
       R"(dispositions "HAN": description is neither a string nor null)"},
      {with_field("dispositions", R"({"HAN":{"description":null,"count":"1"}})"),
       R"(dispositions "HAN": count is missing or not an unsigned integer)"},
      {with_field("dispositions", R"({"HAN":3})"), R"(dispositions "HAN" is not an object)"},
      {R"({"calls":1,"calls":2})", "duplicate key calls"},
      {R"({"metric":"crime_type","window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00",)"
       R"("name":"Traffic Stop","partition":2,"count":17,"final":true})",
       std::string(sfcrimed::kOldStatsFormat)},
  };
  for (const auto& [value, reason_start] : cases) {
    INFO(value);
    std::string why;
    CHECK_FALSE(sfcrimed::parse_share_value(value, why).has_value());
    CHECK_THAT(why, Catch::StartsWith(reason_start));
  }
}

TEST_CASE("fields in any order and fields a later writer adds are read", "[stats_topic]") {
  std::string why;
  const auto parsed = sfcrimed::parse_share_value(
      R"({"final":false,"dispositions":{},"future":{"a":[1]},"crime_types":{"Passing Call":3},"calls":3,)"
      R"("partition":1,"window_end":"2018-10-02T10:00","window_start":"2018-10-02T09:00"})",
      why);
  INFO(why);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 1);
  CHECK(parsed->front().name == "Passing Call");
  CHECK(parsed->front().window_start == kNine);
  CHECK(parsed->front().partition == 1);
  CHECK(parsed->front().count == 3);
  CHECK_FALSE(parsed->front().final);
}

TEST_CASE("a later message with the same key replaces the earlier one", "[stats_topic]") {
  StatsTotals totals;
  Shares shares(totals);
  shares.add(crime_type("Traffic Stop", 0, 4));
  shares.add(crime_type("Traffic Stop", 0, 9));
  shares.add(crime_type("Traffic Stop", 0, 7));  // counts are the share's truth, not increments
  CHECK(totals.calls() == 7);
  CHECK(totals.crime_types() == Counts{{"Traffic Stop", 7}});
}

TEST_CASE("a tombstone removes its share, and a value that is no share replaces it too", "[stats_topic]") {
  StatsTotals totals;
  Shares shares(totals);
  shares.add(crime_type("Traffic Stop", 0, 4));
  shares.add(disposition("HAN", "Handled", 0, 4));
  shares.add(crime_type("Passing Call", 1, 6));
  std::string why;
  CHECK(totals.add(sfcrimed::share_key(kNine, 0), "", why));
  CHECK(totals.calls() == 6);
  CHECK_FALSE(totals.crime_types().contains("Traffic Stop"));
  CHECK(totals.dispositions().empty());

  CHECK_FALSE(totals.add(sfcrimed::share_key(kNine, 1), "{\"calls\":", why));
  CHECK_THAT(why, Catch::StartsWith("not valid JSON"));
  CHECK(totals.calls() == 0);
  CHECK(totals.add("[\"no such key\"]", "", why));  // a tombstone for nothing is fine
}

TEST_CASE("a later share drops the counts it no longer has", "[stats_topic]") {
  StatsTotals totals;
  const std::vector<StatsEntry> both = {crime_type("Traffic Stop", 0, 4), crime_type("Passing Call", 0, 2)};
  totals.add_share(both);
  totals.add_share(std::vector<StatsEntry>{crime_type("Traffic Stop", 0, 5)});
  CHECK(totals.crime_types() == Counts{{"Traffic Stop", 5}});
  CHECK(totals.calls() == 5);
}

TEST_CASE("a key that is not the value's own key is refused", "[stats_topic]") {
  StatsTotals totals;
  std::string why;
  CHECK_FALSE(totals.add(sfcrimed::share_key(kNine, 1), sfcrimed::share_value(a_share()), why));
  CHECK(why == R"(the key ["2018-10-02T09:00:00",1] is not the value's key ["2018-10-02T09:00:00",2])");
  CHECK(totals.calls() == 0);
}

TEST_CASE("counts are summed over partitions and windows", "[stats_topic]") {
  StatsTotals totals;
  Shares shares(totals);
  shares.add(crime_type("Traffic Stop", 0, 4));
  shares.add(crime_type("Traffic Stop", 1, 5));
  shares.add(crime_type("Traffic Stop", 0, 10, kNine + kHour));
  shares.add(crime_type("Passing Call", 2, 3));
  shares.add(disposition("HAN", "Handled", 0, 11));
  shares.add(disposition("HAN", "Handled", 1, 2, kNine + kHour));
  shares.add(disposition("Not recorded", std::nullopt, 2, 9));
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
  const auto share = [&](const StatsEntry& entry) { totals.add_share(std::vector<StatsEntry>{entry}); };
  share(crime_type("Traffic Stop", 0, 4));  // as the pipeline hands its shares over
  share(crime_type("Traffic Stop", 1, 5));
  share(crime_type("Passing Call", 0, 2, kNine + kHour));
  share(crime_type("Traffic Stop", 0, 6));  // the share grew: 6 + 5, not 4 + 5 + 6
  REQUIRE(totals.by_window().size() == 2);
  CHECK(totals.by_window().at(kNine).calls == 11);
  CHECK(totals.by_window().at(kNine).end == kNine + kHour);
  CHECK(totals.by_window().at(kNine).crime_types == Counts{{"Traffic Stop", 11}});
  CHECK(totals.calls() == 13);

  std::string why;
  CHECK(totals.add(sfcrimed::share_key(kNine + kHour, 0), "", why));
  CHECK(totals.by_window().size() == 1);
  CHECK_FALSE(totals.crime_types().contains("Passing Call"));
  CHECK(totals.calls() == 11);
  // Shares added either way meet in the same sums.
  Shares(totals).add(crime_type("Traffic Stop", 1, 1));
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
  Shares shares(totals);
  shares.add(crime_type("Traffic Stop", 0, 9007199254740993ULL));  // 2^53 + 1: no double on the way
  shares.add(crime_type("Traffic Stop", 1, 1));
  CHECK(totals.calls() == 9007199254740994ULL);
  CHECK_THAT(totals.to_json(false), Catch::Contains(R"("Traffic Stop":9007199254740994)"));
}

TEST_CASE("the JSON line is exactly one object in name order", "[stats_topic]") {
  StatsTotals totals;
  Shares shares(totals);
  shares.add(crime_type("Traffic Stop", 0, 4));
  shares.add(crime_type("Traffic Stop", 1, 5));
  shares.add(crime_type("Passing Call", 1, 2, kNine + kHour));
  shares.add(disposition("Not recorded", std::nullopt, 0, 1));
  shares.add(disposition("HAN", "Handled", 1, 10));
  totals.set_malformed(3);
  CHECK(totals.to_json(false) == R"({"calls":11,"crime_types":{"Passing Call":2,"Traffic Stop":9},)"
                                 R"("dispositions":{"HAN":{"description":"Handled","count":10},)"
                                 R"("Not recorded":{"description":null,"count":1}},"malformed":3,"late":0})");
  CHECK(totals.to_json(true) ==
        R"({"calls":11,"crime_types":{"Passing Call":2,"Traffic Stop":9},)"
        R"("dispositions":{"HAN":{"description":"Handled","count":10},)"
        R"("Not recorded":{"description":null,"count":1}},"malformed":3,"late":0,)"
        R"("windows":[{"start":"2018-10-02T09:00:00","end":"2018-10-02T10:00:00","crime_type":"Traffic Stop",)"
        R"("count":9},{"start":"2018-10-02T10:00:00","end":"2018-10-02T11:00:00","crime_type":"Passing Call",)"
        R"("count":2}]})");
  CHECK(StatsTotals().to_json(true) ==
        R"({"calls":0,"crime_types":{},"dispositions":{},"malformed":0,"late":0,"windows":[]})");
}

TEST_CASE("the tables show the largest first, ties by name, and codes the table lacks", "[stats_topic]") {
  StatsTotals totals;
  Shares shares(totals);
  shares.add(crime_type("Traffic Stop", 0, 120));
  shares.add(crime_type("Passing Call", 0, 7));
  shares.add(crime_type("Audible Alarm", 1, 7));
  shares.add(crime_type("Noise", 1, 1));
  shares.add(crime_type("Traffic Stop", 1, 3, kNine + kHour));
  shares.add(disposition("HAN", "Handled", 0, 130));
  shares.add(disposition("Not recorded", std::nullopt, 1, 8));
  totals.set_malformed(2);
  CHECK(totals.to_tables(3, false) ==
        "calls 138, malformed 2, late 0, windows 2, crime types 4, dispositions 2\n"
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
  CHECK(
      StatsTotals().to_tables(10, false) ==
      "calls 0, malformed 0, late 0, windows 0, crime types 0, dispositions 0\n\nNo crime types\n\nNo dispositions\n");
}
