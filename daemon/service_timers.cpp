// The service's timers on its loop: the progress line, readiness, the watchdog's pings,
// the parts' health and the live page's state.

#include <algorithm>
#include <boost/asio/post.hpp>
#include <vector>

#include "commands.hpp"
#include "service.hpp"
#include "sfcrimed/connection_refusal.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/systemd_notify.hpp"

namespace sfcrimed::daemon {
namespace {

// How often the live page gets a new state: often enough to watch, cheap to compute.
constexpr std::chrono::seconds kLiveUpdateInterval{1};

// How often the parts' health is looked at (/healthz answers from the last look).
constexpr std::chrono::seconds kHealthInterval{1};

// Readiness is polled: the pipeline's threads take their partitions in librdkafka's
// callbacks, and a look every 50 ms costs nothing.
constexpr std::chrono::milliseconds kReadinessInterval{50};

}  // namespace

void Service::start_timers() {
  if (pipeline_ && config_.pipeline.progress_interval.count() > 0) {
    schedule(progress_, config_.pipeline.progress_interval, &Service::on_progress);
  }
  boost::asio::post(io_, [this] { on_readiness({}); });
  if (ping_interval_) {
    boost::asio::post(io_, [this] { on_watchdog({}); });
  }
  boost::asio::post(io_, [this] { on_health({}); });
  ingest_mark_ = {std::chrono::steady_clock::now(), 0.0};
  if (http_server_) {
    boost::asio::post(io_, [this] { on_live_tick({}); });
  }
}

void Service::on_progress(const boost::system::error_code& error) {
  if (error) {
    return;
  }
  const std::string line = pipeline_->progress_line();
  log::info("progress", line);
  if (phase_ == Phase::ready) {
    systemd::notify_status(line);
  }
  schedule(progress_, config_.pipeline.progress_interval, &Service::on_progress);
}

// Ready: the endpoint listens (it is answering) and every pipeline thread has its
// partitions and their committed state; the reason when not.
std::string Service::not_ready_because() const {
  if (phase_ == Phase::stopping) {
    return "stopping";
  }
  if (pipeline_ && pipeline_->threads_assigned() < config_.pipeline.threads) {
    return "the pipeline is starting: " + std::to_string(pipeline_->threads_assigned()) + " of " +
           std::to_string(config_.pipeline.threads) + " threads have their partitions";
  }
  return {};
}

// "ready: replaying calls.json into sf.police.calls; 2 pipeline threads counting; metrics on ..."
std::string Service::ready_text() const {
  std::vector<std::string> parts;
  if (config_.ingest.enabled) {
    parts.push_back("replaying " + config_.ingest.file + " into " + config_.kafka.topic);
  }
  if (pipeline_) {
    parts.push_back(std::to_string(config_.pipeline.threads) + " pipeline threads counting");
  }
  if (!config_.metrics.listen.empty()) {
    parts.push_back("metrics on " + config_.metrics.listen);
  }
  std::string status = "ready";
  for (const auto& part : parts) {
    status += (&part == parts.data() ? ": " : "; ") + part;
  }
  return status;
}

void Service::on_readiness(const boost::system::error_code& error) {
  if (error || phase_ != Phase::starting) {
    return;
  }
  if (not_ready_because().empty()) {
    phase_ = Phase::ready;
    ready_status_ = ready_text();
    log::notice("sfcrimed", ready_status_);
    systemd::notify_ready(ready_status_);
    return;
  }
  schedule(readiness_, kReadinessInterval, &Service::on_readiness);
}

// The watchdog pings come from the loop: a loop that stopped turning stops them.
void Service::on_watchdog(const boost::system::error_code& error) {
  if (error) {
    return;
  }
  if (!verdict_.stuck) {
    systemd::notify_watchdog();  // a stuck part stops the pings: systemd restarts the daemon
  }
  schedule(watchdog_, *ping_interval_, &Service::on_watchdog);
}

// The parts' health, looked at each second: a part that gets stuck is logged once (and
// its recovery), and one stuck for longer than kafka.unavailable_timeout ends the run
// with 69, as a part that gives up on Kafka does.
void Service::on_health(const boost::system::error_code& error) {
  if (error) {
    return;
  }
  const Health::Verdict now = health_.check();
  if (now.stuck && !verdict_.stuck) {
    log::error("health", "stuck: " + now.reason + "; /healthz answers 503" +
                             (ping_interval_ ? " and the watchdog pings stop (systemd restarts sfcrimed)" : ""));
  } else if (!now.stuck && verdict_.stuck) {
    log::notice("health", "no part is stuck any more; /healthz answers 200 again");
  }
  verdict_ = now;
  if (const auto refusal = kafka::ConnectionRefusals::process().lasting(); refusal && exit_status_ == 0) {
    log::error("kafka", "giving up: " + *refusal);
    finished(kExitUnavailable, true);
  }
  if (verdict_.stuck && verdict_.stuck_for >= config_.kafka.unavailable_timeout && exit_status_ == 0) {
    log::error("health", "stuck for " + format_duration(config_.kafka.unavailable_timeout) +
                             " (kafka.unavailable_timeout): giving up: " + verdict_.reason);
    finished(kExitUnavailable, true);
  }
  schedule(health_tick_, kHealthInterval, &Service::on_health);
}

std::string Service::live_status() const {
  if (phase_ == Phase::ready) {
    return ready_status_;
  }
  const std::string not_ready = not_ready_because();
  return not_ready.empty() ? "starting" : "not ready: " + not_ready;
}

// The live page's state, pushed to its open pages each second.
void Service::on_live_tick(const boost::system::error_code& error) {
  if (error) {
    return;
  }
  LiveFigures figures;
  figures.status = live_status();
  if (pipeline_) {
    figures.pipeline = pipeline_->progress(live_mark_);
  }
  figures.ingest = config_.ingest.enabled;
  const auto now = std::chrono::steady_clock::now();
  const double acked = metrics_.ingest.acked.Value();
  figures.ingested = static_cast<std::uint64_t>(acked);
  figures.ingest_rate =
      (acked - ingest_mark_.second) / std::max(1e-3, std::chrono::duration<double>(now - ingest_mark_.first).count());
  ingest_mark_ = {now, acked};
  live_state_ = live_.live_json(figures);
  live_events_->publish(live_state_);
  schedule(live_tick_, kLiveUpdateInterval, &Service::on_live_tick);
}

}  // namespace sfcrimed::daemon
