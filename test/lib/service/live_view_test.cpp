#include "sfcrimed/live_view.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

using sfcrimed::LiveFigures;
using sfcrimed::LiveView;
using sfcrimed::StatsEntry;
using sfcrimed::StatsMetric;

namespace {

constexpr sfcrimed::WallSeconds kNine = 1538470800;  // 2018-10-02T09:00:00
constexpr sfcrimed::WallSeconds kHour = 3600;

StatsEntry entry(StatsMetric metric, std::string name, std::int32_t partition, std::uint64_t count,
                 sfcrimed::WallSeconds start = kNine) {
  StatsEntry e;
  e.metric = metric;
  e.window_start = start;
  e.window_end = start + kHour;
  e.name = std::move(name);
  e.partition = partition;
  e.count = count;
  if (metric == StatsMetric::disposition && e.name == "HAN") {
    e.description = "Handled";
  }
  return e;
}

}  // namespace

TEST_CASE("the live state: totals, the largest types, the current window, calls per window, the trend", "[live_view]") {
  LiveView live(2, 1);
  const auto type = StatsMetric::crime_type;
  const auto han = entry(StatsMetric::disposition, "HAN", 0, 6);
  live.add({entry(type, "Traffic Stop", 0, 4), entry(type, "Noise", 0, 2), han, entry(type, "Passing Call", 1, 1),
            entry(StatsMetric::disposition, "XYZ", 1, 4)});
  live.add({entry(type, "Passing Call", 0, 3, kNine + kHour)});
  // A later share of the same window and partition replaces it, whole.
  live.add({entry(type, "Traffic Stop", 0, 5), entry(type, "Noise", 0, 2), han});

  LiveFigures figures;
  figures.status = "ready";
  const std::string json = live.live_json(figures);
  CHECK_THAT(json, Catch::StartsWith(R"({"status":"ready","ingest":null,"pipeline":null,"calls":11,"malformed":0,)"));
  CHECK_THAT(
      json, Catch::Contains(R"("crime_type_count":3,)"
                            R"("crime_types":[{"name":"Traffic Stop","count":5},{"name":"Passing Call","count":4}],)"));
  CHECK_THAT(json, Catch::Contains(R"("dispositions":[{"code":"HAN","description":"Handled","count":6},)"
                                   R"({"code":"XYZ","description":null,"count":4}])"));
  CHECK_THAT(json, Catch::Contains(R"("current_window":{"start":"2018-10-02T10:00:00","end":"2018-10-02T11:00:00",)"
                                   R"("calls":3,"crime_types":[{"name":"Passing Call","count":3}]})"));
  CHECK_THAT(json, Catch::Contains(R"("windows":{"start":[1538470800,1538474400],"calls":[8,3]})"));
  CHECK_THAT(json, Catch::EndsWith(R"("trend":{"names":["Traffic Stop"],"counts":[[5,0]]}})"));
}

TEST_CASE("the live state's figures: ingest, pipeline, latency in milliseconds or null", "[live_view]") {
  LiveView live;
  LiveFigures figures;
  figures.status = "starting";
  figures.ingest = true;
  figures.ingest_rate = 999.96;
  figures.ingested = 12;
  sfcrimed::PipelineProgress progress;
  progress.input_rate = 10;
  progress.processed_rate = 9.5;
  progress.lag = 3;
  progress.latency_p50 = 0.0123;
  progress.latency_p99 = INFINITY;  // past the histogram's last bucket
  progress.consumed = 40;
  progress.malformed = 1;
  progress.partitions = {
      {0, 1, "host-a.1", 100, 1}, {1, std::nullopt, "host-b.0", 90, 2}, {2, std::nullopt, "", 80, 3}};
  figures.pipeline = progress;
  const std::string json = live.live_json(figures);
  CHECK_THAT(json,
             Catch::StartsWith(R"({"status":"starting","ingest":{"rate":1000.0,"acked":12},)"
                               R"("pipeline":{"input_rate":10.0,"processed_rate":9.5,"lag":3,)"
                               R"("latency_ms":{"p50":12.30,"p99":null},"open_windows":0,"consumed":40,)"
                               R"("malformed":1,"duplicates":0,"late":0,)"
                               R"("partitions":[{"partition":0,"owner":1,"member":"host-a.1","lag":1},)"
                               R"({"partition":1,"owner":null,"member":"host-b.0","lag":2},)"
                               R"({"partition":2,"owner":null,"member":null,"lag":3}]},"calls":0,"malformed":1,)"));
  CHECK_THAT(json, Catch::Contains(R"("current_window":null,"windows":{"start":[],"calls":[]})"));
}

TEST_CASE("the stats JSON is sfcrimed stats' own, from what earlier runs published on", "[live_view]") {
  sfcrimed::StatsTotals published;
  published.add_share(std::vector{entry(StatsMetric::crime_type, "Traffic Stop", 0, 4)});
  published.set_malformed(2);
  LiveView live;
  live.start_from(published);
  live.add({entry(StatsMetric::crime_type, "Traffic Stop", 1, 3)});
  sfcrimed::StatsTotals expected = published;
  expected.add_share(std::vector{entry(StatsMetric::crime_type, "Traffic Stop", 1, 3)});
  expected.set_malformed(5);
  expected.set_late(1);
  CHECK(live.stats_json(3, 1) == expected.to_json(false));
  CHECK_THAT(live.stats_json(3, 1),
             Catch::Contains(R"("Traffic Stop":7)") && Catch::EndsWith(R"("malformed":5,"late":1})"));
}
