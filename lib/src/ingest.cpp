#include "sfcrimed/ingest.hpp"

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "sfcrimed/call_file.hpp"
#include "sfcrimed/kafka_admin.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/producer.hpp"

namespace sfcrimed {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kBadRecordsLogged = 10;

// Sleeps until `when`, waking early when a stop is requested.
void sleep_until(Clock::time_point when, const std::stop_token& stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_until(lock, stop, when, [] { return false; });
}

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

// Brings the Prometheus counters level with the producer's own count.
class CounterSync {
 public:
  CounterSync(IngestMetrics& metrics, const kafka::Producer& producer) : metrics_(metrics), producer_(producer) {}
  void update() {
    const auto counts = producer_.counts();
    metrics_.sent.Increment(static_cast<double>(counts.queued - last_.queued));
    metrics_.acked.Increment(static_cast<double>(counts.acked - last_.acked));
    metrics_.failed.Increment(static_cast<double>(counts.failed - last_.failed));
    last_ = counts;
  }

 private:
  IngestMetrics& metrics_;
  const kafka::Producer& producer_;
  kafka::DeliveryCounts last_;
};

}  // namespace

std::string IngestReport::to_json() const {
  return "{\"sent\":" + std::to_string(sent) + ",\"acked\":" + std::to_string(acked) +
         ",\"failed\":" + std::to_string(failed) + ",\"skipped\":" + std::to_string(skipped) +
         ",\"not_sent\":" + std::to_string(not_sent) + ",\"seconds\":" + format("%.3f", seconds) +
         ",\"rate\":" + format("%.1f", rate()) + "}";
}

Ingest::Ingest(const Config& config, Metrics& metrics) : config_(config), metrics_(metrics) {}

IngestReport Ingest::run(const std::stop_token& stop, std::chrono::milliseconds flush_timeout) {
  IngestReport report;
  const IngestConfig& settings = config_.ingest;
  metrics_.ingest.rate_limit.Set(settings.rate);
  metrics_.ingest.speedup.Set(settings.speedup);

  const auto read_start = Clock::now();
  // Everything is read and checked before anything is sent: with ingest.on_error = fail
  // a bad file sends nothing (CallFileError leaves here).
  const CallFile file = CallFile::load(settings.file, settings.order, settings.on_error);
  const double read_seconds = std::chrono::duration<double>(Clock::now() - read_start).count();
  report.records = file.calls().size();
  report.skipped = file.bad_records().size();
  metrics_.ingest.skipped.Increment(static_cast<double>(report.skipped));
  log::info("ingest", "read " + settings.file + ": " + std::to_string(report.records) + " calls" +
                          (report.skipped > 0 ? ", " + std::to_string(report.skipped) + " bad records skipped" : "") +
                          ", " + format("%.1f", static_cast<double>(file.json_bytes()) / 1e6) + " MB of JSON in " +
                          format("%.2f", read_seconds) +
                          " s; replay order: " + (settings.order == ReplayOrder::event_time ? "event time" : "file"));
  for (std::size_t i = 0; i < file.bad_records().size() && i < kBadRecordsLogged; ++i) {
    const auto& bad = file.bad_records()[i];
    log::warning("ingest", settings.file + ": record " + std::to_string(bad.index) + " " + bad.reason + ": skipped");
  }
  if (file.bad_records().size() > kBadRecordsLogged) {
    log::warning("ingest", std::to_string(file.bad_records().size() - kBadRecordsLogged) +
                               " more bad records skipped (ingest.on_error = fail refuses such a file)");
  }

  kafka::Settings producer_settings = {{"bootstrap.servers", config_.kafka.bootstrap},
                                       {"client.id", "sfcrimed-ingest"}};
  producer_settings.insert(producer_settings.end(), config_.producer.begin(), config_.producer.end());
  std::uint64_t failures_logged = 0;
  kafka::Producer producer(producer_settings, [&](std::string_view, std::string_view key, std::string_view reason) {
    if (++failures_logged <= kBadRecordsLogged || log::enabled(log::Level::debug)) {
      log::error("ingest", "delivery of call " + std::string(key) + " to " + config_.kafka.topic +
                               " failed: " + std::string(reason));
    }
  });
  metrics_.describe_producer(config_.producer);
  if (kafka::ensure_topic(producer.handle(), config_.kafka.topic, config_.kafka.partitions, std::chrono::seconds(15))) {
    log::notice("ingest", "created topic " + config_.kafka.topic + " with " + std::to_string(config_.kafka.partitions) +
                              " partitions");
  }

  CounterSync sync(metrics_.ingest, producer);
  std::string value;
  const auto& calls = file.calls();
  const auto start = Clock::now();
  auto last_sync = start;
  std::uint64_t sent = 0;
  bool stopped = false;
  do {
    const auto pass_start = Clock::now();
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const Call& call = calls[i];
      Clock::time_point due{};
      if (settings.rate > 0) {
        due = start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(static_cast<double>(sent) / settings.rate));
      } else if (settings.speedup > 0) {
        due = pass_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                               static_cast<double>(call.time - calls.front().time) / settings.speedup));
      }
      if (due > Clock::now()) {
        producer.poll(std::chrono::milliseconds(0));
        sleep_until(due, stop);
      }
      if (stop.stop_requested()) {
        stopped = true;
        report.not_sent = calls.size() - i;
        break;
      }
      compact_json(call.json, value);
      producer.produce(config_.kafka.topic, call.crime_id, value);
      ++sent;
      if ((sent & 1023U) == 0 && Clock::now() - last_sync > std::chrono::milliseconds(250)) {
        sync.update();
        last_sync = Clock::now();
      }
    }
    if (settings.loop && !stopped) {
      log::info("ingest", "end of " + settings.file + " after " + std::to_string(sent) + " calls sent; starting over");
    }
  } while (settings.loop && !stopped);

  if (stopped) {
    log::notice("ingest", "stop requested: " + std::to_string(sent) + " calls sent, " +
                              std::to_string(report.not_sent) + " not sent; waiting for delivery reports");
  }
  if (!producer.flush(flush_timeout)) {
    log::error("ingest", std::to_string(producer.counts().in_flight()) + " calls still unacknowledged after " +
                             std::to_string(flush_timeout.count() / 1000) + " s");
  }
  sync.update();
  const auto counts = producer.counts();
  report.sent = counts.queued;
  report.acked = counts.acked;
  report.failed = counts.failed;
  report.stopped = stopped;
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  log::info("ingest", "sent " + std::to_string(report.sent) + ", acknowledged " + std::to_string(report.acked) +
                          ", failed " + std::to_string(report.failed) + ", skipped " + std::to_string(report.skipped) +
                          ", not sent " + std::to_string(report.not_sent) + " in " + format("%.2f", report.seconds) +
                          " s (" + format("%.0f", report.rate()) + " calls/s)");
  return report;
}

}  // namespace sfcrimed
