#pragma once
// Fakes of a pipeline thread's I/O (sfcrimed/pipeline/io.hpp), for its tests without a
// broker: a topic in memory that the "group" assigns as the test says, a transaction
// that commits into a StatsTotals (or refuses, when told to), and the snapshots it
// committed as the state store.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sfcrimed/pipeline/io.hpp"
#include "sfcrimed/producer.hpp"
#include "sfcrimed/stats_topic.hpp"

namespace sfcrimed::test {

// A call of the calls topic, as the ingest writes it.
inline std::string call_json(const std::string& id, const std::string& type, const std::string& time,
                             const std::string& disposition = "HAN") {
  return R"({"crime_id":")" + id + R"(","original_crime_type_name":")" + type + R"(","call_date_time":")" + time +
         R"(","disposition":")" + disposition + R"(","address":"Geary Bl","city":"San Francisco"})";
}

class FakeSource final : public detail::Source {
 public:
  std::map<std::int32_t, std::vector<std::string>> topic;  // values by partition
  std::map<std::int32_t, std::vector<std::string>> keys;   // their keys, where a test gives them
  bool cooperative = false;

  // The group gives `partitions`, or takes them back, at the next poll.
  void give(const std::vector<std::int32_t>& partitions) {
    rebalances_.emplace_back([this, partitions](detail::RebalanceListener& listener) {
      for (const auto& [partition, start] : listener.assigned(partitions)) {
        position_[partition] = start == detail::kFromBeginning ? 0 : start;
        at_end_.erase(partition);
      }
    });
  }
  void take(const std::vector<std::int32_t>& partitions, bool lost) {
    rebalances_.emplace_back([this, partitions, lost](detail::RebalanceListener& listener) {
      listener.revoked(partitions, lost);
      for (const auto partition : partitions) {
        position_.erase(partition);
      }
    });
  }

  Polled poll(std::chrono::milliseconds /*timeout*/, detail::RebalanceListener& listener) override {
    if (!rebalances_.empty()) {
      auto rebalance = std::move(rebalances_.front());
      rebalances_.pop_front();
      rebalance(listener);
      return {};
    }
    for (auto& [partition, position] : position_) {
      const auto& values = topic[partition];
      if (position < static_cast<std::int64_t>(values.size())) {
        const auto index = static_cast<std::size_t>(position);
        const auto& partition_keys = keys[partition];
        const std::string_view key = index < partition_keys.size() ? std::string_view(partition_keys[index]) : "";
        Polled polled{Polled::Kind::record, {partition, position, key, values[index], {}}};
        ++position;
        return polled;
      }
      if (at_end_.insert(partition).second) {
        return {Polled::Kind::end_of_partition, {partition, position, {}, {}, {}}};
      }
    }
    return {};
  }
  void seek(std::int32_t partition, std::int64_t offset) override {
    position_[partition] = offset == detail::kFromBeginning ? 0 : offset;
    at_end_.erase(partition);
    seeks.emplace_back(partition, offset);
  }
  void close(detail::RebalanceListener& listener) override {
    std::vector<std::int32_t> owned;
    for (const auto& [partition, position] : position_) {
      owned.push_back(partition);
    }
    if (!owned.empty()) {
      listener.revoked(owned, false);
    }
    position_.clear();
    closed = true;
  }
  [[nodiscard]] bool incremental() const override { return cooperative; }
  std::map<std::int32_t, std::int64_t> committed(const std::vector<std::int32_t>& partitions) override {
    std::map<std::int32_t, std::int64_t> offsets;
    for (const auto partition : partitions) {
      if (group_offsets != nullptr && group_offsets->contains(partition)) {
        offsets.emplace(partition, group_offsets->at(partition));
      }
    }
    return offsets;
  }

  // The group's committed offsets, where a test has them (FakeOutput::committed_offsets).
  const std::map<std::int32_t, std::int64_t>* group_offsets = nullptr;
  std::vector<std::pair<std::int32_t, std::int64_t>> seeks;
  bool closed = false;

 private:
  std::deque<std::function<void(detail::RebalanceListener&)>> rebalances_;
  std::map<std::int32_t, std::int64_t> position_;
  std::set<std::int32_t> at_end_;
};

// The committed snapshots (FakeOutput writes them at each commit).
class FakeStateStore final : public detail::StateStore {
 public:
  explicit FakeStateStore(WindowSpec spec) : spec_(spec) {}
  std::map<std::int32_t, std::string> snapshots;
  // The snapshots as they were before the last commit: what the next `lagging_loads`
  // loads read (a commit whose markers are not in the state topic yet).
  std::map<std::int32_t, std::string> before_last_commit;
  int lagging_loads = 0;
  int loads = 0;

  std::map<std::int32_t, PartitionWindows> load(const std::vector<std::int32_t>& partitions) override {
    ++loads;
    const auto& visible = lagging_loads > 0 ? before_last_commit : snapshots;
    lagging_loads = std::max(lagging_loads - 1, 0);
    std::map<std::int32_t, PartitionWindows> loaded;
    for (const auto partition : partitions) {
      const auto found = visible.find(partition);
      loaded.emplace(partition, found == visible.end() ? PartitionWindows(partition, spec_)
                                                       : PartitionWindows::restore(found->second, spec_));
    }
    return loaded;
  }

 private:
  WindowSpec spec_;
};

class FakeOutput final : public detail::TransactionalOutput {
 public:
  explicit FakeOutput(FakeStateStore& store) : store_(store) {}

  int refuse_commits = 0;  // this many commits throw an abortable TransactionError
  int commits = 0;
  int aborts = 0;
  std::map<std::int32_t, std::int64_t> committed_offsets;
  std::vector<std::string> committed_dead_letters;  // their reasons
  StatsTotals committed_stats;
  // Every stats message committed, in order: its partition, key and value.
  struct StatsMessage {
    std::int32_t partition = 0;
    std::string key;
    std::string value;
  };
  std::vector<StatsMessage> committed_messages;

  void dead_letter(const detail::Record& /*record*/, std::string_view reason) override {
    open_dead_letters_.emplace_back(reason);
  }
  void stats(std::int32_t partition, std::string_view key, std::string_view value) override {
    open_stats_.push_back({partition, std::string(key), std::string(value)});
  }
  void snapshot(std::int32_t partition, std::string_view value) override {
    open_snapshots_[partition] = std::string(value);
  }
  void commit(const std::map<std::int32_t, std::int64_t>& offsets) override {
    if (refuse_commits > 0) {
      --refuse_commits;
      throw kafka::TransactionError("the broker refused the commit (a test)", true);
    }
    std::string why;
    for (const auto& message : open_stats_) {
      committed_stats.add(message.key, message.value, why);
      committed_messages.push_back(message);
    }
    committed_dead_letters.insert(committed_dead_letters.end(), open_dead_letters_.begin(), open_dead_letters_.end());
    store_.before_last_commit = store_.snapshots;
    for (auto& [partition, snapshot] : open_snapshots_) {
      store_.snapshots[partition] = std::move(snapshot);
    }
    for (const auto& [partition, offset] : offsets) {
      committed_offsets[partition] = offset;
    }
    ++commits;
    drop_open();
  }
  void abort() override {
    ++aborts;
    drop_open();
  }
  void idle() override {}

 private:
  void drop_open() {
    open_stats_.clear();
    open_dead_letters_.clear();
    open_snapshots_.clear();
  }

  FakeStateStore& store_;
  std::vector<StatsMessage> open_stats_;
  std::vector<std::string> open_dead_letters_;
  std::map<std::int32_t, std::string> open_snapshots_;
};

}  // namespace sfcrimed::test
