#include "sfcrimed/ingest.hpp"
#include "sfcrimed/ingest/turn.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "mock_cluster.hpp"
#include "sfcrimed/sample.hpp"
#include "temp_files.hpp"

using namespace std::chrono_literals;
using sfcrimed::Config;
using sfcrimed::Ingest;
using sfcrimed::Metrics;
using sfcrimed::replay_fingerprint;
using sfcrimed::ReplayOrder;
using sfcrimed::resume_point;

namespace {

// The health monitor the tests' ingests report to (nothing asks it here).
sfcrimed::Health& health() {
  static sfcrimed::Health instance(std::chrono::minutes(1));
  return instance;
}

// An ingest of a generated sample into librdkafka's mock cluster, whose admin API creates
// no topics: the ingest's turn topic is made here. The mock hands the turn of a run that
// ended to the next only when the first's session has ended: a short one.
Config mock_config(sfcrimed::test::MockCluster& cluster, const std::string& file) {
  Config config;
  config.ingest.file = file;
  config.kafka.bootstrap = cluster.bootstrap();
  config.producer = sfcrimed::default_producer_settings();
  config.consumer = {{"session.timeout.ms", "500"}};
  cluster.create_topic(sfcrimed::IngestTurn::topic(config), 1);
  return config;
}

// Runs the ingest of `config` and requests a stop `delay` after its first call was sent
// (before it, the ingest waits for its turn in the group, which takes the mock a while).
sfcrimed::IngestReport run_stopped_after(const Config& config, Metrics& metrics, std::chrono::milliseconds delay) {
  std::stop_source stop;
  const double sent_before = metrics.ingest.sent.Value();
  const std::jthread stopper([&stop, &metrics, sent_before, delay](const std::stop_token& done) {
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while (metrics.ingest.sent.Value() == sent_before && !done.stop_requested() &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(10ms);
    }
    std::this_thread::sleep_for(delay);
    stop.request_stop();
  });
  return Ingest(config, metrics, health()).run(stop.get_token());
}

}  // namespace

TEST_CASE("every call of the file is sent and acknowledged", "[ingest]") {
  sfcrimed::test::MockCluster cluster;
  sfcrimed::test::TempDir dir;
  sfcrimed::write_sample(dir.file("calls.json"), {3000, 4});
  const Config config = mock_config(cluster, dir.file("calls.json"));
  Metrics metrics;
  const auto report = Ingest(config, metrics, health()).run(std::stop_token());
  CHECK(report.records == 3000);
  CHECK(report.sent == 3000);
  CHECK(report.acked == 3000);
  CHECK(report.failed == 0);
  CHECK_FALSE(report.stopped);
  CHECK(metrics.ingest.acked.Value() == 3000);
  CHECK(metrics.ingest.sent.Value() == 3000);
  CHECK_THAT(
      report.to_json(),
      Catch::StartsWith(
          R"({"sent":3000,"acked":3000,"failed":0,"skipped":0,"not_sent":0,"resumed_at":0,"already_in_topic":0,)"));
}

TEST_CASE("a rate paces the replay", "[ingest]") {
  sfcrimed::test::MockCluster cluster;
  sfcrimed::test::TempDir dir;
  sfcrimed::write_sample(dir.file("calls.json"), {40, 4});
  Config config = mock_config(cluster, dir.file("calls.json"));
  config.ingest.rate = 50;  // 40 calls: the last one is due 0.78 s after the first
  Metrics metrics;
  const auto report = Ingest(config, metrics, health()).run(std::stop_token());
  CHECK(report.acked == 40);
  CHECK(report.seconds >= 0.75);  // never ahead of the schedule (a bound on correctness, not speed)
  CHECK(metrics.ingest.rate_limit.Value() == 50);
}

