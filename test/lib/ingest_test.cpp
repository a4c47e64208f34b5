#include "sfcrimed/ingest.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "sfcrimed/sample.hpp"
#include "temp_files.hpp"

using namespace std::chrono_literals;
using sfcrimed::Config;
using sfcrimed::Ingest;
using sfcrimed::Metrics;

namespace {

// An ingest of a generated sample into librdkafka's mock cluster.
Config mock_config(const std::string& file) {
  Config config;
  config.ingest.file = file;
  config.producer = sfcrimed::default_producer_settings();
  config.producer.emplace_back("test.mock.num.brokers", "1");
  return config;
}

// Runs the ingest of `config` and requests a stop after `delay`.
sfcrimed::IngestReport run_stopped_after(const Config& config, Metrics& metrics, std::chrono::milliseconds delay) {
  std::stop_source stop;
  const std::jthread stopper([&stop, delay] {
    std::this_thread::sleep_for(delay);
    stop.request_stop();
  });
  return Ingest(config, metrics).run(stop.get_token());
}

}  // namespace

TEST_CASE("every call of the file is sent and acknowledged", "[ingest]") {
  sfcrimed::test::TempDir dir;
  sfcrimed::write_sample(dir.file("calls.json"), {3000, 4});
  const Config config = mock_config(dir.file("calls.json"));
  Metrics metrics;
  const auto report = Ingest(config, metrics).run(std::stop_token());
  CHECK(report.records == 3000);
  CHECK(report.sent == 3000);
  CHECK(report.acked == 3000);
  CHECK(report.failed == 0);
  CHECK_FALSE(report.stopped);
  CHECK(metrics.ingest.acked.Value() == 3000);
  CHECK(metrics.ingest.sent.Value() == 3000);
  CHECK_THAT(report.to_json(), Catch::StartsWith(R"({"sent":3000,"acked":3000,"failed":0,"skipped":0,"not_sent":0,)"));
}

TEST_CASE("a rate paces the replay", "[ingest]") {
  sfcrimed::test::TempDir dir;
  sfcrimed::write_sample(dir.file("calls.json"), {40, 4});
  Config config = mock_config(dir.file("calls.json"));
  config.ingest.rate = 50;  // 40 calls: the last one is due 0.78 s after the first
  Metrics metrics;
  const auto report = Ingest(config, metrics).run(std::stop_token());
  CHECK(report.acked == 40);
  CHECK(report.seconds >= 0.75);  // never ahead of the schedule (a bound on correctness, not speed)
  CHECK(metrics.ingest.rate_limit.Value() == 50);
}

TEST_CASE("a stop request ends the replay and accounts for every call", "[ingest]") {
  sfcrimed::test::TempDir dir;
  sfcrimed::write_sample(dir.file("calls.json"), {1000, 4});
  Config config = mock_config(dir.file("calls.json"));
  config.ingest.rate = 200;
  Metrics metrics;
  const auto report = run_stopped_after(config, metrics, 500ms);
  CHECK(report.stopped);
  CHECK(report.sent > 0);
  CHECK(report.sent < 1000);
  CHECK(report.sent + report.not_sent == 1000);
  CHECK(report.acked == report.sent);  // what was sent was flushed before returning
}

TEST_CASE("a file with a bad record sends nothing with on_error = fail", "[ingest]") {
  sfcrimed::test::TempDir dir;
  const std::string path =
      dir.write("calls.json", R"([{"crime_id":"1","call_date_time":"2018-10-01T10:00"}, {"crime_id":"2"}])");
  Config config = mock_config(path);
  config.ingest.on_error = sfcrimed::OnBadRecord::fail;
  Metrics metrics;
  CHECK_THROWS_WITH(Ingest(config, metrics).run(std::stop_token()), Catch::Contains("record 1 has no call_date_time"));
  CHECK(metrics.ingest.sent.Value() == 0);
}

TEST_CASE("a speedup replays the gaps between calls' times, that many times faster", "[ingest]") {
  sfcrimed::test::TempDir dir;
  // Three calls a minute apart: at 120 times faster the last is due 1 s after the first.
  const std::string path = dir.write("calls.jsonl", R"({"crime_id":"3","call_date_time":"2018-10-01T10:02"}
{"crime_id":"2","call_date_time":"2018-10-01T10:01"}
{"crime_id":"1","call_date_time":"2018-10-01T10:00"}
)");
  Config config = mock_config(path);
  config.ingest.speedup = 120;
  Metrics metrics;
  const auto report = Ingest(config, metrics).run(std::stop_token());
  CHECK(report.acked == 3);
  CHECK(report.seconds >= 0.95);
}

TEST_CASE("a looping replay starts over until stopped", "[ingest]") {
  sfcrimed::test::TempDir dir;
  sfcrimed::write_sample(dir.file("calls.json"), {50, 4});
  Config config = mock_config(dir.file("calls.json"));
  config.ingest.loop = true;
  config.ingest.rate = 400;
  Metrics metrics;
  const auto report = run_stopped_after(config, metrics, 600ms);
  CHECK(report.stopped);
  CHECK(report.sent > 50);  // more than one pass
  CHECK(report.acked == report.sent);
}
