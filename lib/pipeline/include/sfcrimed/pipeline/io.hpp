#pragma once
// What a pipeline thread reads and writes, behind three small interfaces: the records of
// the partitions the group gives it (Source), the transaction its output goes into
// (TransactionalOutput) and the committed state it restores a partition from
// (StateStore). kafka_io.hpp has the librdkafka implementations; the unit tests have
// fakes. None of them is thread-safe: each belongs to one pipeline thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sfcrimed/window_state.hpp"

namespace sfcrimed::detail {

// One record of the calls topic; the views last until the source's next poll().
struct Record {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string_view key;
  std::string_view value;
  std::optional<std::int64_t> timestamp_ms;  // when the producer wrote it, if it says
};

// Offset where a partition without committed state starts: its beginning.
inline constexpr std::int64_t kFromBeginning = -2;
// A partition for TransactionalOutput::stats(): whichever the key's hash gives.
inline constexpr std::int32_t kAnyPartition = -1;

// The group's rebalances, as a thread sees them; called from inside Source::poll().
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // `partitions` are given to this thread: where each one is to be read from.
  virtual std::map<std::int32_t, std::int64_t> assigned(const std::vector<std::int32_t>& partitions) = 0;
  // `partitions` are taken away; `lost` when the group gave them to another member
  // already (this one's session ended), so that their open work cannot be committed.
  virtual void revoked(const std::vector<std::int32_t>& partitions, bool lost) = 0;
};

// The calls topic as one member of the consumer group reads it.
class Source {
 public:
  virtual ~Source() = default;

  struct Polled {
    enum class Kind { record, end_of_partition, nothing } kind = Kind::nothing;
    Record record;  // kind record: the record; end_of_partition: partition and its end offset
  };
  // The next record, an end of partition, or nothing within `timeout`. Rebalances are
  // delivered to `listener` meanwhile; what the listener throws comes out of here.
  // Throws on a fatal consumer error; a transient one is logged and polled past.
  virtual Polled poll(std::chrono::milliseconds timeout, RebalanceListener& listener) = 0;
  // Reads `partition` from `offset` (kFromBeginning for its start) from now on.
  virtual void seek(std::int32_t partition, std::int64_t offset) = 0;
  // Leaves the group; rebalance callbacks (revocation of everything) run from here.
  virtual void close(RebalanceListener& listener) = 0;
  // Whether rebalances give and take partitions one by one (cooperative, KIP-848) or
  // all at once (eager).
  [[nodiscard]] virtual bool incremental() const = 0;
  // The offsets the group has committed for `partitions` (one with none is left out),
  // once stable: a transaction that committed them and is still writing its markers is
  // waited for (KIP-447's require_stable). Throws kafka::TransientError when the group's
  // coordinator does not answer.
  virtual std::map<std::int32_t, std::int64_t> committed(const std::vector<std::int32_t>& partitions) = 0;
};

// The open transaction a thread writes into: its dead letters, stats messages and state
// snapshots, committed together with the group's offsets, or aborted together.
class TransactionalOutput {
 public:
  virtual ~TransactionalOutput() = default;

  virtual void dead_letter(const Record& record, std::string_view reason) = 0;
  // A message of the stats topic, into its partition `partition` (share_partition), or
  // the key's (kAnyPartition).
  virtual void stats(std::int32_t partition, std::string_view key, std::string_view value) = 0;
  // The snapshot of calls partition `partition`, into the same partition of the state topic.
  virtual void snapshot(std::int32_t partition, std::string_view value) = 0;
  // Commits what was written with `offsets` (each owned partition's next offset) as the
  // group's, and opens the next transaction. Throws kafka::TransactionError: abortable
  // when the transaction is lost (abort() and rewind), fatal when the thread must stop.
  virtual void commit(const std::map<std::int32_t, std::int64_t>& offsets) = 0;
  // Drops what the open transaction holds and opens the next.
  virtual void abort() = 0;
  // Lets the output serve its events while the thread has nothing to read.
  virtual void idle() = 0;
};

// Where a partition's committed state is kept (its latest snapshot).
class StateStore {
 public:
  virtual ~StateStore() = default;
  // The committed state of each of `partitions`, a fresh one where there is none yet.
  virtual std::map<std::int32_t, PartitionWindows> load(const std::vector<std::int32_t>& partitions) = 0;
};

}  // namespace sfcrimed::detail
