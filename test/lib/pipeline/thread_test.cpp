#include "sfcrimed/pipeline/thread.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "thread_fixture.hpp"

using sfcrimed::test::call_json;

using namespace std::chrono_literals;
using sfcrimed::test::ThreadFixture;

TEST_CASE("a thread commits its records, state and offsets together when its clock says so", "[pipeline_thread]") {
  ThreadFixture fixture;
  fixture.calls(0, 5);
  fixture.source.give({0});
  fixture.poll();
  CHECK(fixture.output->commits == 0);  // the commit interval is not up
  fixture.tick();
  REQUIRE(fixture.output->commits == 1);
  CHECK(fixture.output->committed_offsets == std::map<std::int32_t, std::int64_t>{{0, 5}});
  REQUIRE(fixture.store->snapshots.contains(0));
  const auto restored = sfcrimed::PartitionWindows::restore(fixture.store->snapshots.at(0), fixture.shared->spec);
  CHECK(restored.next_offset() == 5);
  CHECK(fixture.shared->consumed == 5);
  fixture.tick();
  CHECK(fixture.output->commits == 1);  // nothing new: no empty transaction
}

TEST_CASE("a refused commit is aborted and its records read again, each counted once", "[pipeline_thread]") {
  ThreadFixture fixture;
  fixture.calls(0, 5);
  fixture.calls(0, 1, 2);  // c2 again: a duplicate
  fixture.source.topic[0].push_back("not a call");
  fixture.output->refuse_commits = 1;
  fixture.source.give({0});
  fixture.poll();
  fixture.tick();
  CHECK(fixture.output->commits == 0);
  CHECK(fixture.output->aborts == 1);
  CHECK(fixture.metrics.pipeline.transactions_aborted.Value() == 1);
  REQUIRE_FALSE(fixture.source.seeks.empty());
  CHECK(fixture.source.seeks.back() == std::pair<std::int32_t, std::int64_t>{0, sfcrimed::detail::kFromBeginning});
  CHECK(fixture.shared->consumed == 0);  // the aborted transaction's counts are gone too

  fixture.poll();
  fixture.tick();
  REQUIRE(fixture.output->commits == 1);
  CHECK(fixture.output->committed_offsets.at(0) == 7);
  CHECK(fixture.output->committed_dead_letters.size() == 1);
  CHECK(fixture.shared->consumed == 7);
  CHECK(fixture.shared->duplicates == 1);
  CHECK(fixture.shared->malformed == 1);

  fixture.shared->request_drain();
  fixture.shared->drain.arm({{0, 7}});
  fixture.poll(1);
  REQUIRE(fixture.shared->drain.done());
  fixture.thread->finish();
  CHECK(fixture.output->committed_stats.calls() == 5);  // every window out, each call once
}

TEST_CASE("a revoked partition's work is committed before it goes; a lost one's is undone", "[pipeline_thread]") {
  ThreadFixture fixture;
  fixture.calls(0, 3);
  fixture.calls(1, 4, 10);
  fixture.source.give({0, 1});
  fixture.poll();
  CHECK(fixture.shared->board.unowned(2).empty());

  fixture.source.take({1}, false);
  fixture.poll(1);
  REQUIRE(fixture.output->commits == 1);
  CHECK(fixture.output->committed_offsets == std::map<std::int32_t, std::int64_t>{{0, 3}, {1, 4}});
  CHECK(fixture.shared->board.unowned(2) == std::vector<std::int32_t>{1});

  fixture.calls(0, 2, 3);  // read, not committed, when the group takes p0 away
  fixture.poll();
  fixture.source.take({0}, true);
  fixture.poll(1);
  CHECK(fixture.output->commits == 1);
  CHECK(fixture.output->aborts == 1);
  CHECK(fixture.output->committed_offsets.at(0) == 3);
  CHECK(fixture.shared->board.unowned(2) == std::vector<std::int32_t>{0, 1});

  // Given back, p0 resumes from its last commit: the two calls are read (and counted) again.
  fixture.source.give({0});
  fixture.poll();
  fixture.tick();
  CHECK(fixture.output->committed_offsets.at(0) == 5);
  CHECK(fixture.shared->consumed == 9);
}

