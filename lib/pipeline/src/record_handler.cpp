#include "sfcrimed/pipeline/record_handler.hpp"

#include <algorithm>

namespace sfcrimed::detail {

LocalCounts::LocalCounts(const std::vector<double>& bucket_bounds)
    : latency_buckets(bucket_bounds.size() + 1, 0), bounds_(bucket_bounds) {}

void LocalCounts::count(Outcome outcome) {
  ++consumed;
  switch (outcome) {
    case Outcome::malformed:
      ++malformed;
      return;
    case Outcome::counted:
      ++aggregated;
      break;
    case Outcome::duplicate:
      ++duplicate;
      break;
    case Outcome::late:
      ++late;
      break;
  }
  ++parsed;
}

void LocalCounts::observe_latency(double seconds) {
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin();
  latency_buckets[static_cast<std::size_t>(bucket)] += 1;
  latency_sum += seconds;
}

void LocalCounts::clear() {
  consumed = parsed = malformed = duplicate = late = aggregated = 0;
  std::fill(latency_buckets.begin(), latency_buckets.end(), 0);
  latency_sum = 0;
}

Outcome RecordHandler::handle(std::string_view value, PartitionWindows& state) {
  if (!parser_.parse(value, call_, reason_)) {
    return Outcome::malformed;
  }
  switch (state.apply(call_)) {
    case Applied::counted:
      return Outcome::counted;
    case Applied::duplicate:
      return Outcome::duplicate;
    case Applied::late:
      return Outcome::late;
  }
  return Outcome::counted;  // not reached: every Applied is handled above
}

}  // namespace sfcrimed::detail