TEST_CASE("a stop request ends the replay and accounts for every call", "[ingest]") {
  sfcrimed::test::MockCluster cluster;
  sfcrimed::test::TempDir dir;
  sfcrimed::write_sample(dir.file("calls.json"), {1000, 4});
  Config config = mock_config(cluster, dir.file("calls.json"));
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
  sfcrimed::test::MockCluster cluster;
  sfcrimed::test::TempDir dir;
  const std::string path =
      dir.write("calls.json", R"([{"crime_id":"1","call_date_time":"2018-10-01T10:00"}, {"crime_id":"2"}])");
  Config config = mock_config(cluster, path);
  config.ingest.on_error = sfcrimed::OnBadRecord::fail;
  Metrics metrics;
  CHECK_THROWS_WITH(Ingest(config, metrics, health()).run(std::stop_token()),
                    Catch::Contains("record 1 has no call_date_time"));
  CHECK(metrics.ingest.sent.Value() == 0);
}

TEST_CASE("a speedup replays the gaps between calls' times, that many times faster", "[ingest]") {
  sfcrimed::test::MockCluster cluster;
  sfcrimed::test::TempDir dir;
  // Three calls a minute apart: at 120 times faster the last is due 1 s after the first.
  const std::string path = dir.write("calls.jsonl", R"({"crime_id":"3","call_date_time":"2018-10-01T10:02"}
{"crime_id":"2","call_date_time":"2018-10-01T10:01"}
{"crime_id":"1","call_date_time":"2018-10-01T10:00"}
)");
  Config config = mock_config(cluster, path);
  config.ingest.speedup = 120;
  Metrics metrics;
  const auto report = Ingest(config, metrics, health()).run(std::stop_token());
  CHECK(report.acked == 3);
  CHECK(report.seconds >= 0.95);
}

TEST_CASE("a looping replay starts over until stopped", "[ingest]") {
  sfcrimed::test::MockCluster cluster;
  sfcrimed::test::TempDir dir;
  sfcrimed::write_sample(dir.file("calls.json"), {50, 4});
  Config config = mock_config(cluster, dir.file("calls.json"));
  config.ingest.loop = true;
  config.ingest.rate = 400;
  Metrics metrics;
  const auto report = run_stopped_after(config, metrics, 600ms);
  CHECK(report.stopped);
  CHECK(report.sent > 50);  // more than one pass
  CHECK(report.acked == report.sent);
}

namespace {

std::vector<sfcrimed::Call> calls_with_ids(std::initializer_list<const char*> ids) {
  std::vector<sfcrimed::Call> calls;
  for (const char* id : ids) {
    calls.push_back({"{}", id, 0, calls.size()});
  }
  return calls;
}

}  // namespace

