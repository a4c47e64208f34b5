#include "sfcrimed/kafka_admin.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sfcrimed/connection_refusal.hpp"

namespace sfcrimed::kafka {
namespace {

using EventPtr = std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)>;
using PartitionListPtr =
    std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>;

constexpr std::chrono::milliseconds kSlice{5000};

int milliseconds(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 1, INT_MAX));
}

// One admin request: its options (the timeout) and the queue its result comes on.
class AdminRequest {
 public:
  AdminRequest(RdKafka::Handle& client, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout)
      : rk_(client.c_ptr()),
        timeout_(timeout),
        options_(rd_kafka_AdminOptions_new(rk_, op), &rd_kafka_AdminOptions_destroy),
        queue_(rd_kafka_queue_new(rk_), &rd_kafka_queue_destroy) {
    char error[256] = "";
    rd_kafka_AdminOptions_set_request_timeout(options_.get(), milliseconds(timeout), error, sizeof error);
  }

  [[nodiscard]] rd_kafka_t* rk() const { return rk_; }
  [[nodiscard]] rd_kafka_AdminOptions_t* options() const { return options_.get(); }
  [[nodiscard]] rd_kafka_queue_t* queue() const { return queue_.get(); }

  // The result, whose request-level error is checked; `what` names the request.
  EventPtr result(const std::string& what) {
    // librdkafka ends the request at its timeout itself; the extra second only covers the
    // result's way back.
    EventPtr event(rd_kafka_queue_poll(queue_.get(), milliseconds(timeout_ + std::chrono::seconds(1))),
                   &rd_kafka_event_destroy);
    if (!event) {
      throw TransientError(what + ": no answer from Kafka within " + std::to_string(timeout_.count()) + " ms");
    }
    const auto err = static_cast<RdKafka::ErrorCode>(rd_kafka_event_error(event.get()));
    if (err != RdKafka::ERR_NO_ERROR) {
      const std::string message = what + ": " + rd_kafka_event_error_string(event.get());
      if (is_transient(err)) {
        throw TransientError(message);
      }
      throw std::runtime_error(message);
    }
    return event;
  }

 private:
  rd_kafka_t* rk_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options_;
  std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue_;
};

PartitionListPtr partition_list(const std::string& topic, int partitions, std::int64_t offset) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions), &rd_kafka_topic_partition_list_destroy);
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
  }
  return list;
}

// Asks for the topic again until the brokers' metadata shows it (a topic just created
// reaches every broker a moment later), so that what the caller does next finds it.
void wait_until_visible(RdKafka::Handle& client, const std::string& topic, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (partition_count(client, topic, timeout) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw TransientError("created topic '" + topic + "', but the brokers do not show it yet");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

int partition_count(RdKafka::Handle& client, const std::string& topic, std::chrono::milliseconds timeout) {
  std::string error;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(&client, topic, nullptr, error));
  if (!handle) {
    throw std::runtime_error("topic '" + topic + "': " + error);
  }
  // Asked in slices of at most 5 s, so that a connection the cluster refuses (a wrong
  // password, say) ends the wait with the reason instead of at the deadline.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_ptr<RdKafka::Metadata> metadata;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    RdKafka::Metadata* raw = nullptr;
    const RdKafka::ErrorCode err =
        client.metadata(false, handle.get(), &raw, milliseconds(std::min<std::chrono::milliseconds>(left, kSlice)));
    metadata.reset(raw);
    if (err == RdKafka::ERR_NO_ERROR) {
      break;
    }
    if (const auto refusal = ConnectionRefusals::process().certain()) {
      throw Unavailable("no metadata for topic '" + topic + "': " + *refusal);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      // No answer at all is what an unreachable or failing-over cluster gives.
      throw TransientError("no metadata for topic '" + topic + "' from Kafka within " +
                           std::to_string(timeout.count()) + " ms (" + RdKafka::err2str(err) +
                           "); is a broker running there?");
    }
  }
  for (const auto* found : *metadata->topics()) {
    if (found->topic() != topic) {
      continue;
    }
    if (found->err() == RdKafka::ERR_NO_ERROR) {
      return static_cast<int>(found->partitions()->size());
    }
    if (is_transient(found->err())) {
      throw TransientError("metadata for topic '" + topic + "': " + RdKafka::err2str(found->err()));
    }
  }
  return 0;
}

bool ensure_topic(RdKafka::Handle& client, const std::string& topic, int partitions, std::chrono::milliseconds timeout,
                  const Settings& topic_configs) {
  if (partition_count(client, topic, timeout) > 0) {
    return false;
  }
  char error[512] = "";
  std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)> new_topic(
      rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, error, sizeof error), &rd_kafka_NewTopic_destroy);
  if (!new_topic) {
    throw std::runtime_error("cannot create topic '" + topic + "': " + error);
  }
  for (const auto& [name, value] : topic_configs) {
    if (rd_kafka_NewTopic_set_config(new_topic.get(), name.c_str(), value.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("cannot create topic '" + topic + "' with " + name + "=" + value);
    }
  }
  AdminRequest request(client, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
  rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
  rd_kafka_CreateTopics(request.rk(), topics, 1, request.options(), request.queue());
  const EventPtr event = request.result("creating topic '" + topic + "'");
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto err = static_cast<RdKafka::ErrorCode>(rd_kafka_topic_result_error(results[i]));
    if (err == RdKafka::ERR_TOPIC_ALREADY_EXISTS) {
      return false;  // someone else created it meanwhile
    }
    if (err != RdKafka::ERR_NO_ERROR) {
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      check(err, "creating topic '" + topic + "' (" + (why != nullptr ? why : "") + ")");
    }
  }
  wait_until_visible(client, topic, timeout);
  return true;
}

