#include "sfcrimed/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include "sfcrimed/client_settings.hpp"
#include "sfcrimed/detail/format.hpp"
#include "sfcrimed/kafka_admin.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/pipeline/kafka_io.hpp"
#include "sfcrimed/pipeline/monitor.hpp"
#include "sfcrimed/pipeline/thread.hpp"

namespace sfcrimed {
namespace {

using detail::Clock;
using detail::format;
using detail::kKafkaCallTimeout;

// Compacted topics keep the latest message per key (the stats' truth, the state's
// snapshot). The state topic's segments roll often so compaction keeps it small.
kafka::Settings stats_topic_config() { return {{"cleanup.policy", "compact"}}; }
kafka::Settings state_topic_config() {
  return {{"cleanup.policy", "compact"},
          {"segment.ms", "600000"},
          {"min.cleanable.dirty.ratio", "0.1"},
          {"max.message.bytes", "16777216"}};
}

// The calls topic (created when missing), its partition count, and the topics the
// pipeline writes, each retried while the cluster fails over.
void set_up_topics(detail::PipelineShared& shared, const std::stop_token& stop) {
  const Config& config = shared.config;
  const kafka::RetryPolicy policy = shared.retry_policy(stop);
  auto& admin = shared.admin->handle();
  const auto ensure = [&](const std::string& topic, int partitions, const kafka::Settings& topic_config) {
    return kafka::retry(policy, "create or find the topic '" + topic + "'",
                        [&] { return kafka::ensure_topic(admin, topic, partitions, kKafkaCallTimeout, topic_config); });
  };
  if (ensure(config.kafka.topic, config.kafka.partitions, {})) {
    log::info("pipeline", "created topic " + config.kafka.topic + " with " + std::to_string(config.kafka.partitions) +
                              " partitions (waiting for calls)");
  }
  // Of a topic that exists: a broker that does not show it yet (a topic just created
  // reaches every broker's metadata a moment later) is asked again.
  const auto count = [&](const std::string& topic) {
    return kafka::retry(policy, "read the partitions of '" + topic + "'", [&] {
      const int partitions = kafka::partition_count(admin, topic, kKafkaCallTimeout);
      if (partitions == 0) {
        throw kafka::TransientError("the topic '" + topic + "' is not in the brokers' metadata yet");
      }
      return partitions;
    });
  };
  shared.partitions = count(config.kafka.topic);
  for (const auto& [topic, topic_config] :
       {std::pair{shared.dlq, kafka::Settings{}}, std::pair{shared.stats, stats_topic_config()},
        std::pair{shared.state, state_topic_config()}, std::pair{shared.windows, stats_topic_config()}}) {
    if (ensure(topic, shared.partitions, topic_config)) {
      log::info("pipeline", "created topic " + topic + " with " + std::to_string(shared.partitions) + " partitions");
    }
  }
  shared.stats_partitions = count(shared.stats);
  if (const int state_partitions = count(shared.state); state_partitions < shared.partitions) {
    throw std::runtime_error("the state topic '" + shared.state + "' has " + std::to_string(state_partitions) +
                             " partitions, fewer than the " + std::to_string(shared.partitions) + " of '" +
                             config.kafka.topic + "'; add partitions to it (kafka-topics.sh --alter)");
  }
}

// One consumer thread, with librdkafka's I/O: its consumer joins the group, its
// transactional producer takes over from the last one with its id, its state comes from
// the state topic. Its name (pipeline_member(): <group>.<topic>.<instance>.<index>) is its client,
// transactional and member id, so that a restarted thread fences its predecessor.
void run_thread(detail::PipelineShared& shared, int index, const std::stop_token& stop, Health::Part& health) {
  const Config& config = shared.config;
  const std::string name = pipeline_member(config, index);
  std::stop_source stopped;  // the pipeline's stop, or another thread's failure
  const std::stop_callback on_stop(stop, [&] { stopped.request_stop(); });
  const std::stop_callback on_failure(shared.failed.get_token(), [&] { stopped.request_stop(); });
  detail::KafkaCalls calls(shared.retry_policy(stopped.get_token()), health, "thread " + std::to_string(index));
  detail::KafkaSource source(group_consumer_settings(config, name), config.kafka.topic);
  detail::KafkaOutput output([&] { return transactional_producer_settings(config, name); }, source, calls,
                             config.kafka.topic, shared.dlq, shared.stats, shared.state);
  detail::KafkaStateStore store(client_settings(config, name + ".state-reader"), shared.state, shared.spec, calls);
  detail::PipelineThread thread(shared, index, stopped.get_token(), health, {source, output, store});
  try {
    thread.run();
  } catch (const std::exception& e) {
    if (source.fenced() || output.fenced()) {
      throw InstanceClash("thread " + std::to_string(index) + " (" + name +
                          ") was fenced: another process joined group " + config.pipeline.group + " as instance '" +
                          pipeline_instance(config) + "' and took over its ids (" + e.what() +
                          "); give each instance of a group its own pipeline.instance");
    }
    throw;
  }
}

// The windows stage (merge_thread.hpp), with librdkafka's I/O: a member of the windows
// group reading the stats topic, its transactional producer writing the windows topic,
// both named windows_member() (<group>.<topic>.<instance>.windows).
void run_merge(detail::PipelineShared& shared, const std::stop_token& stop, const std::atomic<bool>& inputs_done,
               Health::Part& health) {
  const Config& config = shared.config;
  const std::string name = windows_member(config);
  std::stop_source stopped;
  const std::stop_callback on_stop(stop, [&] { stopped.request_stop(); });
  const std::stop_callback on_failure(shared.failed.get_token(), [&] { stopped.request_stop(); });
  detail::KafkaCalls calls(shared.retry_policy(stopped.get_token()), health, "the windows stage");
  detail::KafkaSource source(group_consumer_settings(config, name, windows_group(config)), shared.stats);
  detail::KafkaOutput output([&] { return transactional_producer_settings(config, name); }, source, calls, shared.stats,
                             shared.dlq, shared.windows, shared.state);
  detail::KafkaMergeStore store(
      client_settings(config, name + ".reader"),
      kafka::offsets_reader(group_offsets_reader_settings(config, name + ".offsets", windows_group(config))),
      shared.stats, shared.stats_partitions, shared.partitions, calls);
  detail::MergeThread thread(shared, stopped.get_token(), inputs_done, health, {source, output, store});
  try {
    thread.run();
  } catch (const std::exception& e) {
    if (source.fenced() || output.fenced()) {
      throw InstanceClash("the windows stage (" + name + ") was fenced: another process joined group " +
                          windows_group(config) + " as instance '" + pipeline_instance(config) +
                          "' and took over its ids (" + e.what() +
                          "); give each instance of a group its own "
                          "pipeline.instance");
    }
    throw;
  }
}

// The consumer threads, the windows stage and the monitor, until the threads end; the
// windows stage ends after the consumer threads (a drain's merge reads all they wrote).
// The monitor's failure (the drain's end offsets unreadable) stops the threads, as a
// thread's failure does.
void run_threads(detail::PipelineShared& shared, const std::stop_token& stop) {
  const int count = shared.config.pipeline.threads;
  std::vector<Health::Part*> parts;
  parts.reserve(static_cast<std::size_t>(count));
  for (int index = 0; index < count; ++index) {
    parts.push_back(&shared.health.add("pipeline thread " + std::to_string(index)));
  }
  detail::PartitionMonitor monitor(shared, parts);
  std::jthread monitor_thread([&](const std::stop_token& monitor_stop) {
    try {
      monitor.run(monitor_stop);
    } catch (const kafka::Interrupted&) {
      // Stopped while reading the drain's targets: the threads stop too.
    } catch (...) {
      shared.fail(std::current_exception());
    }
  });
  std::atomic<bool> inputs_done{false};
  Health::Part& merge_health = shared.health.add("pipeline windows stage");
  std::jthread merge_thread([&] {
    try {
      run_merge(shared, stop, inputs_done, merge_health);
    } catch (...) {
      shared.fail(std::current_exception());
    }
  });
  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<std::size_t>(count));
    for (int index = 0; index < count; ++index) {
      threads.emplace_back([&shared, &stop, &parts, index] {
        try {
          run_thread(shared, index, stop, *parts[static_cast<std::size_t>(index)]);
        } catch (...) {
          shared.fail(std::current_exception());
        }
      });
    }
  }
  inputs_done.store(true, std::memory_order_release);
  merge_thread.join();
  monitor_thread.request_stop();
  const std::lock_guard lock(shared.wake_mutex);
  shared.wake.notify_all();
}

}  // namespace

