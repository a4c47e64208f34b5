#pragma once
// A pipeline thread over the fakes of fake_io.hpp, with a clock that moves only when the
// test says: for the thread's tests and the windows stage's, which merges its output.

#include <chrono>
#include <memory>
#include <stop_token>
#include <string>

#include "fake_io.hpp"
#include "sfcrimed/pipeline/thread.hpp"

namespace sfcrimed::test {

using namespace std::chrono_literals;

struct ThreadFixture {
  sfcrimed::Config config;
  sfcrimed::Metrics metrics;
  sfcrimed::Health health{std::chrono::minutes(1)};
  std::unique_ptr<sfcrimed::detail::PipelineShared> shared;
  sfcrimed::test::FakeSource source;
  std::unique_ptr<sfcrimed::test::FakeStateStore> store;
  std::unique_ptr<sfcrimed::test::FakeOutput> output;
  sfcrimed::detail::Clock::time_point now{};
  std::stop_source stop;
  std::unique_ptr<sfcrimed::detail::PipelineThread> thread;

  explicit ThreadFixture(int partitions = 2) {
    config.pipeline.commit_interval = 1s;
    shared = std::make_unique<sfcrimed::detail::PipelineShared>(config, metrics, health);
    shared->partitions = partitions;
    shared->stats_partitions = partitions;
    store = std::make_unique<sfcrimed::test::FakeStateStore>(shared->spec);
    output = std::make_unique<sfcrimed::test::FakeOutput>(*store);
    source.group_offsets = &output->committed_offsets;
    thread = std::make_unique<sfcrimed::detail::PipelineThread>(
        *shared, 0, stop.get_token(), health.add("pipeline thread 0"),
        sfcrimed::detail::ThreadIo{source, *output, *store}, [this] { return now; });
  }

  // `count` calls in `partition`, all in the hour from 09:00, ids from `first`.
  void calls(std::int32_t partition, int count, int first = 0) {
    for (int index = first; index < first + count; ++index) {
      source.topic[partition].push_back(
          call_json("c" + std::to_string(index), "Traffic Stop", "2018-10-02T09:" + std::to_string(10 + index % 40)));
    }
  }
  void poll(int times = 20) const {
    for (int step = 0; step < times; ++step) {
      thread->poll_once();
    }
  }
  // Past the commit interval, and one more poll to notice.
  void tick() {
    now += 2s;
    thread->poll_once();
  }
};

}  // namespace sfcrimed::test