TEST_CASE("a partition given before its last snapshot shows resumes from that commit", "[pipeline_thread]") {
  ThreadFixture fixture;
  fixture.calls(0, 3);
  fixture.source.topic[0].emplace_back("{not json");  // a dead letter: written once, or twice if done again
  fixture.source.give({0});
  fixture.poll();
  fixture.source.take({0}, false);  // committed as it goes
  fixture.poll(1);
  REQUIRE(fixture.output->committed_offsets.at(0) == 4);
  REQUIRE(fixture.output->committed_dead_letters.size() == 1);

  // The state topic lags the commit (its markers are on the way): two reads miss it.
  fixture.store->lagging_loads = 2;
  const int loads_before = fixture.store->loads;
  fixture.source.give({0});
  fixture.poll();
  fixture.tick();
  CHECK(fixture.store->loads - loads_before == 3);
  CHECK(fixture.output->committed_dead_letters.size() == 1);
  CHECK(fixture.shared->consumed == 4);
  CHECK(fixture.shared->malformed == 1);
}

TEST_CASE("a drained thread ends once every partition is at its target, every window out", "[pipeline_thread]") {
  ThreadFixture fixture;
  fixture.calls(0, 3);
  fixture.calls(1, 2, 3);
  fixture.source.give({0, 1});
  fixture.shared->request_drain();
  CHECK(fixture.shared->drain.wanted());
  fixture.shared->drain.arm({{0, 3}, {1, 2}});
  CHECK_FALSE(fixture.shared->drain.wanted());
  for (int step = 0; step < 100 && !fixture.shared->drain.done(); ++step) {
    fixture.thread->poll_once();
  }
  REQUIRE(fixture.shared->drain.done());
  fixture.thread->run();  // drained: finishes at once
  CHECK(fixture.source.closed);
  CHECK(fixture.output->committed_offsets == std::map<std::int32_t, std::int64_t>{{0, 3}, {1, 2}});
  CHECK(fixture.output->committed_stats.calls() == 5);
  CHECK(fixture.output->committed_stats.crime_types().at("Traffic Stop") == 5);
}

TEST_CASE("a late call is counted as late and kept in the dead letters with its reason", "[pipeline_thread]") {
  ThreadFixture fixture;
  fixture.source.topic[0] = {call_json("a", "Traffic Stop", "2018-10-02T09:10"),
                             call_json("b", "Traffic Stop", "2018-10-02T11:30"),  // the 09:00 window closes
                             call_json("c", "Traffic Stop", "2018-10-02T09:20")};
  fixture.source.give({0});
  fixture.poll();
  fixture.tick();
  REQUIRE(fixture.output->commits == 1);
  CHECK(fixture.output->committed_dead_letters == std::vector<std::string>{"late"});
  CHECK(fixture.shared->late == 1);
  CHECK(fixture.shared->malformed == 0);
  CHECK(fixture.output->committed_stats.calls() == 1);  // the 09:00 window, final, without the late call
}

TEST_CASE("a partition read to its end without calls for idle_timeout closes its windows", "[pipeline_thread]") {
  ThreadFixture fixture;
  fixture.config.pipeline.idle_timeout = 30s;
  fixture.calls(0, 3);
  fixture.source.give({0});
  fixture.poll();
  fixture.tick();
  REQUIRE(fixture.output->commits == 1);
  CHECK(fixture.output->committed_stats.calls() == 0);  // the window is open, and open ones are not emitted
  fixture.now += 20s;
  fixture.tick();
  CHECK(fixture.output->committed_stats.calls() == 0);  // 22 s without a call: not yet
  fixture.now += 10s;
  fixture.tick();
  REQUIRE(fixture.output->commits == 2);
  CHECK(fixture.output->committed_stats.calls() == 3);  // closed: its share went out final

  // A call for the closed window afterwards is late; one for a later window counts.
  fixture.source.topic[0].push_back(call_json("late", "Traffic Stop", "2018-10-02T09:55"));
  fixture.source.topic[0].push_back(call_json("next", "Traffic Stop", "2018-10-02T10:05"));
  fixture.poll();
  fixture.tick();
  CHECK(fixture.output->committed_dead_letters == std::vector<std::string>{"late"});
  CHECK(fixture.shared->late == 1);
}

TEST_CASE("idle_timeout 0 leaves windows to event time", "[pipeline_thread]") {
  ThreadFixture fixture;
  fixture.config.pipeline.idle_timeout = 0s;
  fixture.calls(0, 3);
  fixture.source.give({0});
  fixture.poll();
  fixture.now += 10min;
  fixture.tick();
  fixture.tick();
  CHECK(fixture.output->committed_stats.calls() == 0);
}
