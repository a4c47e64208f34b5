#include "sfcrimed/window_log.hpp"

#include <catch2/catch.hpp>

using sfcrimed::StatsEntry;
using sfcrimed::StatsMetric;
using sfcrimed::WindowLog;

namespace {

StatsEntry entry(StatsMetric metric, const char* name, std::int32_t partition, std::uint64_t count, bool final = true) {
  StatsEntry entry;
  entry.metric = metric;
  entry.window_start = *sfcrimed::parse_wall_time("2018-10-02T09:00");
  entry.window_end = entry.window_start + 3600;
  entry.name = name;
  entry.partition = partition;
  entry.count = count;
  entry.final = final;
  if (std::string_view(name) == "HAN") {
    entry.description = "Handled";
  }
  return entry;
}

}  // namespace

TEST_CASE("a window is logged once every partition has closed it, shares merged", "[window_log]") {
  WindowLog log(2, 2);
  const auto ten = *sfcrimed::parse_wall_time("2018-10-02T10:00");
  CHECK(log.report(0, ten,
                   {entry(StatsMetric::crime_type, "Fire", 0, 2), entry(StatsMetric::crime_type, "Theft", 0, 1),
                    entry(StatsMetric::disposition, "HAN", 0, 3)})
            .empty());
  // Open-window counts are not final, and do not count.
  CHECK(log.report(1, ten - 3600, {entry(StatsMetric::crime_type, "Theft", 1, 7, false)}).empty());
  const auto lines =
      log.report(1, ten,
                 {entry(StatsMetric::crime_type, "Theft", 1, 2), entry(StatsMetric::crime_type, "Arson", 1, 1),
                  entry(StatsMetric::disposition, "Not recorded", 1, 3)});
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        "window 2018-10-02T09:00:00 to 10:00:00 closed: 6 calls; crime types: Theft 3, Fire 2 (3 in all); "
        "dispositions: HAN 3 Handled, Not recorded 3");
  CHECK(log.report(0, ten + 3600, {}).empty());
}
