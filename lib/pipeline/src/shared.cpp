#include "sfcrimed/pipeline/shared.hpp"

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
      windows(windows_topic(config_in)),
      latency_bounds(latency_buckets()) {}

kafka::RetryPolicy PipelineShared::retry_policy(const std::stop_token& stop) const {
  kafka::RetryPolicy policy;
  policy.give_up_after = config.kafka.unavailable_timeout;
  policy.stop = stop;
  return policy;
}

void PipelineShared::request_drain() {
  drain.request();
  const std::lock_guard lock(wake_mutex);
  wake.notify_all();
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
