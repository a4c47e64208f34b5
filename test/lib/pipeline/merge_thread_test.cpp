#include "sfcrimed/pipeline/merge_thread.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "thread_fixture.hpp"

using namespace std::chrono_literals;
using sfcrimed::test::call_json;
using sfcrimed::test::FakeOutput;
using sfcrimed::test::FakeSource;
using sfcrimed::test::ThreadFixture;

namespace {

// The stats topic as a FakeSource, and its committed offsets: the windows stage's store
// rebuilds a partition from there, as KafkaMergeStore does from Kafka.
class FakeMergeStore final : public sfcrimed::detail::MergeStore {
 public:
  FakeMergeStore(FakeSource& stats, FakeOutput& output, std::int32_t calls_partitions)
      : stats_(stats), output_(output), calls_partitions_(calls_partitions) {}
  int loads = 0;

  std::map<std::int32_t, Rebuilt> load(const std::vector<std::int32_t>& partitions) override {
    ++loads;
    std::map<std::int32_t, Rebuilt> rebuilt;
    for (const auto partition : partitions) {
      const auto committed =
          output_.committed_offsets.contains(partition) ? output_.committed_offsets.at(partition) : 0;
      Rebuilt state{sfcrimed::WindowMerge(calls_partitions_), committed};
      const auto& values = stats_.topic[partition];
      for (std::size_t offset = 0; offset < values.size(); ++offset) {
        std::string why;
        state.merge.add(stats_.keys[partition][offset], values[offset], why,
                        static_cast<std::int64_t>(offset) >= committed);
        state.next_offset = std::max<std::int64_t>(state.next_offset, static_cast<std::int64_t>(offset) + 1);
      }
      rebuilt.emplace(partition, std::move(state));
    }
    return rebuilt;
  }
  std::map<std::int32_t, std::int64_t> committed(const std::vector<std::int32_t>& partitions) override {
    std::map<std::int32_t, std::int64_t> out;
    for (const auto partition : partitions) {
      if (const auto found = output_.committed_offsets.find(partition); found != output_.committed_offsets.end()) {
        out.emplace(partition, found->second);
      }
    }
    return out;
  }
  std::map<std::int32_t, std::int64_t> ends(const std::vector<std::int32_t>& partitions) override {
    std::map<std::int32_t, std::int64_t> ends;
    for (const auto partition : partitions) {
      ends.emplace(partition, static_cast<std::int64_t>(stats_.topic[partition].size()));
    }
    return ends;
  }

 private:
  FakeSource& stats_;
  FakeOutput& output_;
  std::int32_t calls_partitions_;
};

// The first stage (a ThreadFixture over two calls partitions) and the windows stage over
// what it committed, each with its own fakes and the same test clock.
struct MergeFixture {
  ThreadFixture first;
  FakeSource stats;  // the stats topic: what `first` committed, by partition
  sfcrimed::test::FakeStateStore unused_state{first.shared->spec};
  FakeOutput windows{unused_state};  // the windows topic
  FakeMergeStore store{stats, windows, 2};
  std::atomic<bool> inputs_done{false};
  std::stop_source stop;
  std::unique_ptr<sfcrimed::detail::MergeThread> merge;
  std::size_t copied = 0;

  MergeFixture() {
    merge = std::make_unique<sfcrimed::detail::MergeThread>(
        *first.shared, stop.get_token(), inputs_done, first.health.add("windows stage"),
        sfcrimed::detail::MergeIo{stats, windows, store}, [this] { return first.now; });
  }
  // What the first stage has committed since, into the stats topic.
  void copy_stats() {
    const auto& messages = first.output->committed_messages;
    for (; copied < messages.size(); ++copied) {
      stats.topic[messages[copied].partition].push_back(messages[copied].value);
      stats.keys[messages[copied].partition].push_back(messages[copied].key);
    }
  }
  void merge_polls(int times = 50) {
    copy_stats();
    for (int step = 0; step < times; ++step) {
      merge->poll_once();
    }
    first.now += 2s;
    merge->poll_once();
  }
  // The latest merged value per window, as a reader of the windows topic sees them.
  [[nodiscard]] std::map<std::string, std::string> latest() const {
    std::map<std::string, std::string> out;
    for (const auto& message : windows.committed_messages) {
      out[message.key] = message.value;
    }
    return out;
  }
};

}  // namespace

