// The service's parts on their own threads: the pipeline and the ingest. Each runs until
// it is done, fails or is stopped, and posts its end to the loop.

#include <boost/asio/post.hpp>

#include "commands.hpp"
#include "service.hpp"
#include "sfcrimed/client_settings.hpp"
#include "sfcrimed/kafka_retry.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/topic_reader.hpp"
#include "sfcrimed/window_state.hpp"

namespace sfcrimed::daemon {
namespace {

// What the stats and dead-letter topics hold from earlier runs, for the live page to go
// on from; empty (and said) when they cannot be read.
StatsTotals published_stats(const Config& config) {
  const kafka::Settings settings = client_settings(config, "sfcrimed-live-start");
  constexpr std::chrono::seconds kTimeout{30};
  StatsTotals totals;
  try {
    kafka::read_stats_topic(settings, stats_topic(config), totals, kTimeout);
    const auto letters = kafka::count_dead_letters(settings, dlq_topic(config), kTimeout);
    totals.set_malformed(letters.malformed);
    totals.set_late(letters.late);
  } catch (const kafka::NoSuchTopic&) {
    // A first run: nothing published yet.
  } catch (const OldStatsFormat&) {
    throw;  // not for the live page to paper over: the pipeline would mix two formats
  } catch (const std::exception& e) {
    log::warning("live", std::string("the live page starts from zero: cannot read what earlier runs published (") +
                             e.what() + ")");
    return {};
  }
  if (totals.calls() > 0) {
    log::info("live", "the live page goes on from " + std::to_string(totals.calls()) +
                          " calls counted by earlier runs (the stats topic)");
  }
  return totals;
}

}  // namespace

void Service::start_pipeline() {
  if (!pipeline_) {
    return;
  }
  if (config_.drain && !config_.ingest.enabled) {
    pipeline_->drain_to_current_end();
  }
  if (http_server_) {
    pipeline_->on_committed_stats([this](const std::vector<StatsEntry>& entries) { live_.add(entries); });
  }
  pipeline_thread_ = std::jthread([this] { pipeline_thread_body(); });
}

void Service::pipeline_thread_body() {
  int status = 0;
  std::optional<PipelineReport> result;
  try {
    if (http_server_) {
      live_.start_from(published_stats(config_));
    }
    result = pipeline_->run(stop_.get_token());
  } catch (const kafka::Interrupted& e) {
    log::notice("pipeline", std::string(e.what()) + "; the next run resumes from the last commit");
  } catch (const InstanceClash& e) {
    log::error("pipeline", std::string("stopped: ") + e.what());
    status = kExitConfig;  // systemd's RestartPreventExitStatus: a restart would fence the other
  } catch (const OldStatsFormat& e) {
    log::error("pipeline", std::string("stopped: ") + e.what());
    status = kExitConfig;  // topics of an older version: a restart would meet them again
  } catch (const SnapshotError& e) {
    log::error("pipeline", std::string("stopped: ") + e.what());
    status = kExitConfig;
  } catch (const std::exception& e) {
    log::error("pipeline", std::string("stopped: ") + e.what() + " (Kafka at " + config_.kafka.bootstrap + ")");
    status = kExitUnavailable;
  }
  boost::asio::post(io_, [this, status, result] { on_pipeline_finished(status, result); });
}

void Service::on_pipeline_finished(int status, const std::optional<PipelineReport>& report) {
  pipeline_running_ = false;
  pipeline_report_ = report;
  progress_.cancel();
  readiness_.cancel();
  finished(status, true);
}

void Service::start_ingest() {
  if (config_.ingest.enabled) {
    ingest_thread_ = std::jthread([this] { ingest_thread_body(); });
  }
}

void Service::ingest_thread_body() {
  std::optional<IngestReport> result;
  const int status = ingest(result);
  if (status == 0 && result && config_.drain && pipeline_) {
    pipeline_->drain_to_current_end();  // everything is in the topic now
  }
  boost::asio::post(io_, [this, status, result] { on_ingest_finished(status, result); });
}

// Replays the calls file into Kafka until done or stopped; the part's exit status.
int Service::ingest(std::optional<IngestReport>& report) {
  try {
    Ingest ingest(config_, metrics_, health_);
    report = ingest.run(stop_.get_token());
    return report->failed > 0 || report->sent != report->acked + report->failed ? kExitFailed : 0;
  } catch (const CallFileError& e) {
    log::error("ingest", e.what());
    return kExitDataError;
  } catch (const kafka::Interrupted& e) {
    log::notice("ingest", std::string(e.what()) + "; nothing was sent yet");
  } catch (const std::exception& e) {
    log::error("ingest", std::string("cannot replay into Kafka at ") + config_.kafka.bootstrap + ": " + e.what());
    return kExitUnavailable;
  }
  return 0;
}

void Service::on_ingest_finished(int status, const std::optional<IngestReport>& report) {
  ingest_running_ = false;
  ingest_report_ = report;
  finished(status, config_.drain && !config_.pipeline.enabled);
}

}  // namespace sfcrimed::daemon
