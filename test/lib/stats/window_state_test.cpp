#include "sfcrimed/window_state.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <tuple>
#include <vector>

using sfcrimed::Applied;
using sfcrimed::CallView;
using sfcrimed::PartitionWindows;
using sfcrimed::RadioCodes;
using sfcrimed::StatsEntry;
using sfcrimed::StatsMetric;
using sfcrimed::WindowSpec;
using OpenWindows = PartitionWindows::OpenWindows;

namespace {

const RadioCodes& codes() {
  static const RadioCodes table =
      RadioCodes::parse(R"([{"description":"Handled","disposition_code":"HAN"}])", "test table");
  return table;
}

struct Call {
  std::string id;
  std::string type;
  std::string disposition;
  std::string time;
};

CallView view(const Call& call) {
  CallView view;
  view.crime_id = call.id;
  view.crime_type = call.type;
  view.disposition = call.disposition;
  view.call_date_time = call.time;
  view.time = *sfcrimed::parse_wall_time(call.time);
  return view;
}

// (metric, window start, name) -> (count, final) of the latest of each key.
using Latest = std::map<std::tuple<StatsMetric, std::string, std::string>, std::pair<std::uint64_t, bool>>;

void record(Latest& latest, const std::vector<StatsEntry>& entries) {
  for (const auto& entry : entries) {
    latest[{entry.metric, sfcrimed::format_wall_time(entry.window_start), entry.name}] = {entry.count, entry.final};
  }
}

}  // namespace

TEST_CASE("windows start on the hours as written", "[window_state]") {
  CHECK(sfcrimed::window_start(*sfcrimed::parse_wall_time("2018-10-02T09:11:00"), 3600) ==
        *sfcrimed::parse_wall_time("2018-10-02T09:00"));
  CHECK(sfcrimed::window_start(*sfcrimed::parse_wall_time("2018-10-02T09:00:00"), 3600) ==
        *sfcrimed::parse_wall_time("2018-10-02T09:00"));
  CHECK(sfcrimed::window_start(-1, 3600) == -3600);
}

TEST_CASE("calls count once per crime_id, late ones never", "[window_state]") {
  PartitionWindows state(0, WindowSpec{3600, 600});
  CHECK(state.apply(view({"1", "Fire", "HAN", "2018-10-02T09:11"})) == Applied::counted);
  CHECK(state.apply(view({"1", "Fire", "HAN", "2018-10-02T09:11"})) == Applied::duplicate);
  CHECK(state.apply(view({"2", "Fire", "Not recorded", "2018-10-02T09:50"})) == Applied::counted);
  CHECK(state.open_windows() == 1);
  // 10:11 minus 10 minutes of lateness passes 10:00: the 09:00 window closes.
  CHECK(state.apply(view({"3", "Theft", "HAN", "2018-10-02T10:11"})) == Applied::counted);
  CHECK(state.open_windows() == 1);
  CHECK(state.closed_through() == *sfcrimed::parse_wall_time("2018-10-02T10:00"));
  CHECK(state.apply(view({"4", "Fire", "HAN", "2018-10-02T09:59"})) == Applied::late);
  // Within the lateness, an older call still counts in its open window.
  CHECK(state.apply(view({"5", "Fire", "HAN", "2018-10-02T10:01"})) == Applied::counted);

  const auto emitted = state.take_emissions(OpenWindows::none, codes());
  Latest latest;
  record(latest, emitted);
  REQUIRE(latest.size() == 3);
  CHECK(latest[{StatsMetric::crime_type, "2018-10-02T09:00:00", "Fire"}] == std::pair<std::uint64_t, bool>{2, true});
  CHECK(latest[{StatsMetric::disposition, "2018-10-02T09:00:00", "HAN"}] == std::pair<std::uint64_t, bool>{1, true});
  CHECK(latest[{StatsMetric::disposition, "2018-10-02T09:00:00", "Not recorded"}] ==
        std::pair<std::uint64_t, bool>{1, true});
  for (const auto& entry : emitted) {
    CHECK(entry.window_end - entry.window_start == 3600);
    if (entry.name == "HAN") {
      CHECK(entry.description == "Handled");
    }
    if (entry.name == "Not recorded") {
      CHECK_FALSE(entry.description.has_value());  // a left join keeps the code
    }
  }
  // Once emitted, closed windows are gone; the open one comes out on request only.
  CHECK(state.take_emissions(OpenWindows::none, codes()).empty());
  const auto open = state.take_emissions(OpenWindows::changed_only, codes());
  CHECK(open.size() == 3);  // Theft 1, Fire 1, HAN 2
  Latest open_latest;
  record(open_latest, open);
  CHECK(open_latest[{StatsMetric::crime_type, "2018-10-02T10:00:00", "Theft"}] ==
        std::pair<std::uint64_t, bool>{1, false});
  CHECK(state.take_emissions(OpenWindows::changed_only, codes()).empty());
  CHECK(state.take_emissions(OpenWindows::all, codes()).size() == 3);
}