TEST_CASE("the windows stage merges both partitions' shares into one final message per window", "[merge_thread]") {
  MergeFixture fixture;
  fixture.first.config.pipeline.idle_timeout = 30s;
  fixture.first.source.topic[0] = {call_json("a", "Theft", "2018-10-02T09:10"),
                                   call_json("b", "Fire", "2018-10-02T11:20")};  // p0 closes 09:00
  fixture.first.source.topic[1] = {call_json("c", "Theft", "2018-10-02T09:30")};
  fixture.first.source.give({0, 1});
  fixture.stats.give({0, 1});
  fixture.first.poll();
  fixture.first.tick();
  fixture.merge_polls();
  auto latest = fixture.latest();
  REQUIRE(latest.contains("2018-10-02T09:00:00"));
  // Partition 1 has not closed 09:00 (its open window is not even out yet): not final.
  CHECK(latest.at("2018-10-02T09:00:00").find(R"("final":false)") != std::string::npos);

  fixture.first.now += 40s;  // both partitions idle: every window closes
  fixture.first.tick();
  fixture.merge_polls();
  latest = fixture.latest();
  CHECK(latest.at("2018-10-02T09:00:00") ==
        R"({"window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00","final":true,"calls":2,)"
        R"("crime_types":{"Theft":2},"dispositions":{"HAN":{"description":"Handled","count":2}}})");
  REQUIRE(latest.contains("2018-10-02T11:00:00"));
  CHECK(latest.at("2018-10-02T11:00:00").find(R"("final":true,"calls":1)") != std::string::npos);
  CHECK(fixture.windows.committed_offsets.size() == 2);  // its offsets in the stats topic, with them
}

TEST_CASE("a refused commit of the windows stage is rebuilt from its last commit and written again", "[merge_thread]") {
  MergeFixture fixture;
  fixture.first.calls(0, 3);
  fixture.first.calls(1, 2, 3);
  fixture.first.source.give({0, 1});
  fixture.stats.give({0, 1});
  fixture.first.poll();
  fixture.first.thread->finish();  // every open window's share out
  fixture.windows.refuse_commits = 1;
  fixture.merge_polls();
  CHECK(fixture.windows.aborts == 1);
  CHECK(fixture.store.loads == 2);  // the assignment, and the rewind
  fixture.merge_polls();
  const auto latest = fixture.latest();
  REQUIRE(latest.size() == 1);
  CHECK(latest.begin()->second.find(R"("calls":5)") != std::string::npos);
}

TEST_CASE("after a drain the windows stage reads the stats topic to its end before it ends", "[merge_thread]") {
  MergeFixture fixture;
  fixture.first.calls(0, 2);
  fixture.first.source.give({0});
  fixture.stats.give({0, 1});
  fixture.merge_polls(5);  // assigned, nothing to merge yet
  fixture.first.shared->request_drain();
  fixture.first.shared->drain.arm({{0, 2}});
  fixture.first.thread->run();  // drains, commits every open window, leaves
  fixture.copy_stats();
  fixture.inputs_done = true;
  fixture.merge->run();
  CHECK(fixture.stats.closed);
  const auto latest = fixture.latest();
  REQUIRE(latest.size() == 1);
  CHECK(latest.begin()->second.find(R"("calls":2)") != std::string::npos);
}

TEST_CASE("a drain's end waits for the stats partitions other members hold, until they come here", "[merge_thread]") {
  MergeFixture fixture;
  fixture.first.calls(0, 2);
  fixture.first.calls(1, 3, 2);
  fixture.first.source.give({0, 1});
  fixture.stats.give({0});  // the other stats partition is another member's
  fixture.merge_polls(5);
  fixture.first.shared->request_drain();
  fixture.first.shared->drain.arm({{0, 2}, {1, 3}});
  fixture.first.thread->run();
  fixture.copy_stats();
  fixture.stats.give({1});  // that member left: the group gives its partition here
  fixture.inputs_done = true;
  fixture.merge->run();
  const auto latest = fixture.latest();
  REQUIRE(latest.size() == 1);
  CHECK(latest.begin()->second.find(R"("calls":5)") != std::string::npos);
  CHECK(fixture.windows.committed_offsets.size() == 2);
}