TEST_CASE("the replay fingerprint names the calls in their order and the order setting", "[ingest]") {
  const auto calls = calls_with_ids({"1", "23", "4"});
  const std::string fingerprint = replay_fingerprint(calls, ReplayOrder::event_time);
  CHECK(fingerprint.size() == 16);
  CHECK(fingerprint.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(replay_fingerprint(calls_with_ids({"1", "23", "4"}), ReplayOrder::event_time) == fingerprint);
  CHECK(replay_fingerprint(calls, ReplayOrder::file) != fingerprint);
  CHECK(replay_fingerprint(calls_with_ids({"23", "1", "4"}), ReplayOrder::event_time) != fingerprint);
  CHECK(replay_fingerprint(calls_with_ids({"12", "3", "4"}), ReplayOrder::event_time) != fingerprint);
  CHECK(replay_fingerprint(calls_with_ids({"1", "23"}), ReplayOrder::event_time) != fingerprint);
  // FNV-1a's offset basis folded with "time" and a separator, nothing else.
  CHECK(replay_fingerprint({}, ReplayOrder::event_time) != replay_fingerprint({}, ReplayOrder::file));
}

TEST_CASE("the resume point is after the lowest last position of this replay's partitions", "[ingest]") {
  SECTION("an empty topic, or one without replay headers: from the start") {
    const auto point = resume_point({}, "aa");
    CHECK(point.position == 0);
    CHECK_FALSE(point.other);
  }
  SECTION("every partition ends with this replay") {
    const auto point = resume_point({{"aa", 41}, {"aa", 39}, {"aa", 40}}, "aa");
    CHECK(point.position == 40);
    CHECK_FALSE(point.other);
  }
  SECTION("a partition ending with another replay got none of this one's calls, and does not bound it") {
    const auto point = resume_point({{"bb", 7}, {"aa", 12}, {"aa", 13}}, "aa");
    CHECK(point.position == 13);
    CHECK_FALSE(point.other);
  }
  SECTION("only another replay: from the start, naming it") {
    const auto point = resume_point({{"bb", 7}, {"bb", 9}}, "aa");
    CHECK(point.position == 0);
    CHECK(point.other == "bb");
  }
  SECTION("positions of later passes count on") {
    CHECK(resume_point({{"aa", 250}, {"aa", 251}}, "aa").position == 251);
  }
}

TEST_CASE("calls found after the resume point move it on, or are not sent again", "[ingest]") {
  auto point = resume_point({{"aa", 41}, {"aa", 39}, {"aa", 45}}, "aa");
  REQUIRE(point.position == 40);
  CHECK(point.highest == 45);
  SECTION("all of them: the topic holds everything up to the highest") {
    sfcrimed::add_found(point, {{"aa", 43}, {"aa", 41}, {"aa", 40}, {"aa", 45}, {"aa", 44}, {"aa", 42}}, "aa");
    CHECK(point.position == 46);
    CHECK(point.ahead.empty());
  }
  SECTION("with a gap: the point stops at it, what follows it is kept aside") {
    sfcrimed::add_found(point, {{"aa", 45}, {"aa", 40}, {"aa", 41}, {"aa", 43}, {"bb", 42}, {"aa", 39}}, "aa");
    CHECK(point.position == 42);
    CHECK(point.ahead == std::vector<std::uint64_t>{43, 45});
  }
  SECTION("nothing new") {
    sfcrimed::add_found(point, {{"aa", 38}, {"aa", 39}}, "aa");
    CHECK(point.position == 40);
    CHECK(point.ahead.empty());
  }
}

TEST_CASE("a restarted ingest resumes after what the topic holds, and sends nothing when it has all", "[ingest]") {
  // A mock cluster that outlives each run's producer, as a real broker would.
  sfcrimed::test::MockCluster cluster;
  sfcrimed::test::TempDir dir;
  sfcrimed::write_sample(dir.file("calls.json"), {1000, 5});
  Config config = mock_config(cluster, dir.file("calls.json"));
  config.ingest.rate = 500;
  Metrics metrics;

  const auto first = run_stopped_after(config, metrics, 600ms);
  REQUIRE(first.stopped);
  REQUIRE(first.sent > 0);
  REQUIRE(first.sent < 1000);
  CHECK(first.resumed_at == 0);
  REQUIRE(first.acked == first.sent);

  config.ingest.rate = 0;  // restarted at another pace: the same replay
  const auto second = Ingest(config, metrics, health()).run(std::stop_token());
  // A graceful stop: everything sent was acknowledged, so exactly the rest is sent.
  CHECK(second.resumed_at == first.sent);
  CHECK(second.already_in_topic == 0);
  CHECK(second.sent == 1000 - first.sent);
  CHECK(second.acked == second.sent);

  const auto third = Ingest(config, metrics, health()).run(std::stop_token());
  CHECK(third.resumed_at == 1000);
  CHECK(third.sent == 0);
  CHECK(third.not_sent == 0);
  CHECK_THAT(third.to_json(), Catch::Contains(R"("not_sent":0,"resumed_at":1000,"already_in_topic":0,)"));

  SECTION("ingest.resume = false replays everything") {
    config.ingest.resume = false;
    const auto again = Ingest(config, metrics, health()).run(std::stop_token());
    CHECK(again.resumed_at == 0);
    CHECK(again.sent == 1000);
  }
  SECTION("another order is another replay: from the start") {
    config.ingest.order = ReplayOrder::file;
    const auto other = Ingest(config, metrics, health()).run(std::stop_token());
    CHECK(other.resumed_at == 0);
    CHECK(other.sent == 1000);
  }
  SECTION("a looping replay goes on with the next pass") {
    config.ingest.loop = true;
    config.ingest.rate = 200;  // well within the second pass when stopped
    const auto looping = run_stopped_after(config, metrics, 1500ms);
    CHECK(looping.resumed_at == 1000);
    CHECK(looping.sent > 0);
    CHECK(looping.resumed_at + looping.sent + looping.not_sent == 2000);
    CHECK(looping.acked == looping.sent);
  }
}