TEST_CASE("a duplicate is remembered only while its window is open", "[window_state]") {
  PartitionWindows state(0, WindowSpec{3600, 0});
  CHECK(state.apply(view({"1", "Fire", "HAN", "2018-10-02T09:11"})) == Applied::counted);
  CHECK(state.entries() == 3);  // one crime_id, one type, one disposition
  CHECK(state.apply(view({"2", "Fire", "HAN", "2018-10-02T10:00"})) == Applied::counted);
  CHECK(state.entries() == 3);  // the 09:00 window and its crime_id are gone
  CHECK(state.apply(view({"1", "Fire", "HAN", "2018-10-02T09:11"})) == Applied::late);
}

TEST_CASE("a restored snapshot goes on exactly as the state it was taken from", "[window_state]") {
  // Calls over six hours, out of order within the lateness, with duplicates.
  std::vector<Call> calls;
  for (int i = 0; i < 300; ++i) {
    const int minute = i * 72 / 60 - (i % 7 == 0 ? 25 : 0);
    char time[32];
    std::snprintf(time, sizeof time, "2018-10-02T%02d:%02d", 9 + (minute < 0 ? 0 : minute) / 60,
                  (minute < 0 ? 0 : minute) % 60);
    calls.push_back({std::to_string(i % 250), i % 3 == 0 ? "Traffic Stop" : "Passing \"Call\"",
                     i % 5 == 0 ? "Not recorded" : "HAN", time});
  }
  const WindowSpec spec{3600, 1800};

  PartitionWindows straight(1, spec);
  Latest expected;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    straight.apply(view(calls[i]));
    if (i % 17 == 0) {
      record(expected, straight.take_emissions(OpenWindows::changed_only, codes()));
    }
  }
  record(expected, straight.take_emissions(OpenWindows::all, codes()));

  // The same calls, with the state written out and read back at every commit point (as
  // the pipeline commits: emissions taken, then the snapshot) and between them too.
  PartitionWindows restarted(1, spec);
  Latest got;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    restarted.apply(view(calls[i]));
    restarted.set_next_offset(static_cast<std::int64_t>(i + 1));
    if (i % 17 == 0) {
      record(got, restarted.take_emissions(OpenWindows::changed_only, codes()));
    } else {
      record(got, restarted.take_emissions(OpenWindows::none, codes()));
    }
    restarted = PartitionWindows::restore(restarted.snapshot(), spec);
    CHECK(restarted.next_offset() == static_cast<std::int64_t>(i + 1));
  }
  record(got, restarted.take_emissions(OpenWindows::all, codes()));
  CHECK(got == expected);
  CHECK(restarted.entries() == straight.entries());
}

TEST_CASE("a snapshot is refused while closed windows wait to be emitted", "[window_state]") {
  PartitionWindows state(0, WindowSpec{3600, 0});
  state.apply(view({"1", "Fire", "HAN", "2018-10-02T09:11"}));
  state.apply(view({"2", "Fire", "HAN", "2018-10-02T10:11"}));
  CHECK_THROWS_AS(state.snapshot(), std::logic_error);
  CHECK(state.take_emissions(OpenWindows::none, codes()).size() == 2);
  CHECK_NOTHROW(state.snapshot());
}

