#include "sfcrimed/kafka_retry.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using sfcrimed::kafka::CallOverrun;
using sfcrimed::kafka::Interrupted;
using sfcrimed::kafka::RetryPolicy;
using sfcrimed::kafka::TransientError;
using sfcrimed::kafka::Unavailable;
using Clock = std::chrono::steady_clock;

namespace {

// A policy on a clock of its own, which only the waits between attempts move on.
struct FakeTime {
  Clock::time_point now = Clock::time_point(std::chrono::hours(1));
  std::vector<std::chrono::milliseconds> waits;
  RetryPolicy policy(std::chrono::milliseconds give_up_after) {
    RetryPolicy policy;
    policy.give_up_after = give_up_after;
    policy.now = [this] { return now; };
    policy.sleep = [this](std::chrono::milliseconds wait, const std::stop_token& stop) {
      waits.push_back(wait);
      now += wait;
      return !stop.stop_requested();
    };
    return policy;
  }
};

}  // namespace

TEST_CASE("a transient failure is tried again until an attempt works", "[kafka_retry]") {
  FakeTime time;
  const auto policy = time.policy(2min);
  int attempts = 0;
  const int result = sfcrimed::kafka::retry(policy, "read something", [&] {
    if (++attempts < 4) {
      throw TransientError("Local: Timed out");
    }
    return 42;
  });
  CHECK(result == 42);
  CHECK(attempts == 4);
  // The waits double from 100 ms.
  CHECK(time.waits == std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms});
}

TEST_CASE("waits between attempts stop growing at 2 s", "[kafka_retry]") {
  FakeTime time;
  const auto policy = time.policy(2min);
  int attempts = 0;
  sfcrimed::kafka::retry(policy, "commit", [&] {
    if (++attempts < 10) {
      throw TransientError("Broker: Not coordinator");
    }
  });
  REQUIRE(time.waits.size() == 9);
  CHECK(time.waits[4] == 1600ms);
  CHECK(time.waits[5] == 2000ms);
  CHECK(time.waits.back() == 2000ms);
}

TEST_CASE("failures that outlast the bound give up, saying what, since when and why", "[kafka_retry]") {
  FakeTime time;
  const auto policy = time.policy(10s);
  int attempts = 0;
  const auto always_failing = [&] {
    ++attempts;
    throw TransientError("Local: Broker handle destroyed without termination");
  };
  CHECK_THROWS_MATCHES(sfcrimed::kafka::retry(policy, "read the end offsets of 't'", always_failing), Unavailable,
                       Catch::Matchers::Predicate<Unavailable>([](const Unavailable& e) {
                         const std::string what = e.what();
                         return what.starts_with("cannot read the end offsets of 't' since ") &&
                                what.find("(10.0 s, ") != std::string::npos &&
                                what.find("kafka.unavailable_timeout is 10s") != std::string::npos &&
                                what.ends_with("Broker handle destroyed without termination");
                       }));
  // The last wait is cut to the bound: it never waits past it.
  std::chrono::milliseconds waited{0};
  for (const auto wait : time.waits) {
    waited += wait;
  }
  CHECK(waited == 10s);
  CHECK(attempts == static_cast<int>(time.waits.size()) + 1);
}

TEST_CASE("any other failure is not retried", "[kafka_retry]") {
  FakeTime time;
  const auto policy = time.policy(2min);
  int attempts = 0;
  CHECK_THROWS_WITH(sfcrimed::kafka::retry(policy, "create the topic",
                                           [&] {
                                             ++attempts;
                                             throw std::runtime_error("Broker: Topic authorization failed");
                                           }),
                    "Broker: Topic authorization failed");
  CHECK(attempts == 1);
  CHECK(time.waits.empty());
}

TEST_CASE("a stop while waiting for the cluster ends the retries", "[kafka_retry]") {
  FakeTime time;
  std::stop_source stop;
  auto policy = time.policy(2min);
  policy.stop = stop.get_token();
  int attempts = 0;
  CHECK_THROWS_AS(sfcrimed::kafka::retry(policy, "commit",
                                         [&] {
                                           if (++attempts == 2) {
                                             stop.request_stop();
                                           }
                                           throw TransientError("Local: Timed out");
                                         }),
                  Interrupted);
  CHECK(attempts == 2);
}

TEST_CASE("the real wait returns early on a stop", "[kafka_retry]") {
  std::stop_source stop;
  const auto start = Clock::now();
  const std::jthread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  CHECK_FALSE(RetryPolicy::sleep_unless_stopped(10s, stop.get_token()));
  CHECK(Clock::now() - start < 5s);
  CHECK(RetryPolicy::sleep_unless_stopped(1ms, std::stop_token()));
}

TEST_CASE("failover errors are transient, others are not", "[kafka_retry]") {
  using E = RdKafka::ErrorCode;
  for (const auto err : {E::ERR__TRANSPORT, E::ERR__TIMED_OUT, E::ERR__DESTROY_BROKER, E::ERR_NOT_COORDINATOR,
                         E::ERR_NOT_LEADER_FOR_PARTITION, E::ERR_LEADER_NOT_AVAILABLE, E::ERR_REQUEST_TIMED_OUT,
                         E::ERR_NOT_ENOUGH_REPLICAS, E::ERR_COORDINATOR_LOAD_IN_PROGRESS, E::ERR_FENCED_LEADER_EPOCH,
                         E::ERR_OFFSET_NOT_AVAILABLE}) {
    CAPTURE(RdKafka::err2str(err));
    CHECK(sfcrimed::kafka::is_transient(err));
    CHECK_THROWS_AS(sfcrimed::kafka::check(err, "x"), TransientError);
  }
  for (const auto err : {E::ERR_TOPIC_AUTHORIZATION_FAILED, E::ERR_UNKNOWN_TOPIC_OR_PART, E::ERR__FATAL,
                         E::ERR_INVALID_CONFIG, E::ERR_PRODUCER_FENCED, E::ERR__INVALID_ARG}) {
    CAPTURE(RdKafka::err2str(err));
    CHECK_FALSE(sfcrimed::kafka::is_transient(err));
  }
  CHECK_NOTHROW(sfcrimed::kafka::check(E::ERR_NO_ERROR, "x"));
  CHECK_THROWS_WITH(sfcrimed::kafka::check(E::ERR_TOPIC_AUTHORIZATION_FAILED, "creating 't'"),
                    Catch::StartsWith("creating 't': Broker: Topic authorization failed; Kafka's ACLs do not allow"));
}

TEST_CASE("a call that returns in time is waited for; one that does not is left behind", "[kafka_retry]") {
  int value = 0;
  sfcrimed::kafka::call_with_deadline([&value] { value = 7; }, Clock::now() + 10s, "a quick call");
  CHECK(value == 7);
  CHECK_THROWS_WITH(sfcrimed::kafka::call_with_deadline([] { throw TransientError("Local: Timed out"); },
                                                        Clock::now() + 10s, "a failing call"),
                    "Local: Timed out");

  const auto release = std::make_shared<std::atomic<bool>>(false);
  const auto start = Clock::now();
  CHECK_THROWS_AS(sfcrimed::kafka::call_with_deadline(
                      [release] {
                        while (!release->load()) {
                          std::this_thread::sleep_for(1ms);
                        }
                      },
                      Clock::now() + 100ms, "a stuck call"),
                  CallOverrun);
  CHECK(Clock::now() - start < 5s);
  release->store(true);  // the call left behind ends; it owns all it uses
}
