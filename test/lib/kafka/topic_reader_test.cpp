#include "sfcrimed/topic_reader.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "mock_cluster.hpp"
#include "sfcrimed/producer.hpp"

using namespace std::chrono_literals;
using sfcrimed::kafka::Producer;
using sfcrimed::kafka::read_to_end;

namespace {

// `count` messages "p<partition>-<i>" into one partition of `topic`, delivered (librdkafka's
// own produce: the wrapper lets the partitioner choose).
void produce_to(Producer& producer, const std::string& topic, std::int32_t partition, int count) {
  for (int i = 0; i < count; ++i) {
    std::string value = "p" + std::to_string(partition) + "-" + std::to_string(i);
    REQUIRE(producer.handle().produce(topic, partition, RdKafka::Producer::RK_MSG_COPY, value.data(), value.size(),
                                      nullptr, 0, 0, nullptr) == RdKafka::ERR_NO_ERROR);
  }
  REQUIRE(producer.handle().flush(30000) == RdKafka::ERR_NO_ERROR);
}

// What read_to_end handed over, by partition, in the order it came.
struct Read {
  std::uint64_t returned = 0;
  std::map<std::int32_t, std::vector<std::string>> values;
  std::map<std::int32_t, std::vector<std::int64_t>> offsets;
};

Read read_all(const std::string& bootstrap, const std::string& topic, std::optional<std::int32_t> only = {}) {
  Read read;
  read.returned = read_to_end(
      {{"bootstrap.servers", bootstrap}}, topic,
      [&](const RdKafka::Message& message) {
        read.values[message.partition()].emplace_back(static_cast<const char*>(message.payload()), message.len());
        read.offsets[message.partition()].push_back(message.offset());
      },
      10s, only);
  return read;
}

}  // namespace

TEST_CASE("every message of every partition comes in order, and an empty partition is at its end", "[topic_reader]") {
  Producer producer(sfcrimed::test::mock_producer_settings());
  REQUIRE(rd_kafka_mock_topic_create(sfcrimed::test::mock_cluster_of(producer), "stats", 3, 1) ==
          RD_KAFKA_RESP_ERR_NO_ERROR);
  produce_to(producer, "stats", 0, 20);
  produce_to(producer, "stats", 1, 10);

  const Read read = read_all(sfcrimed::test::mock_bootstrap(producer), "stats");
  CHECK(read.returned == 30);
  REQUIRE(read.values.at(0).size() == 20);
  REQUIRE(read.values.at(1).size() == 10);
  CHECK_FALSE(read.values.contains(2));
  for (int i = 0; i < 20; ++i) {
    CHECK(read.values.at(0)[i] == "p0-" + std::to_string(i));
    CHECK(read.offsets.at(0)[i] == i);
  }
  CHECK(read.values.at(1).back() == "p1-9");

  const Read one = read_all(sfcrimed::test::mock_bootstrap(producer), "stats", 1);
  CHECK(one.returned == 10);
  CHECK(one.values.size() == 1);
  CHECK(one.values.at(1).front() == "p1-0");
  CHECK(read_all(sfcrimed::test::mock_bootstrap(producer), "stats", 2).returned == 0);
}

// A missing topic cannot be shown here: the mock cluster creates any topic asked about.
TEST_CASE("a partition the topic does not have is said so", "[topic_reader]") {
  Producer producer(sfcrimed::test::mock_producer_settings());
  REQUIRE(rd_kafka_mock_topic_create(sfcrimed::test::mock_cluster_of(producer), "stats", 2, 1) ==
          RD_KAFKA_RESP_ERR_NO_ERROR);
  const std::string bootstrap = sfcrimed::test::mock_bootstrap(producer);
  CHECK_THROWS_WITH(read_all(bootstrap, "stats", 2), "topic 'stats' has no partition 2 (it has 2)");
  CHECK_THROWS_WITH(read_all(bootstrap, "stats", -1), "topic 'stats' has no partition -1 (it has 2)");
}

TEST_CASE("a partition that cannot be read to its end in time is an error that names it", "[topic_reader]") {
  Producer producer(sfcrimed::test::mock_producer_settings());
  auto* cluster = sfcrimed::test::mock_cluster_of(producer);
  REQUIRE(rd_kafka_mock_topic_create(cluster, "stats", 2, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
  // Partition 1 without a leader: its metadata is there, its messages never are.
  REQUIRE(rd_kafka_mock_partition_set_leader(cluster, "stats", 1, -1) == RD_KAFKA_RESP_ERR_NO_ERROR);
  CHECK_THROWS_WITH(read_to_end(
                        {{"bootstrap.servers", sfcrimed::test::mock_bootstrap(producer)}}, "stats",
                        [](const RdKafka::Message&) {}, 1500ms),
                    Catch::StartsWith("reading topic 'stats' on ") &&
                        Catch::Contains("not at its end after 1500 ms (partition(s) 1 not read to the end"));
}

namespace {

std::map<std::int32_t, std::vector<std::string>> last_messages(Producer& producer, const std::string& topic,
                                                               std::int64_t count) {
  std::map<std::int32_t, std::vector<std::string>> last;
  const auto returned = sfcrimed::kafka::read_last_messages(
      {{"bootstrap.servers", sfcrimed::test::mock_bootstrap(producer)}}, topic, count,
      [&](const RdKafka::Message& message) {
        last[message.partition()].emplace_back(static_cast<const char*>(message.payload()), message.len());
      },
      10s);
  std::uint64_t counted = 0;
  for (const auto& [partition, values] : last) {
    counted += values.size();
  }
  CHECK(returned == counted);
  return last;
}

}  // namespace

TEST_CASE("the last messages of each partition, and nothing of an empty one", "[topic_reader]") {
  Producer producer(sfcrimed::test::mock_producer_settings());
  REQUIRE(rd_kafka_mock_topic_create(sfcrimed::test::mock_cluster_of(producer), "calls", 3, 1) ==
          RD_KAFKA_RESP_ERR_NO_ERROR);
  produce_to(producer, "calls", 0, 20);
  produce_to(producer, "calls", 2, 2);

  using Values = std::map<std::int32_t, std::vector<std::string>>;
  CHECK(last_messages(producer, "calls", 1) == Values{{0, {"p0-19"}}, {2, {"p2-1"}}});
  CHECK(last_messages(producer, "calls", 3) == Values{{0, {"p0-17", "p0-18", "p0-19"}}, {2, {"p2-0", "p2-1"}}});
}