std::string PipelineReport::to_json() const {
  return "{\"consumed\":" + std::to_string(consumed) + ",\"malformed\":" + std::to_string(malformed) +
         ",\"duplicates\":" + std::to_string(duplicates) + ",\"late\":" + std::to_string(late) +
         ",\"windows_emitted\":" + std::to_string(windows_emitted) + ",\"seconds\":" + format("%.3f", seconds) +
         ",\"rate\":" + format("%.1f", rate()) + ",\"drained\":" + (drained ? "true" : "false") + "}";
}

Pipeline::Pipeline(const Config& config, Metrics& metrics, Health& health)
    : shared_(std::make_unique<detail::PipelineShared>(config, metrics, health)) {}

Pipeline::~Pipeline() = default;

PipelineReport Pipeline::run(const std::stop_token& stop) {
  detail::PipelineShared& shared = *shared_;
  const Config& config = shared.config;
  shared.admin = std::make_unique<kafka::Producer>(client_settings(config, "sfcrimed-pipeline-admin"));
  set_up_topics(shared, stop);
  shared.metrics.pipeline.threads.Set(config.pipeline.threads);
  shared.metrics.describe_instance(config.pipeline.group, pipeline_instance(config));
  log::info("pipeline", std::to_string(config.pipeline.threads) + " threads consuming " + config.kafka.topic + " (" +
                            std::to_string(shared.partitions) + " partitions) in group " + config.pipeline.group +
                            " as instance " + pipeline_instance(config) +
                            (uses_consumer_group_protocol(config) ? " (group.protocol consumer, KIP-848)" : "") +
                            "; windows of " + format_duration(config.pipeline.window) + ", allowed lateness " +
                            format_duration(config.pipeline.allowed_lateness));
  run_threads(shared, stop);
  if (const auto error = shared.error()) {
    std::rethrow_exception(error);
  }
  PipelineReport report;
  report.consumed = shared.consumed;
  report.malformed = shared.malformed;
  report.duplicates = shared.duplicates;
  report.late = shared.late;
  report.windows_emitted = shared.windows_emitted.size();
  report.drained = shared.drain.done();
  if (shared.first_record) {
    report.seconds = std::chrono::duration<double>(Clock::now() - *shared.first_record).count();
  }
  return report;
}

