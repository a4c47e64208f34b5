#include "sfcrimed/pipeline/record_handler.hpp"

#include <catch2/catch.hpp>

#include "fake_io.hpp"

using sfcrimed::detail::LocalCounts;
using sfcrimed::detail::Outcome;
using sfcrimed::detail::RecordHandler;
using sfcrimed::test::call_json;

TEST_CASE("a record is counted, a duplicate or late one dropped, a malformed one refused with its reason",
          "[record_handler]") {
  sfcrimed::PartitionWindows state(0, {3600, 0});
  RecordHandler handler;
  CHECK(handler.handle(call_json("1", "Traffic Stop", "2018-10-02T09:10"), state) == Outcome::counted);
  CHECK(handler.handle(call_json("1", "Traffic Stop", "2018-10-02T09:10"), state) == Outcome::duplicate);
  CHECK(handler.handle(call_json("2", "Traffic Stop", "2018-10-02T11:10"), state) == Outcome::counted);
  CHECK(handler.handle(call_json("3", "Traffic Stop", "2018-10-02T09:20"), state) == Outcome::late);  // no lateness
  CHECK(handler.handle(R"({"crime_id":"4"})", state) == Outcome::malformed);
  CHECK_THAT(handler.reason(), Catch::Contains("is missing"));
  CHECK(handler.handle("not json", state) == Outcome::malformed);
  CHECK_FALSE(handler.reason().empty());
}

TEST_CASE("a thread's counts add up its outcomes and bucket its latencies", "[record_handler]") {
  LocalCounts counts({0.01, 0.1, 1});
  for (const auto outcome :
       {Outcome::counted, Outcome::counted, Outcome::duplicate, Outcome::late, Outcome::malformed}) {
    counts.count(outcome);
  }
  CHECK(counts.consumed == 5);
  CHECK(counts.parsed == 4);
  CHECK(counts.aggregated == 2);
  CHECK(counts.duplicate == 1);
  CHECK(counts.late == 1);
  CHECK(counts.malformed == 1);
  counts.observe_latency(0.005);
  counts.observe_latency(0.5);
  counts.observe_latency(5);
  CHECK(counts.latency_buckets == std::vector<double>{1, 0, 1, 1});
  CHECK(counts.latency_sum == Approx(5.505));
  counts.clear();
  CHECK(counts.consumed == 0);
  CHECK(counts.latency_buckets == std::vector<double>{0, 0, 0, 0});
}
