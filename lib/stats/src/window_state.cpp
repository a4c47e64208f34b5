#include "sfcrimed/window_state.hpp"

#include <simdjson.h>

#include "sfcrimed/json.hpp"

namespace sfcrimed {

WallSeconds window_start(WallSeconds time, WallSeconds size) {
  const WallSeconds remainder = time % size;
  return time - (remainder < 0 ? remainder + size : remainder);
}

PartitionWindows::PartitionWindows(std::int32_t partition, WindowSpec spec) : partition_(partition), spec_(spec) {}

WallSeconds PartitionWindows::watermark() const {
  return max_time_ == kNever ? kNever : max_time_ - spec_.allowed_lateness;
}

Applied PartitionWindows::apply(const CallView& call) {
  if (call.time < closed_through_) {
    return Applied::late;
  }
  if (seen_.contains(call.crime_id)) {
    return Applied::duplicate;
  }
  Window& window = open_[window_start(call.time, spec_.size)];
  window.crime_ids.emplace_back(call.crime_id);
  seen_.emplace(call.crime_id);
  // Heterogeneous find first: most calls add to a name the window already has.
  const auto add = [](Counts& counts, std::string_view name) {
    if (auto found = counts.find(name); found != counts.end()) {
      ++found->second.count;
    } else {
      counts.emplace(std::string(name), Count{1, 0});
    }
  };
  add(window.crime_types, call.crime_type);
  add(window.dispositions, call.disposition);
  if (call.time > max_time_) {
    max_time_ = call.time;
    const WallSeconds boundary = window_start(watermark(), spec_.size);
    if (boundary > closed_through_) {
      close_windows_before(boundary);
    }
  }
  return Applied::counted;
}

void PartitionWindows::close_windows_before(WallSeconds boundary) {
  // A window [s, s + size) has closed once s + size <= boundary, that is s < boundary.
  while (!open_.empty() && open_.begin()->first < boundary) {
    auto node = open_.extract(open_.begin());
    for (const auto& id : node.mapped().crime_ids) {
      seen_.erase(id);
    }
    node.mapped().crime_ids.clear();
    closed_.insert(std::move(node));
  }
  closed_through_ = boundary;
}

void PartitionWindows::close_open_windows() {
  if (!open_.empty()) {
    close_windows_before(open_.rbegin()->first + spec_.size);
  }
}

bool PartitionWindows::changed(const Window& window) {
  for (const auto* counts : {&window.crime_types, &window.dispositions}) {
    for (const auto& [name, count] : *counts) {
      if (count.count != count.emitted) {
        return true;
      }
    }
  }
  return false;
}

// A window goes out whole (one share, one message), or not at all.
void PartitionWindows::emit(std::vector<StatsEntry>& out, WallSeconds start, const Window& window, bool final,
                            bool changed_only, const RadioCodes& codes) const {
  if (changed_only && !changed(window)) {
    return;
  }
  const auto add = [&](StatsMetric metric, const Counts& counts) {
    for (const auto& [name, count] : counts) {
      StatsEntry entry;
      entry.metric = metric;
      entry.window_start = start;
      entry.window_end = start + spec_.size;
      entry.name = name;
      entry.partition = partition_;
      entry.count = count.count;
      entry.final = final;
      if (metric == StatsMetric::disposition) {
        if (const auto description = codes.describe(name)) {
          entry.description = std::string(*description);
        }
      }
      out.push_back(std::move(entry));
    }
  };
  add(StatsMetric::crime_type, window.crime_types);
  add(StatsMetric::disposition, window.dispositions);
}

std::vector<StatsEntry> PartitionWindows::take_emissions(OpenWindows open, const RadioCodes& codes) {
  std::vector<StatsEntry> out;
  // Sized once: growing it entry by entry moved every entry again and, the vector being
  // large, faulted fresh pages in each time (a tenth of a drain's CPU, measured).
  const auto counts_in = [](const std::map<WallSeconds, Window>& windows) {
    std::size_t size = 0;
    for (const auto& [start, window] : windows) {
      size += window.crime_types.size() + window.dispositions.size();
    }
    return size;
  };
  out.reserve(counts_in(closed_) + (open == OpenWindows::none ? 0 : counts_in(open_)));
  for (const auto& [start, window] : closed_) {
    emit(out, start, window, true, false, codes);
  }
  closed_.clear();
  if (open != OpenWindows::none) {
    for (auto& [start, window] : open_) {
      emit(out, start, window, false, open == OpenWindows::changed_only, codes);
      for (auto* counts : {&window.crime_types, &window.dispositions}) {
        for (auto& [name, count] : *counts) {
          count.emitted = count.count;
        }
      }
    }
  }
  return out;
}

std::size_t PartitionWindows::entries() const {
  std::size_t total = seen_.size();
  for (const auto& [start, window] : open_) {
    total += window.crime_types.size() + window.dispositions.size();
  }
  return total;
}

// {"v":2,"partition":2,"next_offset":42,"max_time":1538471460,"closed_through":1538463600,
//  "windows":[{"start":1538467200,"crime_types":[["Traffic Stop",3,1],...],
//              "dispositions":[["HAN",2,0],...],"crime_ids":["183653763",...]},...]}
// Counts are [name, count, emitted]. Closed windows are never in a snapshot: the
// pipeline takes their emissions first. Version 2 is the state of the stats format with
// one message per window and partition (stats_topic.hpp); version 1 was that of one
// count per message, and is refused rather than mixed with it.
std::string PartitionWindows::snapshot() const {
  if (!closed_.empty()) {
    throw std::logic_error("a state snapshot was taken before the closed windows' emissions");
  }
  std::string out = R"({"v":2,"partition":)" + std::to_string(partition_) + R"(,"next_offset":)" +
                    std::to_string(next_offset_) + R"(,"max_time":)" + std::to_string(max_time_) +
                    R"(,"closed_through":)" + std::to_string(closed_through_) + R"(,"windows":[)";
  const auto counts = [&](const char* name, const Counts& all) {
    out += ",\"";
    out += name;
    out += "\":[";
    bool first = true;
    for (const auto& [key, count] : all) {
      out += first ? "[" : ",[";
      first = false;
      append_json_string(out, key);
      out += "," + std::to_string(count.count) + "," + std::to_string(count.emitted) + "]";
    }
    out += "]";
  };
  bool first_window = true;
  for (const auto& [start, window] : open_) {
    out += first_window ? "{\"start\":" : ",{\"start\":";
    first_window = false;
    out += std::to_string(start);
    counts("crime_types", window.crime_types);
    counts("dispositions", window.dispositions);
    out += ",\"crime_ids\":[";
    for (std::size_t i = 0; i < window.crime_ids.size(); ++i) {
      if (i > 0) {
        out += ',';
      }
      append_json_string(out, window.crime_ids[i]);
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

namespace {

namespace od = simdjson::ondemand;

// Throws SnapshotError, naming `what`, unless `error` is SUCCESS.
void check(simdjson::error_code error, const char* what) {
  if (error != simdjson::SUCCESS) {
    throw SnapshotError(std::string("state snapshot: ") + what + ": " + simdjson::error_message(error));
  }
}

// Reads the array `object[name]`, each entry [name, count, emitted], into `counts`: one
// window's counts of one kind (PartitionWindows::Counts, private, hence the template).
template <typename Counts>
void restore_counts(od::object& object, const char* name, Counts& counts) {
  od::array entries;
  check(object[name].get_array().get(entries), name);
  for (auto entry_value : entries) {
    od::array entry;
    check(entry_value.get_array().get(entry), name);
    std::string_view key;
    typename Counts::mapped_type count;
    auto items = entry.begin();
    const auto next = [&](auto& out) {
      if (items == entry.end()) {
        throw SnapshotError(std::string("state snapshot: a short entry in ") + name);
      }
      check((*items).get(out), name);
      ++items;
    };
    next(key);
    std::string owned(key);  // the view dies with the next value read
    next(count.count);
    next(count.emitted);
    counts.emplace(std::move(owned), count);
  }
}

}  // namespace

PartitionWindows PartitionWindows::restore(std::string_view snapshot, WindowSpec spec) {
  const simdjson::padded_string padded(snapshot);
  od::parser parser;
  od::document document;
  od::object root;
  check(parser.iterate(padded).get(document), "not JSON");
  check(document.get_object().get(root), "not an object");
  std::int64_t version = 0;
  std::int64_t partition = 0;
  std::int64_t next_offset = 0;
  std::int64_t max_time = 0;
  std::int64_t closed_through = 0;
  check(root["v"].get_int64().get(version), "v");
  if (version == 1) {
    throw SnapshotError(
        "the state topic holds a snapshot of an older sfcrimed, whose stats topic has one count per message; this "
        "one writes one message per window and partition, and does not mix the two: give it new topics (another "
        "kafka.topic, or pipeline.stats_topic, pipeline.state_topic and pipeline.windows_topic, with another "
        "pipeline.group), or delete the old state and stats topics and "
        "count again");
  }
  if (version != 2) {
    throw SnapshotError("state snapshot: version " + std::to_string(version) + " is not one this sfcrimed reads");
  }
  check(root["partition"].get_int64().get(partition), "partition");
  check(root["next_offset"].get_int64().get(next_offset), "next_offset");
  check(root["max_time"].get_int64().get(max_time), "max_time");
  check(root["closed_through"].get_int64().get(closed_through), "closed_through");
  PartitionWindows state(static_cast<std::int32_t>(partition), spec);
  state.next_offset_ = next_offset;
  state.max_time_ = max_time;
  state.closed_through_ = closed_through;

  od::array windows;
  check(root["windows"].get_array().get(windows), "windows");
  for (auto window_value : windows) {
    od::object object;
    check(window_value.get_object().get(object), "window");
    std::int64_t start = 0;
    check(object["start"].get_int64().get(start), "window start");
    Window& window = state.open_[start];
    restore_counts(object, "crime_types", window.crime_types);
    restore_counts(object, "dispositions", window.dispositions);
    od::array ids;
    check(object["crime_ids"].get_array().get(ids), "crime_ids");
    for (auto id_value : ids) {
      std::string_view id;
      check(id_value.get_string().get(id), "crime_id");
      window.crime_ids.emplace_back(id);
      state.seen_.emplace(id);
    }
  }
  return state;
}

}  // namespace sfcrimed