void PartitionOffsets::check(const std::string& what) const {
  if (!errors.empty()) {
    const auto& [partition, err] = *errors.begin();
    kafka::check(err, what + " (partition " + std::to_string(partition) + ")");
  }
}

PartitionOffsets list_offsets(RdKafka::Handle& client, const std::string& topic, int partitions,
                              std::chrono::milliseconds timeout, bool earliest) {
  AdminRequest request(client, RD_KAFKA_ADMIN_OP_LISTOFFSETS, timeout);
  const PartitionListPtr list =
      partition_list(topic, partitions, earliest ? RD_KAFKA_OFFSET_SPEC_EARLIEST : RD_KAFKA_OFFSET_SPEC_LATEST);
  rd_kafka_ListOffsets(request.rk(), list.get(), request.options(), request.queue());
  const EventPtr event = request.result("listing the offsets of '" + topic + "'");
  std::size_t count = 0;
  const rd_kafka_ListOffsetsResultInfo_t** infos =
      rd_kafka_ListOffsets_result_infos(rd_kafka_event_ListOffsets_result(event.get()), &count);
  PartitionOffsets result;
  for (std::size_t i = 0; i < count; ++i) {
    const rd_kafka_topic_partition_t* partition = rd_kafka_ListOffsetsResultInfo_topic_partition(infos[i]);
    if (partition->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result.errors[partition->partition] = static_cast<RdKafka::ErrorCode>(partition->err);
    } else if (partition->offset < 0) {
      // librdkafka 2.14.2 answers a partition whose leader did not answer in time with no
      // error and offset -1001 (invalid): no offset at all, as a timeout would say.
      result.errors[partition->partition] = RdKafka::ERR__TIMED_OUT;
    } else {
      result.offsets[partition->partition] = partition->offset;
    }
  }
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    if (!result.offsets.contains(partition) && !result.errors.contains(partition)) {
      result.errors[partition] = RdKafka::ERR__TIMED_OUT;  // not in the answer
    }
  }
  return result;
}

std::map<std::int32_t, std::int64_t> committed_offsets(RdKafka::KafkaConsumer& consumer, const std::string& topic,
                                                       int partitions, std::chrono::milliseconds timeout) {
  std::vector<std::int32_t> all(static_cast<std::size_t>(std::max(partitions, 0)));
  std::iota(all.begin(), all.end(), 0);
  return committed_offsets(consumer, topic, all, timeout);
}

// With isolation.level=read_committed (the [consumer] section's), librdkafka asks for
// stable offsets and waits out a pending transactional commit.
std::map<std::int32_t, std::int64_t> committed_offsets(RdKafka::KafkaConsumer& consumer, const std::string& topic,
                                                       const std::vector<std::int32_t>& partitions,
                                                       std::chrono::milliseconds timeout) {
  std::vector<RdKafka::TopicPartition*> list;
  list.reserve(partitions.size());
  for (const auto partition : partitions) {
    list.push_back(RdKafka::TopicPartition::create(topic, partition));
  }
  const RdKafka::ErrorCode err = consumer.committed(list, milliseconds(timeout));
  std::map<std::int32_t, std::int64_t> committed;
  for (const auto* partition : list) {
    if (partition->err() == RdKafka::ERR_NO_ERROR && partition->offset() >= 0) {
      committed[partition->partition()] = partition->offset();
    }
  }
  RdKafka::TopicPartition::destroy(list);
  check(err, "reading the offsets committed for '" + topic + "'");
  return committed;
}

namespace {

GroupMember group_member(const rd_kafka_MemberDescription_t* described, const std::string& topic) {
  GroupMember member;
  member.client_id = rd_kafka_MemberDescription_client_id(described);
  const char* instance = rd_kafka_MemberDescription_group_instance_id(described);
  member.instance_id = instance != nullptr ? instance : "";
  member.host = rd_kafka_MemberDescription_host(described);
  const rd_kafka_topic_partition_list_t* assigned =
      rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(described));
  for (int i = 0; assigned != nullptr && i < assigned->cnt; ++i) {
    if (topic == assigned->elems[i].topic) {
      member.partitions.push_back(assigned->elems[i].partition);
    }
  }
  std::sort(member.partitions.begin(), member.partitions.end());
  return member;
}

}  // namespace

std::vector<GroupMember> describe_group(RdKafka::Handle& client, const std::string& group, const std::string& topic,
                                        std::chrono::milliseconds timeout) {
  AdminRequest request(client, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout);
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(request.rk(), groups, 1, request.options(), request.queue());
  const std::string what = "describing consumer group '" + group + "'";
  const EventPtr event = request.result(what);
  std::size_t count = 0;
  const rd_kafka_ConsumerGroupDescription_t** described =
      rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(event.get()), &count);
  if (count != 1) {
    throw TransientError(what + ": no description came back");
  }
  if (const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(described[0]); error != nullptr) {
    const auto err = static_cast<RdKafka::ErrorCode>(rd_kafka_error_code(error));
    const std::string message = what + ": " + rd_kafka_error_string(error);
    if (is_transient(err)) {
      throw TransientError(message);
    }
    throw std::runtime_error(message);
  }
  std::vector<GroupMember> members;
  for (std::size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(described[0]); ++i) {
    members.push_back(group_member(rd_kafka_ConsumerGroupDescription_member(described[0], i), topic));
  }
  return members;
}

std::unique_ptr<RdKafka::KafkaConsumer> offsets_reader(const Settings& settings) {
  const auto conf = make_conf(settings);
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) {
    throw std::runtime_error("cannot create a consumer to read a group's offsets: " + error);
  }
  return consumer;
}

}  // namespace sfcrimed::kafka
