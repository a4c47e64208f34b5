#include "sfcrimed/kafka_admin.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "mock_cluster.hpp"
#include "sfcrimed/producer.hpp"

using namespace std::chrono_literals;
using sfcrimed::kafka::Producer;
using sfcrimed::kafka::TransientError;

namespace {

// The mock cluster creates a topic on its first mention; these tests create theirs first.
void create(sfcrimed::test::MockCluster& cluster, const char* topic, int partitions) {
  REQUIRE(rd_kafka_mock_topic_create(cluster.cluster(), topic, partitions, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
}

}  // namespace

TEST_CASE("an existing topic is found with its partitions, not created again", "[kafka_admin]") {
  sfcrimed::test::MockCluster cluster;
  create(cluster, "calls", 5);
  Producer client({{"bootstrap.servers", cluster.bootstrap()}});
  CHECK(sfcrimed::kafka::partition_count(client.handle(), "calls", 10s) == 5);
  CHECK_FALSE(sfcrimed::kafka::ensure_topic(client.handle(), "calls", 3, 10s));
}

TEST_CASE("a cluster that does not answer is a transient failure", "[kafka_admin]") {
  sfcrimed::test::MockCluster cluster;
  rd_kafka_mock_broker_set_down(cluster.cluster(), 1);
  Producer client({{"bootstrap.servers", cluster.bootstrap()}});
  CHECK_THROWS_AS(sfcrimed::kafka::partition_count(client.handle(), "calls", 500ms), TransientError);
}

TEST_CASE("the end and first offsets of every partition, in one request", "[kafka_admin]") {
  sfcrimed::test::MockCluster cluster;
  create(cluster, "calls", 3);
  Producer client({{"bootstrap.servers", cluster.bootstrap()}});
  for (int i = 0; i < 10; ++i) {
    client.produce("calls", 1, "k", "v", {});
  }
  client.produce("calls", 2, "k", "v", {});
  REQUIRE(client.flush(10s));
  const auto ends = sfcrimed::kafka::list_offsets(client.handle(), "calls", 3, 10s);
  CHECK(ends.errors.empty());
  CHECK(ends.offsets == std::map<std::int32_t, std::int64_t>{{0, 0}, {1, 10}, {2, 1}});
  CHECK_NOTHROW(ends.check("reading"));
  const auto first = sfcrimed::kafka::list_offsets(client.handle(), "calls", 3, 10s, true);
  CHECK(first.offsets == std::map<std::int32_t, std::int64_t>{{0, 0}, {1, 0}, {2, 0}});
}

TEST_CASE("offsets a partition's leader cannot give are errors, never offsets", "[kafka_admin]") {
  sfcrimed::test::MockCluster cluster;
  create(cluster, "calls", 2);
  Producer client({{"bootstrap.servers", cluster.bootstrap()}});
  REQUIRE(sfcrimed::kafka::partition_count(client.handle(), "calls", 10s) == 2);
  rd_kafka_mock_broker_set_down(cluster.cluster(), 1);
  try {
    const auto ends = sfcrimed::kafka::list_offsets(client.handle(), "calls", 2, 1s);
    CHECK(ends.offsets.empty());
    CHECK(ends.errors.size() == 2);
    CHECK_THROWS_AS(ends.check("reading the end offsets"), TransientError);
  } catch (const TransientError&) {
    SUCCEED("the request as a whole timed out: transient too");
  }
  rd_kafka_mock_broker_set_up(cluster.cluster(), 1);
}

TEST_CASE("a missing partition answer is an error, and checking it names the partition", "[kafka_admin]") {
  sfcrimed::kafka::PartitionOffsets offsets;
  offsets.offsets = {{0, 5}};
  offsets.errors = {{1, RdKafka::ERR_NOT_LEADER_FOR_PARTITION}};
  CHECK_THROWS_WITH(offsets.check("reading 'calls'"), Catch::Contains("reading 'calls' (partition 1)"));
  offsets.errors = {{1, RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED}};
  CHECK_THROWS_AS(offsets.check("reading 'calls'"), std::runtime_error);
}

namespace {

// What describing `group` comes back with: the member count, or the error.
std::string describe_outcome(Producer& client, const std::string& group, std::chrono::milliseconds timeout) {
  try {
    return std::to_string(sfcrimed::kafka::describe_group(client.handle(), group, "calls", timeout).size()) +
           " members";
  } catch (const std::exception& error) {
    return error.what();
  }
}

}  // namespace

// The librdkafka bug that scripts/librdkafka/patches/coord-request-after-admin-timeout.patch
// fixes: without the patch this test aborts the process (or ASan reports a use after free)
// once the coordinator is back.
TEST_CASE("a group description that timed out while the coordinator was down is forgotten safely", "[kafka_admin]") {
  sfcrimed::test::MockCluster cluster;
  Producer client({{"bootstrap.servers", cluster.bootstrap()}});
  const std::string before = describe_outcome(client, "g", 10s);  // the coordinator is known now
  rd_kafka_mock_broker_set_down(cluster.cluster(), 1);
  std::this_thread::sleep_for(500ms);  // the client has seen the connection go
  CHECK_THROWS_AS(sfcrimed::kafka::describe_group(client.handle(), "g", "calls", 300ms), TransientError);
  rd_kafka_mock_broker_set_up(cluster.cluster(), 1);
  std::this_thread::sleep_for(3s);  // the client reconnects and sends what still waits
  CHECK(describe_outcome(client, "g", 10s) == before);
}
