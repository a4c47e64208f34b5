#include "sfcrimed/health.hpp"

#include <catch2/catch.hpp>
#include <chrono>

using namespace std::chrono_literals;
using sfcrimed::Health;

namespace {

struct FakeClock {
  Health::Clock::time_point now = Health::Clock::time_point(std::chrono::hours(1));
  std::function<Health::Clock::time_point()> function() {
    return [this] { return now; };
  }
};

}  // namespace

TEST_CASE("a part with work waiting and no progress for longer than the bound is stuck", "[health]") {
  FakeClock clock;
  Health health(3s, clock.function());
  Health::Part& thread = health.add("pipeline thread 1");
  thread.set_work(1200, "records to read in its partitions");
  clock.now += 2s;
  CHECK_FALSE(health.check().stuck);
  clock.now += 2s;
  const auto verdict = health.check();
  CHECK(verdict.stuck);
  CHECK(verdict.reason == "pipeline thread 1: no progress for 4.0 s with 1200 records to read in its partitions");
  CHECK(verdict.stuck_for == 4s);

  thread.progressed();
  CHECK_FALSE(health.check().stuck);
}

TEST_CASE("a part without work is never stuck, however long it waits", "[health]") {
  FakeClock clock;
  Health health(3s, clock.function());
  Health::Part& ingest = health.add("ingest");
  ingest.set_work(0, "calls sent and not acknowledged yet");
  clock.now += 1h;
  CHECK_FALSE(health.check().stuck);
  // Work that arrives now has waited from now on, not for the hour before.
  ingest.set_work(10, "calls sent and not acknowledged yet");
  clock.now += 1s;
  CHECK_FALSE(health.check().stuck);
  clock.now += 3s;
  CHECK(health.check().stuck);
}

TEST_CASE("a call past its own deadline by more than the bound is stuck, with or without work", "[health]") {
  FakeClock clock;
  Health health(5s, clock.function());
  Health::Part& monitor = health.add("pipeline monitor");
  {
    const auto in_call = monitor.call("reading the drain's end offsets", clock.now + 10s);
    clock.now += 14s;
    CHECK_FALSE(health.check().stuck);
    clock.now += 2s;
    const auto verdict = health.check();
    CHECK(verdict.stuck);
    CHECK(verdict.reason == "pipeline monitor: in reading the drain's end offsets for 16.0 s, 6.0 s past its deadline");
  }
  CHECK_FALSE(health.check().stuck);  // the call returned
}

TEST_CASE("every stuck part is named, the longest-stuck sets how long", "[health]") {
  FakeClock clock;
  Health health(1s, clock.function());
  Health::Part& first = health.add("pipeline thread 0");
  Health::Part& second = health.add("pipeline thread 1");
  first.set_work(5, "records to read in its partitions");
  clock.now += 3s;
  second.set_work(7, "records to read in its partitions");
  const auto in_call = second.call("commit the transaction", clock.now + 30s);
  clock.now += 2s;
  const auto verdict = health.check();
  CHECK(verdict.reason ==
        "pipeline thread 0: no progress for 5.0 s with 5 records to read in its partitions; pipeline thread 1: no "
        "progress for 2.0 s with 7 records to read in its partitions (in commit the transaction)");
  CHECK(verdict.stuck_for == 5s);
}