int Pipeline::threads_assigned() const { return shared_->threads_assigned.load(std::memory_order_acquire); }

void Pipeline::drain_to_current_end() { shared_->request_drain(); }

PipelineProgress Pipeline::progress(PipelineProgress::Mark& since) const {
  detail::PipelineShared& shared = *shared_;
  const auto now = Clock::now();
  const double seconds = std::max(1e-3, std::chrono::duration<double>(now - since.time).count());
  PipelineProgress progress;
  const double consumed = shared.metrics.pipeline.consumed.Value();
  progress.partitions = shared.board.lags();
  for (const auto& partition : progress.partitions) {
    progress.lag += partition.lag;
  }
  progress.open_windows = shared.board.open_windows();
  const std::int64_t end_sum = shared.board.end_sum();
  const auto histogram = shared.metrics.pipeline.latency.Collect().histogram;
  std::vector<std::uint64_t> cumulative;
  for (const auto& bucket : histogram.bucket) {
    cumulative.push_back(bucket.cumulative_count);
  }
  progress.latency_p50 = bucket_quantile(histogram, since.latency, 0.5);
  progress.latency_p99 = bucket_quantile(histogram, since.latency, 0.99);
  progress.input_rate =
      since.end_sum < 0 || end_sum < 0 ? 0 : std::max(0.0, static_cast<double>(end_sum - since.end_sum) / seconds);
  progress.processed_rate = (consumed - since.consumed) / seconds;
  progress.consumed = static_cast<std::uint64_t>(consumed);
  progress.malformed = shared.malformed.load();
  progress.duplicates = shared.duplicates.load();
  progress.late = shared.late.load();
  since = {now, consumed, end_sum, std::move(cumulative)};
  return progress;
}

namespace {

// "lag 12 records", or "lag 1200 records (700 of them in p2, unowned)": never a lag that
// leaves out a partition nobody reads.
std::string lag_text(const PipelineProgress& progress) {
  std::string unowned;
  std::int64_t unowned_lag = 0;
  for (const auto& partition : progress.partitions) {
    if (partition.unowned()) {
      unowned += (unowned.empty() ? "p" : ", p") + std::to_string(partition.partition);
      unowned_lag += partition.lag;
    }
  }
  std::string text = "lag " + std::to_string(progress.lag) + " records";
  if (progress.partitions.empty()) {
    return text + " (offsets not read yet)";
  }
  if (!unowned.empty()) {
    text += " (" + std::to_string(unowned_lag) + " of them in " + unowned + ", unowned)";
  }
  return text;
}

}  // namespace

std::string Pipeline::progress_line() {
  const auto progress = this->progress(shared_->progress_line_mark);
  std::string p99 = "-";
  if (progress.latency_p99) {
    p99 = std::isinf(*progress.latency_p99) ? "> " + format("%.1f", shared_->latency_bounds.back()) + " s"
                                            : "<= " + format("%.4f", *progress.latency_p99) + " s";
  }
  return "input " + format("%.1f", progress.input_rate) + " rows/s, processed " +
         format("%.1f", progress.processed_rate) + " rows/s, " + lag_text(progress) + ", p99 latency " + p99 +
         ", open windows " + std::to_string(progress.open_windows) + "; totals: " + std::to_string(progress.consumed) +
         " consumed, " + std::to_string(progress.malformed) + " malformed, " + std::to_string(progress.duplicates) +
         " duplicate, " + std::to_string(progress.late) + " late";
}

void Pipeline::on_committed_stats(StatsListener listener) { shared_->stats_listener = std::move(listener); }

}  // namespace sfcrimed
