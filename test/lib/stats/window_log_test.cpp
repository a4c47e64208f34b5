#include "sfcrimed/window_log.hpp"

#include <catch2/catch.hpp>
#include <vector>

using sfcrimed::StatsEntry;
using sfcrimed::StatsMetric;

namespace {

StatsEntry entry(StatsMetric metric, const char* name, std::uint64_t count) {
  StatsEntry entry;
  entry.metric = metric;
  entry.window_start = *sfcrimed::parse_wall_time("2018-10-02T09:00");
  entry.window_end = entry.window_start + 3600;
  entry.name = name;
  entry.count = count;
  entry.final = true;
  if (std::string_view(name) == "HAN") {
    entry.description = "Handled";
  }
  return entry;
}

}  // namespace

TEST_CASE("a merged window's line lists its largest names, ties by name", "[window_log]") {
  const std::vector<StatsEntry> counts = {
      entry(StatsMetric::crime_type, "Arson", 1), entry(StatsMetric::crime_type, "Fire", 2),
      entry(StatsMetric::crime_type, "Theft", 3), entry(StatsMetric::disposition, "HAN", 3),
      entry(StatsMetric::disposition, "Not recorded", 3)};
  CHECK(sfcrimed::window_line(counts, 2) ==
        "window 2018-10-02T09:00:00 to 10:00:00 closed: 6 calls; crime types: Theft 3, Fire 2 (3 in all); "
        "dispositions: HAN 3 Handled, Not recorded 3");
  CHECK(sfcrimed::window_line({}).empty());
}
