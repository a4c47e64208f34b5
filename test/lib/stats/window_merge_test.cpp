#include "sfcrimed/window_merge.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using sfcrimed::PartitionClosure;
using sfcrimed::StatsEntry;
using sfcrimed::StatsMetric;
using sfcrimed::WindowMerge;

namespace {

constexpr sfcrimed::WallSeconds kNine = 1538470800;  // 2018-10-02T09:00:00
constexpr sfcrimed::WallSeconds kHour = 3600;

StatsEntry count(StatsMetric metric, std::string name, std::int32_t partition, std::uint64_t n,
                 sfcrimed::WallSeconds start = kNine, bool final = false) {
  StatsEntry entry;
  entry.metric = metric;
  entry.window_start = start;
  entry.window_end = start + kHour;
  entry.name = std::move(name);
  entry.partition = partition;
  entry.count = n;
  entry.final = final;
  if (metric == StatsMetric::disposition && entry.name == "HAN") {
    entry.description = "Handled";
  }
  return entry;
}

// A share of the window at `start` from `partition`: `theft` thefts, all handled.
void share(WindowMerge& merge, std::int32_t partition, std::uint64_t theft, sfcrimed::WallSeconds start = kNine,
           bool announce = true) {
  const std::vector<StatsEntry> entries = {count(StatsMetric::crime_type, "Theft", partition, theft, start),
                                           count(StatsMetric::disposition, "HAN", partition, theft, start)};
  std::string why;
  REQUIRE(merge.add(sfcrimed::share_key(start, partition), sfcrimed::share_value(entries), why, announce));
}

void progress(WindowMerge& merge, std::int32_t partition, sfcrimed::WallSeconds closed_through, bool idle = false,
              bool announce = true) {
  std::string why;
  REQUIRE(merge.add(sfcrimed::progress_key(partition), sfcrimed::progress_value({partition, closed_through, idle}), why,
                    announce));
}

}  // namespace

TEST_CASE("a window's shares sum over partitions into one message keyed by its start", "[window_merge]") {
  WindowMerge merge(2);
  share(merge, 0, 3);
  share(merge, 1, 4);
  share(merge, 0, 5);  // partition 0's share again, whole: it replaces the first
  const auto merged = merge.take_changed();
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].key == "2018-10-02T09:00:00");
  CHECK(merged[0].value ==
        R"({"window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00","final":false,"calls":9,)"
        R"("crime_types":{"Theft":9},"dispositions":{"HAN":{"description":"Handled","count":9}}})");
  CHECK_FALSE(merged[0].final);
  CHECK(merge.take_changed().empty());  // nothing changed since
}

TEST_CASE("a window is final once every partition has closed it or gone idle, and only then", "[window_merge]") {
  WindowMerge merge(3);
  share(merge, 0, 1);
  share(merge, 1, 1);
  progress(merge, 0, kNine + kHour);
  progress(merge, 1, kNine + 2 * kHour);
  CHECK_FALSE(merge.take_changed().front().final);  // partition 2 has said nothing yet
  progress(merge, 2, kNine);                        // partition 2 has not closed it
  CHECK(merge.take_changed().empty());
  std::string why;
  REQUIRE(merge.add(sfcrimed::progress_key(2), sfcrimed::progress_value({2, PartitionClosure::kNothingClosed, true}),
                    why, true, 1234));  // idle: not waited for
  auto merged = merge.take_changed();
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].final);
  CHECK(merged[0].became_final);
  CHECK(merged[0].final_since_ms == 1234);  // the timestamp of the message that made it final
  CHECK(merge.open_windows() == 0);
  // A later share of a final window (an idle partition woke) changes it; it stays final.
  share(merge, 2, 2);
  merged = merge.take_changed();
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].final);
  CHECK_FALSE(merged[0].became_final);
  CHECK(merged[0].value.find(R"("calls":4)") != std::string::npos);
}

TEST_CASE("what is rebuilt without announcing is state, not output", "[window_merge]") {
  WindowMerge merge(1);
  share(merge, 0, 2, kNine, false);
  progress(merge, 0, kNine + kHour, false, false);
  CHECK(merge.take_changed().empty());
  share(merge, 0, 1, kNine + kHour);  // after the committed offset: written again
  const auto merged = merge.take_changed();
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].window_start == kNine + kHour);
  CHECK(merge.windows() == 2);
}

TEST_CASE("a message that is neither a share nor a progress message is refused with its reason", "[window_merge]") {
  WindowMerge merge(1);
  std::string why;
  CHECK_FALSE(merge.add("x", "{}", why));
  CHECK(why.find("missing") != std::string::npos);
  CHECK_FALSE(merge.add(R"(["progress",1])", sfcrimed::progress_value({0, kNine, false}), why));
  CHECK(why.find("key") != std::string::npos);
  CHECK_FALSE(merge.add("k", R"({"metric":"crime_type","name":"Theft","count":1})", why));
  CHECK(why == sfcrimed::kOldStatsFormat);
}

TEST_CASE("progress messages round-trip, and readers of shares pass them by", "[window_merge]") {
  const PartitionClosure progress{3, kNine, true};
  std::string why;
  CHECK(sfcrimed::parse_progress_value(sfcrimed::progress_value(progress), why) == progress);
  const PartitionClosure none{0, PartitionClosure::kNothingClosed, false};
  CHECK(sfcrimed::progress_value(none) == R"({"partition":0,"closed_through":null,"idle":false})");
  CHECK(sfcrimed::parse_progress_value(sfcrimed::progress_value(none), why) == none);
  CHECK_FALSE(sfcrimed::parse_progress_value(R"({"partition":0,"idle":false})", why));
  sfcrimed::StatsTotals totals;
  CHECK(totals.add(sfcrimed::progress_key(3), sfcrimed::progress_value(progress), why));
  CHECK(totals.calls() == 0);
}

TEST_CASE("a window's shares all go to one stats partition, and windows spread over them", "[window_merge]") {
  std::vector<int> used(4);
  for (int hour = 0; hour < 400; ++hour) {
    const auto partition = sfcrimed::share_partition(kNine + hour * kHour, 4);
    REQUIRE(partition >= 0);
    REQUIRE(partition < 4);
    ++used[static_cast<std::size_t>(partition)];
  }
  for (const int n : used) {
    CHECK(n > 60);  // about 100 each
  }
  CHECK(sfcrimed::share_partition(kNine, 1) == 0);
}
