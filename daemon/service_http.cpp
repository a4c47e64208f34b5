// The service's HTTP endpoint (metrics.listen): /metrics, /healthz, /readyz, the live
// page and its data.

#include "commands.hpp"
#include "live_page.hpp"
#include "service.hpp"
#include "sfcrimed/log.hpp"

namespace sfcrimed::daemon {

std::optional<int> Service::open_http() {
  if (config_.metrics.listen.empty()) {
    return std::nullopt;
  }
  try {
    http_server_.emplace(io_, config_.metrics.listen);
  } catch (const std::exception& e) {
    log::error("metrics", e.what());
    return kExitUnavailable;
  }
  add_routes();
  live_events_ = http_server_->events("/api/events");
  http_server_->start();
  const auto endpoint = http_server_->endpoint();
  const std::string address = "http://" + endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  log::notice("metrics", "the live page: " + address + "/ (Prometheus: " + address + "/metrics; " + address +
                             "/healthz, " + address + "/readyz)");
  return std::nullopt;
}

void Service::add_routes() {
  http_server_->route("/metrics", [this] {
    return http::Response{200, "text/plain; version=0.0.4; charset=utf-8", metrics_.text()};
  });
  http_server_->route("/healthz", [this] { return healthz(); });
  http_server_->route("/readyz", [this] { return readyz(); });
  // The live page, and its data: the latest state, its stream, and the totals as
  // `sfcrimed stats --json` prints them.
  for (const auto& file : live_page_files()) {
    http_server_->route(std::string(file.path), [&file] {
      return http::Response{200, std::string(file.content_type), std::string(file.body)};
    });
  }
  http_server_->route("/api/live", [this] { return http::Response{200, "application/json", live_state_ + "\n"}; });
  http_server_->route("/api/stats", [this] { return api_stats(); });
}

// Alive: the loop answers, no part has failed (a failed part ends the process) and none
// is stuck (work waiting and no progress, or a Kafka call past its deadline).
http::Response Service::healthz() const {
  if (exit_status_ != 0) {
    return http::Response{503, "text/plain; charset=utf-8",
                          "failing: exit status " + std::to_string(exit_status_) + "\n"};
  }
  return verdict_.stuck ? http::Response{503, "text/plain; charset=utf-8", "stuck: " + verdict_.reason + "\n"}
                        : http::Response{200, "text/plain; charset=utf-8", "ok\n"};
}

http::Response Service::readyz() const {
  const std::string reason = not_ready_because();
  return reason.empty() ? http::Response{200, "text/plain; charset=utf-8", "ready\n"}
                        : http::Response{503, "text/plain; charset=utf-8", "not ready: " + reason + "\n"};
}

http::Response Service::api_stats() const {
  PipelineProgress::Mark scratch;
  const std::uint64_t malformed = pipeline_ ? pipeline_->progress(scratch).malformed : 0;
  return http::Response{200, "application/json", live_.stats_json(malformed) + "\n"};
}

}  // namespace sfcrimed::daemon