TEST_CASE("a snapshot that is not one is refused with the reason", "[window_state]") {
  const WindowSpec spec;
  CHECK_THROWS_WITH(PartitionWindows::restore("nope", spec), Catch::Contains("state snapshot"));
  CHECK_THROWS_WITH(PartitionWindows::restore(R"({"v":9})", spec), Catch::Contains("version 9"));
  CHECK_THROWS_WITH(PartitionWindows::restore(R"({"v":2,"partition":0})", spec), Catch::Contains("next_offset"));
  CHECK_THROWS_AS(PartitionWindows::restore(R"({"v":2,"partition":0,"next_offset":1,"max_time":1,)"
                                            R"("closed_through":0,"windows":[{"start":0,"crime_types":[["a",1]]}]})",
                                            spec),
                  sfcrimed::SnapshotError);
}

TEST_CASE("a snapshot of the format before shares is refused, saying what to do", "[window_state]") {
  CHECK_THROWS_WITH(PartitionWindows::restore(R"({"v":1,"partition":0,"next_offset":1})", WindowSpec{}),
                    Catch::Contains("older sfcrimed") && Catch::Contains("new topics"));
}

TEST_CASE("an open window with one changed count goes out whole", "[window_state]") {
  PartitionWindows state(0, WindowSpec{3600, 3600});
  state.apply(view({"1", "Fire", "HAN", "2018-10-02T09:11"}));
  state.apply(view({"2", "Theft", "GOA", "2018-10-02T09:12"}));
  CHECK(state.take_emissions(OpenWindows::changed_only, codes()).size() == 4);
  state.apply(view({"3", "Fire", "HAN", "2018-10-02T09:13"}));
  const auto again = state.take_emissions(OpenWindows::changed_only, codes());
  CHECK(again.size() == 4);  // Fire 2 and HAN 2 changed; Theft and GOA come with them
  Latest latest;
  record(latest, again);
  CHECK(latest[{StatsMetric::crime_type, "2018-10-02T09:00:00", "Theft"}] == std::pair<std::uint64_t, bool>{1, false});
  CHECK(latest[{StatsMetric::crime_type, "2018-10-02T09:00:00", "Fire"}] == std::pair<std::uint64_t, bool>{2, false});
}

TEST_CASE("closing the open windows of an idle partition makes them final, and later calls for them late",
          "[window_state]") {
  PartitionWindows state(0, WindowSpec{3600, 3600});
  state.apply(view({"1", "Fire", "HAN", "2018-10-02T09:11"}));
  state.apply(view({"2", "Theft", "GOA", "2018-10-02T10:12"}));
  CHECK(state.open_windows() == 2);
  state.close_open_windows();
  CHECK(state.open_windows() == 0);
  CHECK(state.closed_through() == *sfcrimed::parse_wall_time("2018-10-02T11:00"));
  Latest latest;
  record(latest, state.take_emissions(OpenWindows::all, codes()));
  CHECK(latest[{StatsMetric::crime_type, "2018-10-02T09:00:00", "Fire"}] == std::pair<std::uint64_t, bool>{1, true});
  CHECK(latest[{StatsMetric::crime_type, "2018-10-02T10:00:00", "Theft"}] == std::pair<std::uint64_t, bool>{1, true});
  CHECK(state.apply(view({"3", "Fire", "HAN", "2018-10-02T10:59"})) == Applied::late);
  CHECK(state.apply(view({"4", "Fire", "HAN", "2018-10-02T11:00"})) == Applied::counted);
  // What the snapshot keeps: the closing holds after a restart too.
  auto restored = PartitionWindows::restore(state.snapshot(), WindowSpec{3600, 3600});
  CHECK(restored.apply(view({"5", "Fire", "HAN", "2018-10-02T10:30"})) == Applied::late);
  state.close_open_windows();
  CHECK(state.take_emissions(OpenWindows::none, codes()).size() == 2);
}
