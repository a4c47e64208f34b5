#include "detail/pipeline_shared.hpp"

#include <algorithm>

#include "sfcrimed/log.hpp"

namespace sfcrimed::detail {

PipelineShared::PipelineShared(const Config& config_in, Metrics& metrics_in, Health& health_in)
    : config(config_in),
      metrics(metrics_in),
      health(health_in),
      codes(config_in.pipeline.radio_codes.empty() ? RadioCodes::builtin()
                                                   : RadioCodes::load(config_in.pipeline.radio_codes)),
      spec{config_in.pipeline.window.count(), config_in.pipeline.allowed_lateness.count()},
      dlq(dlq_topic(config_in)),
      stats(stats_topic(config_in)),
      state(state_topic(config_in)),
      latency_bounds(latency_buckets()) {}

kafka::RetryPolicy PipelineShared::retry_policy(const std::stop_token& stop) const {
  kafka::RetryPolicy policy;
  policy.give_up_after = config.kafka.unavailable_timeout;
  policy.stop = stop;
  return policy;
}

void PipelineShared::request_drain() {
  {
    const std::lock_guard lock(drain_mutex_);
    drain_requested_ = true;
  }
  const std::lock_guard lock(wake_mutex);
  wake.notify_all();
}

bool PipelineShared::drain_wanted() const {
  const std::lock_guard lock(drain_mutex_);
  return drain_requested_ && !drain_armed_;
}

void PipelineShared::arm_drain(std::map<std::int32_t, std::int64_t> targets) {
  std::string where;
  for (const auto& [partition, offset] : targets) {
    where += (where.empty() ? "p" : ", p") + std::to_string(partition) + " " + std::to_string(offset);
  }
  log::info("pipeline", "draining to the end offsets " + where);
  const std::lock_guard lock(drain_mutex_);
  drain_targets_ = std::move(targets);
  drain_armed_.store(true, std::memory_order_release);
}

void PipelineShared::drain_progress(std::int32_t partition, std::int64_t next_offset) {
  if (!drain_armed_.load(std::memory_order_acquire)) {
    return;  // the common case, without the lock
  }
  const std::lock_guard lock(drain_mutex_);
  if (drain_targets_.empty() || drained) {
    return;
  }
  if (next_offset >= drain_targets_[partition]) {
    drain_reached_.insert(partition);
  }
  if (drain_reached_.size() == drain_targets_.size()) {
    drained = true;
  }
}

void PipelineShared::drain_rewound(std::int32_t partition) {
  const std::lock_guard lock(drain_mutex_);
  if (!drained) {
    drain_reached_.erase(partition);
  }
}

void PipelineShared::owned(std::int32_t partition, const Owned& owned) {
  const std::lock_guard lock(partitions_mutex_);
  owned_[partition] = owned;
}

void PipelineShared::released(std::int32_t partition) {
  const std::lock_guard lock(partitions_mutex_);
  owned_.erase(partition);
}

void PipelineShared::set_end_offsets(const std::map<std::int32_t, std::int64_t>& ends) {
  const std::lock_guard lock(partitions_mutex_);
  for (const auto& [partition, end] : ends) {
    ends_[partition] = end;
  }
}

std::vector<PartitionProgress> PipelineShared::update_lags(const std::map<std::int32_t, std::int64_t>& committed) {
  const std::lock_guard lock(partitions_mutex_);
  std::vector<PartitionProgress> lags;
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    PartitionProgress lag{partition, std::nullopt, -1, 0};
    std::int64_t position = 0;
    if (const auto owner = owned_.find(partition); owner != owned_.end()) {
      lag.owner = owner->second.thread;
      position = owner->second.next_offset;
    } else if (const auto done = committed.find(partition); done != committed.end()) {
      position = done->second;
    }
    if (const auto end = ends_.find(partition); end != ends_.end()) {
      lag.end = end->second;
      lag.lag = std::max<std::int64_t>(0, end->second - position);
    }
    lags.push_back(lag);
  }
  lags_ = lags;
  return lags;
}

std::vector<PartitionProgress> PipelineShared::lags() const {
  const std::lock_guard lock(partitions_mutex_);
  return lags_;
}

std::vector<std::int32_t> PipelineShared::unowned() const {
  const std::lock_guard lock(partitions_mutex_);
  std::vector<std::int32_t> unowned;
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    if (!owned_.contains(partition)) {
      unowned.push_back(partition);
    }
  }
  return unowned;
}

std::int64_t PipelineShared::end_sum() const {
  const std::lock_guard lock(partitions_mutex_);
  if (ends_.empty()) {
    return -1;
  }
  std::int64_t sum = 0;
  for (const auto& [partition, end] : ends_) {
    sum += end;
  }
  return sum;
}

std::size_t PipelineShared::open_windows() const {
  const std::lock_guard lock(partitions_mutex_);
  std::size_t open = 0;
  for (const auto& [partition, owned] : owned_) {
    open += owned.open_windows;
  }
  return open;
}

void PipelineShared::fail(std::exception_ptr e) {
  {
    const std::lock_guard lock(error_mutex_);
    if (!error_) {
      error_ = std::move(e);
    }
  }
  failed.request_stop();
  const std::lock_guard lock(wake_mutex);
  wake.notify_all();
}

std::exception_ptr PipelineShared::error() const {
  const std::lock_guard lock(error_mutex_);
  return error_;
}

}  // namespace sfcrimed::detail
