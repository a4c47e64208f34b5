#include "sfcrimed/pipeline/drain.hpp"

#include <catch2/catch.hpp>

#include "sfcrimed/pipeline/partition_board.hpp"

using sfcrimed::detail::DrainTracker;
using sfcrimed::detail::PartitionBoard;

TEST_CASE("the drain is done once every partition reaches its target, and not before", "[drain]") {
  DrainTracker drain;
  CHECK_FALSE(drain.wanted());
  drain.progress(0, 100);  // not armed: nothing happens
  drain.request();
  CHECK(drain.wanted());
  drain.arm({{0, 10}, {1, 20}});
  CHECK_FALSE(drain.wanted());
  drain.progress(0, 10);
  CHECK_FALSE(drain.done());
  drain.rewound(0);  // back to its last commit: p0 must get there again
  drain.progress(1, 20);
  CHECK_FALSE(drain.done());
  drain.progress(0, 9);
  CHECK_FALSE(drain.done());
  drain.progress(0, 10);
  CHECK(drain.done());
  drain.rewound(1);  // done stays done
  CHECK(drain.done());
}

TEST_CASE("the drain's targets are set once, and a partition without one does not count", "[drain]") {
  DrainTracker drain;
  drain.request();
  drain.arm({{0, 10}});
  drain.arm({{0, 10}, {1, 20}});  // ignored: the targets stay those of the first
  drain.progress(1, 5);           // no target: ignored
  CHECK_FALSE(drain.done());
  drain.progress(0, 11);
  CHECK(drain.done());
}

TEST_CASE("the board works out every partition's lag, owned or not", "[drain]") {
  PartitionBoard board;
  board.set_end_offsets({{0, 100}, {1, 50}, {2, 10}});
  board.owned(0, {1, 60, 3});
  const auto lags = board.update_lags(3, {{1, 45}});
  REQUIRE(lags.size() == 3);
  CHECK(lags[0].owner == 1);
  CHECK(lags[0].lag == 40);
  CHECK_FALSE(lags[1].owner);
  CHECK(lags[1].lag == 5);   // from the group's committed offset
  CHECK(lags[2].lag == 10);  // nothing committed: all of it
  CHECK(board.unowned(3) == std::vector<std::int32_t>{1, 2});
  CHECK(board.end_sum() == 160);
  CHECK(board.open_windows() == 3);
  board.released(0);
  CHECK(board.unowned(3) == std::vector<std::int32_t>{0, 1, 2});
  CHECK(board.lags().size() == 3);
}

TEST_CASE("a partition another instance owns is not unowned; one no member owns is", "[drain]") {
  PartitionBoard board;
  board.set_end_offsets({{0, 100}, {1, 50}, {2, 10}});
  board.owned(0, {0, 60, 0});
  board.set_members({{0, "host-a.0"}, {1, "host-b.1"}});
  const auto lags = board.update_lags(3, {{1, 45}});
  REQUIRE(lags.size() == 3);
  CHECK(lags[0].member == "host-a.0");
  CHECK_FALSE(lags[0].unowned());
  CHECK(lags[1].member == "host-b.1");
  CHECK_FALSE(lags[1].owner);
  CHECK_FALSE(lags[1].unowned());  // read by another instance
  CHECK(lags[2].unowned());        // read by nobody
  board.set_members({});
  CHECK(board.update_lags(3, {})[1].unowned());
}
