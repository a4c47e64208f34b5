#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "mock_cluster.hpp"
#include "sfcrimed/health.hpp"
#include "sfcrimed/pipeline/kafka_io.hpp"

using namespace std::chrono_literals;
using sfcrimed::detail::KafkaCalls;
using sfcrimed::detail::KafkaOutput;
using sfcrimed::detail::KafkaSource;

namespace {

// Kafka's API keys (librdkafka's RD_KAFKAP_* are not in its public headers).
constexpr std::int16_t kAddPartitionsToTxn = 24;
constexpr std::int16_t kTxnOffsetCommit = 28;

sfcrimed::kafka::RetryPolicy retry_for_10s() {
  sfcrimed::kafka::RetryPolicy retry;
  retry.give_up_after = 10s;
  return retry;
}

// A thread's consumer and transactional output on a mock cluster's "calls" topic, with
// the topics they write.
struct OutputOnMock {
  struct Topics {
    explicit Topics(sfcrimed::test::MockCluster& cluster) {
      for (const char* topic : {"calls", "calls.dlq", "calls.stats", "calls.state"}) {
        cluster.create_topic(topic, 1);
      }
    }
  };
  sfcrimed::test::MockCluster cluster;
  Topics topics{cluster};
  sfcrimed::Health health{1min};
  KafkaCalls calls{retry_for_10s(), health.add("thread 0"), "thread 0"};
  KafkaSource source{{{"bootstrap.servers", cluster.bootstrap()},
                      {"group.id", "sfcrimed"},
                      {"group.instance.id", "sfcrimed.calls.a.0"},
                      {"enable.auto.commit", "false"}},
                     "calls"};
  KafkaOutput output{[this] {
                       return sfcrimed::kafka::Settings{{"bootstrap.servers", cluster.bootstrap()},
                                                        {"transactional.id", "sfcrimed.calls.a.0"}};
                     },
                     source,
                     calls,
                     "calls",
                     "calls.dlq",
                     "calls.stats",
                     "calls.state"};
};

// What a commit that must be refused throws; the test fails if it goes through.
sfcrimed::kafka::TransactionError refused_commit(KafkaOutput& output,
                                                 const std::map<std::int32_t, std::int64_t>& offsets) {
  try {
    output.commit(offsets);
  } catch (const sfcrimed::kafka::TransactionError& e) {
    return e;
  }
  FAIL("the commit went through");
  return {"not reached", false};
}

}  // namespace

TEST_CASE("a commit the group refuses with FENCED_INSTANCE_ID fences the output for good", "[pipeline][kafka]") {
  OutputOnMock mock;
  mock.output.stats(0, "key", "value");
  mock.output.commit({{0, 1}});
  CHECK_FALSE(mock.output.fenced());

  // Another consumer joined with this one's static member id: the group refuses the
  // offsets. librdkafka calls the transaction abortable; for the thread it is the end.
  mock.output.stats(0, "key", "value");
  rd_kafka_mock_push_request_errors(mock.cluster.cluster(), kTxnOffsetCommit, 1, RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID);
  const auto fenced = refused_commit(mock.output, {{0, 2}});
  CHECK_FALSE(fenced.abortable());
  CHECK(fenced.code() == RdKafka::ERR_FENCED_INSTANCE_ID);
  CHECK(mock.output.fenced());
}

TEST_CASE("a commit refused for another reason is abortable and fences nothing", "[pipeline][kafka]") {
  OutputOnMock mock;
  mock.output.stats(0, "key", "value");
  rd_kafka_mock_push_request_errors(mock.cluster.cluster(), kTxnOffsetCommit, 1,
                                    RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
  const auto refused = refused_commit(mock.output, {{0, 1}});
  CHECK(refused.abortable());
  CHECK(refused.code() == RdKafka::ERR_GROUP_AUTHORIZATION_FAILED);
  CHECK_FALSE(mock.output.fenced());
}

TEST_CASE("a producer that failed for good is replaced once per commit, and the next commit goes through",
          "[pipeline][kafka]") {
  OutputOnMock mock;
  // librdkafka makes this refusal of a partition's addition to the transaction fatal.
  rd_kafka_mock_push_request_errors(mock.cluster.cluster(), kAddPartitionsToTxn, 1,
                                    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  mock.output.stats(0, "key", "value");
  // The producer was replaced: the thread rewinds and goes on.
  CHECK(refused_commit(mock.output, {{0, 1}}).abortable());
  mock.output.abort();
  mock.output.stats(0, "key", "value");
  mock.output.commit({{0, 1}});
  CHECK_FALSE(mock.output.fenced());

  // Twice without a commit between: the failure is not a passing one.
  rd_kafka_mock_push_request_errors(mock.cluster.cluster(), kAddPartitionsToTxn, 2,
                                    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                                    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  mock.output.stats(0, "key", "value");
  CHECK(refused_commit(mock.output, {{0, 2}}).abortable());
  mock.output.abort();
  mock.output.stats(0, "key", "value");
  CHECK_FALSE(refused_commit(mock.output, {{0, 2}}).abortable());
}
