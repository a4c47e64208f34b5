#include "sfcrimed/metrics.hpp"

#include <catch2/catch.hpp>
#include <cmath>

TEST_CASE("quantiles from histogram buckets: since a mark, bucket bounds, nothing when empty", "[metrics]") {
  sfcrimed::Metrics metrics;
  auto& latency = metrics.pipeline.latency;
  CHECK_FALSE(sfcrimed::bucket_quantile(latency.Collect().histogram, {}, 0.5).has_value());
  for (int i = 0; i < 98; ++i) {
    latency.Observe(0.0004);  // the first bucket (0.5 ms)
  }
  latency.Observe(0.010);
  latency.Observe(100);  // past the last bound
  const auto histogram = latency.Collect().histogram;
  CHECK(sfcrimed::bucket_quantile(histogram, {}, 0.5) == Approx(0.0005));
  CHECK(std::isinf(*sfcrimed::bucket_quantile(histogram, {}, 0.999)));

  // Since a mark: only what came after it counts.
  std::vector<std::uint64_t> mark;
  for (const auto& bucket : histogram.bucket) {
    mark.push_back(bucket.cumulative_count);
  }
  CHECK_FALSE(sfcrimed::bucket_quantile(histogram, mark, 0.5).has_value());
  latency.Observe(0.010);
  const double p50 = *sfcrimed::bucket_quantile(latency.Collect().histogram, mark, 0.5);
  CHECK(p50 >= 0.010);
  CHECK(p50 < 0.015);
}
