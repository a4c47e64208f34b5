#include "sfcrimed/stats_topic.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "sfcrimed/detail/json_message.hpp"
#include "sfcrimed/json.hpp"

namespace sfcrimed {
namespace {

namespace od = simdjson::ondemand;

// The fields of a share's value, in the order they are written.
enum Field : std::size_t { kWindowStart, kWindowEnd, kPartition, kFinal, kCalls, kCrimeTypes, kDispositions, kFields };
constexpr std::array<std::string_view, kFields> kFieldNames = {"window_start", "window_end",  "partition",   "final",
                                                               "calls",        "crime_types", "dispositions"};

// What a share's value says besides its counts.
struct ShareHeader {
  WallSeconds window_start = 0;
  WallSeconds window_end = 0;
  std::int32_t partition = 0;
  bool final = false;
  std::uint64_t calls = 0;
};

// A string field's value that must be a date-time, into `time`.
std::optional<std::string> read_wall_time(const std::string& name, od::value value, WallSeconds& time) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) {
    return name + " is not a string";
  }
  const auto parsed = parse_wall_time(text);
  if (!parsed) {
    return name + " \"" + std::string(text) + "\" is not a date-time";
  }
  time = *parsed;
  return std::nullopt;
}

// A field's value that must be a string or null, into `description`.
std::optional<std::string> read_description(const std::string& name, od::value value,
                                            std::optional<std::string>& description) {
  bool is_null = false;
  if (value.is_null().get(is_null) == simdjson::SUCCESS && is_null) {
    description.reset();
    return std::nullopt;
  }
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) {
    return name + " is neither a string nor null";
  }
  description = std::string(text);
  return std::nullopt;
}

// The counts of the object `value` (crime type: count), as entries of `metric`.
std::optional<std::string> read_crime_types(const std::string& name, od::value value, std::vector<StatsEntry>& out) {
  od::object counts;
  if (value.get_object().get(counts) != simdjson::SUCCESS) {
    return name + " is not an object";
  }
  std::string why;
  for (auto field_result : counts) {
    od::field field;
    std::string_view key;
    if (!detail::read_field(std::move(field_result), field, key, why)) {
      return why;
    }
    StatsEntry entry;
    entry.name = key;
    if (entry.name.empty()) {
      return name + " has an empty name";
    }
    if (field.value().get_uint64().get(entry.count) != simdjson::SUCCESS) {
      return name + " \"" + entry.name + "\" is not an unsigned integer";
    }
    out.push_back(std::move(entry));
  }
  return std::nullopt;
}

// The dispositions of the object `value` (code: {"description": text|null, "count": n}).
std::optional<std::string> read_dispositions(const std::string& name, od::value value, std::vector<StatsEntry>& out) {
  od::object codes;
  if (value.get_object().get(codes) != simdjson::SUCCESS) {
    return name + " is not an object";
  }
  std::string why;
  for (auto field_result : codes) {
    od::field field;
    std::string_view key;
    if (!detail::read_field(std::move(field_result), field, key, why)) {
      return why;
    }
    StatsEntry entry;
    entry.metric = StatsMetric::disposition;
    entry.name = key;
    const std::string what = name + " \"" + entry.name + "\"";
    od::object disposition;
    if (entry.name.empty() || field.value().get_object().get(disposition) != simdjson::SUCCESS) {
      return what + " is not an object with a non-empty code";
    }
    // A disposition without its description would read as "not in the table", which is a
    // claim the writer did not make: both fields are required.
    od::value description;
    if (disposition["description"].get(description) != simdjson::SUCCESS) {
      return what + ": description is missing (a string, or null for a code the table lacks)";
    }
    if (auto reason = read_description(what + ": description", description, entry.description)) {
      return reason;
    }
    if (disposition["count"].get_uint64().get(entry.count) != simdjson::SUCCESS) {
      return what + ": count is missing or not an unsigned integer";
    }
    out.push_back(std::move(entry));
  }
  return std::nullopt;
}

// Reads one field's value into `header` or `entries`; the reason when it is not what the
// format says.
std::optional<std::string> read_field(Field field, od::value value, ShareHeader& header,
                                      std::vector<StatsEntry>& entries) {
  const std::string name(kFieldNames[field]);
  switch (field) {
    case kWindowStart:
      return read_wall_time(name, value, header.window_start);
    case kWindowEnd:
      return read_wall_time(name, value, header.window_end);
    case kPartition: {
      std::int64_t partition = 0;
      if (value.get_int64().get(partition) != simdjson::SUCCESS || partition < 0 ||
          partition > std::numeric_limits<std::int32_t>::max()) {
        return name + " is not a partition number (an integer from 0 to 2147483647)";
      }
      header.partition = static_cast<std::int32_t>(partition);
      return std::nullopt;
    }
    case kFinal:
      if (value.get_bool().get(header.final) != simdjson::SUCCESS) {
        return name + " is not true or false";
      }
      return std::nullopt;
    case kCalls:
      if (value.get_uint64().get(header.calls) != simdjson::SUCCESS) {
        return name + " is not an unsigned integer";
      }
      return std::nullopt;
    case kCrimeTypes:
      return read_crime_types(name, value, entries);
    case kDispositions:
      return read_dispositions(name, value, entries);
    case kFields:
      break;
  }
  return name + " is not a field of a share";
}

// What must hold of a share read whole: every field there, and its figures consistent.
std::optional<std::string> check_share(const std::array<bool, kFields>& seen, const ShareHeader& header,
                                       const std::vector<StatsEntry>& entries) {
  for (std::size_t i = 0; i < kFields; ++i) {
    if (!seen[i]) {
      return std::string(kFieldNames[i]) + " is missing";
    }
  }
  if (header.window_end <= header.window_start) {
    return "window_end " + format_wall_time(header.window_end) + " is not after window_start " +
           format_wall_time(header.window_start);
  }
  std::uint64_t calls = 0;
  for (const auto& entry : entries) {
    calls += entry.metric == StatsMetric::crime_type ? entry.count : 0;
  }
  if (calls != header.calls) {
    return "calls " + std::to_string(header.calls) + " is not the sum of the crime types' counts, " +
           std::to_string(calls);
  }
  return std::nullopt;
}

// `text` with control characters as dots: a key from the topic, shown in a warning.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    c = byte < 0x20 || byte == 0x7f ? '.' : c;
  }
  return out;
}

// "2018-10-02 09:00" for tables: seconds are always zero in hour windows, and the T
// reads worse than a space.
std::string short_time(WallSeconds seconds) {
  std::string text = format_wall_time(seconds).substr(0, 16);
  text[10] = ' ';
  return text;
}

// `text` after spaces up to `width` columns.
std::string right_aligned(std::string_view text, std::size_t width) {
  return std::string(width > text.size() ? width - text.size() : 0, ' ') + std::string(text);
}

// `text` followed by spaces up to `width` columns (bytes: names are mostly ASCII, and a
// wider cell only shifts its own line).
std::string left_aligned(std::string_view text, std::size_t width) {
  return std::string(text) + std::string(width > text.size() ? width - text.size() : 0, ' ');
}

// A count column wide enough for `largest` and for its heading.
std::size_t count_width(std::uint64_t largest) { return std::max<std::size_t>(5, std::to_string(largest).size()); }

// The table of windows: one line per window, its calls and its three largest crime
// types, which is what one reads a window for; --json has the full breakdown.
void append_window_table(std::string& out, const std::map<WallSeconds, StatsTotals::Window>& by_window) {
  std::uint64_t busiest = 0;
  for (const auto& [start, window] : by_window) {
    busiest = std::max(busiest, window.calls);
  }
  const std::size_t calls_width = count_width(busiest);
  out += "\nWindows (" + std::to_string(by_window.size()) + ")\n";
  out += left_aligned("start", 16) + "  " + left_aligned("end", 16) + "  " + right_aligned("calls", calls_width) +
         "  largest crime types\n";
  for (const auto& [start, window] : by_window) {
    std::string largest;
    for (const auto& row : largest_first(window.crime_types, 3, [](std::uint64_t count) { return count; })) {
      largest += (largest.empty() ? "" : ", ") + row->first + " " + std::to_string(row->second);
    }
    if (window.crime_types.size() > 3) {
      largest += ", ...";
    }
    out += short_time(start) + "  " + short_time(window.end) + "  " +
           right_aligned(std::to_string(window.calls), calls_width) + "  " + largest + "\n";
  }
}

}  // namespace

std::string_view metric_name(StatsMetric metric) {
  return metric == StatsMetric::crime_type ? "crime_type" : "disposition";
}

std::string stats_key(const StatsEntry& entry) {
  std::string key = "[";
  append_json_string(key, metric_name(entry.metric));
  key += ',';
  append_json_string(key, format_wall_time(entry.window_start));
  key += ',';
  append_json_string(key, entry.name);
  key += ',';
  key += std::to_string(entry.partition);
  key += ']';
  return key;
}

std::string share_key(WallSeconds window_start, std::int32_t partition) {
  std::string key = "[";
  append_json_string(key, format_wall_time(window_start));
  key += ',' + std::to_string(partition) + ']';
  return key;
}

namespace {

// A share's value (with its partition) or a merged window's (without): the counts of
// `entries`, one window's, as the formats above say.
std::string counts_value(std::span<const StatsEntry> entries, std::optional<std::int32_t> partition) {
  if (entries.empty()) {
    throw std::logic_error("a stats share without counts");
  }
  const StatsEntry& first = entries.front();
  std::uint64_t calls = 0;
  for (const auto& entry : entries) {
    calls += entry.metric == StatsMetric::crime_type ? entry.count : 0;
  }
  std::string value = R"({"window_start":)";
  append_json_string(value, format_wall_time(first.window_start));
  value += R"(,"window_end":)";
  append_json_string(value, format_wall_time(first.window_end));
  if (partition) {
    value += R"(,"partition":)" + std::to_string(*partition);
  }
  value += first.final ? R"(,"final":true)" : R"(,"final":false)";
  value += R"(,"calls":)" + std::to_string(calls);
  for (const auto metric : {StatsMetric::crime_type, StatsMetric::disposition}) {
    value += metric == StatsMetric::crime_type ? R"(,"crime_types":{)" : R"(},"dispositions":{)";
    bool first_count = true;
    for (const auto& entry : entries) {
      if (entry.metric != metric) {
        continue;
      }
      value += first_count ? "" : ",";
      first_count = false;
      append_json_string(value, entry.name);
      if (metric == StatsMetric::crime_type) {
        value += ':' + std::to_string(entry.count);
        continue;
      }
      value += R"(:{"description":)";
      if (entry.description) {
        append_json_string(value, *entry.description);
      } else {
        value += "null";
      }
      value += R"(,"count":)" + std::to_string(entry.count) + '}';
    }
  }
  value += "}}";
  return value;
}

}  // namespace

std::string share_value(std::span<const StatsEntry> entries) {
  return counts_value(entries, entries.empty() ? 0 : entries.front().partition);
}

std::string window_key(WallSeconds window_start) { return format_wall_time(window_start); }

std::string window_value(std::span<const StatsEntry> entries) { return counts_value(entries, std::nullopt); }

std::int32_t share_partition(WallSeconds window_start, std::int32_t stats_partitions) {
  // splitmix64's finaliser: neighbouring windows (multiples of the window length) spread
  // over the partitions whatever the length.
  auto mixed = static_cast<std::uint64_t>(window_start);
  mixed = (mixed ^ (mixed >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  mixed = (mixed ^ (mixed >> 27U)) * 0x94d049bb133111ebULL;
  mixed ^= mixed >> 31U;
  return static_cast<std::int32_t>(mixed % static_cast<std::uint64_t>(std::max(1, stats_partitions)));
}

std::string progress_key(std::int32_t partition) { return R"(["progress",)" + std::to_string(partition) + ']'; }

bool is_progress_key(std::string_view key) { return key.starts_with(R"(["progress",)"); }

std::string progress_value(const PartitionClosure& progress) {
  std::string value = R"({"partition":)" + std::to_string(progress.partition) + R"(,"closed_through":)";
  if (progress.closed_through == PartitionClosure::kNothingClosed) {
    value += "null";
  } else {
    append_json_string(value, format_wall_time(progress.closed_through));
  }
  value += progress.idle ? R"(,"idle":true})" : R"(,"idle":false})";
  return value;
}

std::optional<PartitionClosure> parse_progress_value(std::string_view value, std::string& why) {
  thread_local od::parser parser;
  thread_local std::string padded;
  od::document document;
  od::object object;
  if (!detail::open_json_object(parser, padded, value, document, object, why)) {
    return std::nullopt;
  }
  PartitionClosure progress;
  std::int64_t partition = -1;
  if (object["partition"].get_int64().get(partition) != simdjson::SUCCESS || partition < 0 ||
      partition > std::numeric_limits<std::int32_t>::max()) {
    why = "partition is missing or not a partition number";
    return std::nullopt;
  }
  progress.partition = static_cast<std::int32_t>(partition);
  od::value closed;
  if (object["closed_through"].get(closed) != simdjson::SUCCESS) {
    why = "closed_through is missing (a date-time, or null before the first window closed)";
    return std::nullopt;
  }
  bool is_null = false;
  if (closed.is_null().get(is_null) != simdjson::SUCCESS || !is_null) {
    if (auto reason = read_wall_time("closed_through", closed, progress.closed_through)) {
      why = std::move(*reason);
      return std::nullopt;
    }
  }
  if (object["idle"].get_bool().get(progress.idle) != simdjson::SUCCESS) {
    why = "idle is missing or not true or false";
    return std::nullopt;
  }
  return progress;
}

std::optional<std::vector<StatsEntry>> parse_share_value(std::string_view value, std::string& why) {
  // One parser and buffer per thread: a topic is read message by message.
  thread_local od::parser parser;
  thread_local std::string padded;
  const auto fail = [&](std::string reason) -> std::optional<std::vector<StatsEntry>> {
    why = std::move(reason);
    return std::nullopt;
  };
  od::document document;
  od::object object;
  if (!detail::open_json_object(parser, padded, value, document, object, why)) {
    return std::nullopt;
  }
  ShareHeader header;
  std::vector<StatsEntry> entries;
  std::array<bool, kFields> seen{};
  for (auto field_result : object) {
    od::field field;
    std::string_view key;
    if (!detail::read_field(std::move(field_result), field, key, why)) {
      return std::nullopt;
    }
    if (key == "metric") {
      return fail(std::string(kOldStatsFormat));
    }
    const auto* known = std::find(kFieldNames.begin(), kFieldNames.end(), key);
    if (known == kFieldNames.end()) {
      continue;  // a later writer may add fields; the object walk still checks their syntax
    }
    const auto slot = static_cast<Field>(known - kFieldNames.begin());
    if (seen[slot]) {
      return fail("duplicate key " + std::string(key));
    }
    seen[slot] = true;
    if (auto reason = read_field(slot, field.value(), header, entries)) {
      return fail(std::move(*reason));
    }
  }
  // One value per message: a second document after the object would otherwise pass unseen.
  std::string_view whole;
  if (document.raw_json().get(whole) != simdjson::SUCCESS ||
      whole.find_last_not_of(" \t\r\n") != value.find_last_not_of(" \t\r\n")) {
    return fail("not valid JSON: more text after the object");
  }
  if (auto reason = check_share(seen, header, entries)) {
    return fail(std::move(*reason));
  }
  for (auto& entry : entries) {
    entry.window_start = header.window_start;
    entry.window_end = header.window_end;
    entry.partition = header.partition;
    entry.final = header.final;
  }
  return entries;
}

std::string old_stats_format(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  return "the stats topic '" + topic + "' holds messages of an older sfcrimed (partition " + std::to_string(partition) +
         " offset " + std::to_string(offset) +
         ": one count per message, with \"metric\"); this one writes one message per window and "
         "partition and does not read them: give it new topics (another kafka.topic, or "
         "pipeline.stats_topic, pipeline.state_topic and pipeline.windows_topic, with another "
         "pipeline.group), or delete the old stats and state topics and count again";
}

bool StatsTotals::add(std::string_view key, std::string_view value, std::string& why) {
  // Whatever this message says, it is now the key's latest word: a value that is no share
  // removes the earlier one too, as compaction eventually will, so that the totals do not
  // depend on whether the broker has compacted yet.
  if (value.empty()) {
    forget(key);  // a tombstone
    return true;
  }
  if (is_progress_key(key)) {
    return true;  // for the windows stage: no counts in it
  }
  auto share = parse_share_value(value, why);
  if (!share) {
    forget(key);
    return false;
  }
  // Keys are what compaction keeps one of: two keys for the same share would count it twice.
  if (auto expected = share_key(share->front().window_start, share->front().partition); key != expected) {
    why = "the key " + printable(key) + " is not the value's key " + expected;
    forget(key);
    return false;
  }
  add_share(*share);
  return true;
}

void StatsTotals::add_share(std::span<const StatsEntry> share) {
  if (share.empty()) {
    return;
  }
  std::vector<std::string> keys;
  keys.reserve(share.size());
  for (const auto& entry : share) {
    keys.push_back(stats_key(entry));
  }
  std::string key = share_key(share.front().window_start, share.front().partition);
  if (const auto found = shares_.find(key); found != shares_.end()) {
    // Counts the new share no longer has are gone with the old one.
    for (const auto& old : found->second) {
      if (std::find(keys.begin(), keys.end(), old) == keys.end()) {
        forget_count(old);
      }
    }
    found->second = keys;
  } else {
    shares_.emplace(std::move(key), keys);
  }
  for (const auto& entry : share) {
    add(entry);
  }
}

void StatsTotals::add(const StatsEntry& entry) {
  std::string key = stats_key(entry);
  if (const auto found = latest_.find(key); found != latest_.end()) {
    count(found->second, -1);
    found->second = entry;
  } else {
    latest_.emplace(std::move(key), entry);
  }
  count(entry, +1);
}

void StatsTotals::forget(std::string_view key) {
  if (const auto found = shares_.find(key); found != shares_.end()) {
    for (const auto& count_key : found->second) {
      forget_count(count_key);
    }
    shares_.erase(found);
  }
}

void StatsTotals::forget_count(std::string_view key) {
  if (const auto found = latest_.find(key); found != latest_.end()) {
    count(found->second, -1);
    latest_.erase(found);
  }
}

void StatsTotals::count(const StatsEntry& entry, int sign) {
  // Adds the entry's count to `total`, or takes it back; true when the sum is back at
  // zero, which drops it: a name whose every share is gone is gone (the pipeline never
  // writes a zero count).
  const auto back_to_zero = [&](std::uint64_t& total) {
    total = sign > 0 ? total + entry.count : total - entry.count;
    return total == 0;
  };
  if (entry.metric == StatsMetric::disposition) {
    const auto code = dispositions_.try_emplace(entry.name).first;
    if (!code->second.description) {
      code->second.description = entry.description;
    }
    if (back_to_zero(code->second.count)) {
      dispositions_.erase(code);
    }
    return;
  }
  back_to_zero(calls_);
  if (const auto type = crime_types_.try_emplace(entry.name).first; back_to_zero(type->second)) {
    crime_types_.erase(type);
  }
  const auto window = windows_.try_emplace(entry.window_start).first;
  window->second.end = entry.window_end;
  auto& types = window->second.crime_types;
  if (const auto type = types.try_emplace(entry.name).first; back_to_zero(type->second)) {
    types.erase(type);
  }
  if (back_to_zero(window->second.calls)) {
    windows_.erase(window);
  }
}

std::vector<StatsTotals::WindowCount> StatsTotals::windows() const {
  std::vector<WindowCount> rows;
  for (const auto& [start, window] : windows_) {
    for (const auto& [crime_type, count] : window.crime_types) {
      rows.push_back({start, window.end, crime_type, count});
    }
  }
  return rows;
}

std::string StatsTotals::to_json(bool with_windows) const {
  std::string out = R"({"calls":)" + std::to_string(calls()) + R"(,"crime_types":{)";
  bool first = true;
  for (const auto& [name, count] : crime_types()) {
    out += first ? "" : ",";
    first = false;
    append_json_string(out, name);
    out += ':' + std::to_string(count);
  }
  out += R"(},"dispositions":{)";
  first = true;
  for (const auto& [code, disposition] : dispositions()) {
    out += first ? "" : ",";
    first = false;
    append_json_string(out, code);
    out += R"(:{"description":)";
    if (disposition.description) {
      append_json_string(out, *disposition.description);
    } else {
      out += "null";
    }
    out += R"(,"count":)" + std::to_string(disposition.count) + '}';
  }
  out += R"(},"malformed":)" + std::to_string(malformed_) + R"(,"late":)" + std::to_string(late_);
  if (with_windows) {
    out += R"(,"windows":[)";
    first = true;
    for (const auto& window : windows()) {
      out += first ? "" : ",";
      first = false;
      out += R"({"start":)";
      append_json_string(out, format_wall_time(window.start));
      out += R"(,"end":)";
      append_json_string(out, format_wall_time(window.end));
      out += R"(,"crime_type":)";
      append_json_string(out, window.crime_type);
      out += R"(,"count":)" + std::to_string(window.count) + '}';
    }
    out += ']';
  }
  out += '}';
  return out;
}

std::string StatsTotals::to_tables(std::size_t top, bool with_windows) const {
  const auto& types = crime_types_;
  const auto& codes = dispositions_;
  const auto& by_window = windows_;

  std::string out = "calls " + std::to_string(calls()) + ", malformed " + std::to_string(malformed_) + ", late " +
                    std::to_string(late_) + ", windows " + std::to_string(by_window.size()) + ", crime types " +
                    std::to_string(types.size()) + ", dispositions " + std::to_string(codes.size()) + "\n";
  // "Top 10 crime types (of 48)", or "No crime types" rather than an empty table.
  const auto heading = [&](std::string_view what, std::size_t shown, std::size_t of) {
    if (of == 0) {
      out += "\nNo " + std::string(what) + "\n";
      return false;
    }
    out += "\nTop " + std::to_string(shown) + " " + std::string(what);
    out += shown < of ? " (of " + std::to_string(of) + ")\n" : "\n";
    return true;
  };

  const auto type_rows = largest_first(types, top, [](std::uint64_t count) { return count; });
  const std::size_t type_count_width = count_width(type_rows.empty() ? 0 : type_rows.front()->second);
  if (heading("crime types", type_rows.size(), types.size())) {
    out += right_aligned("count", type_count_width) + "  crime type\n";
  }
  for (const auto& row : type_rows) {
    out += right_aligned(std::to_string(row->second), type_count_width) + "  " + row->first + "\n";
  }

  const auto code_rows = largest_first(codes, top, [](const Disposition& d) { return d.count; });
  const std::size_t code_count_width = count_width(code_rows.empty() ? 0 : code_rows.front()->second.count);
  std::size_t code_width = 4;
  for (const auto& row : code_rows) {
    code_width = std::max(code_width, row->first.size());
  }
  if (heading("dispositions", code_rows.size(), codes.size())) {
    out += right_aligned("count", code_count_width) + "  " + left_aligned("code", code_width) + "  description\n";
  }
  for (const auto& row : code_rows) {
    out += right_aligned(std::to_string(row->second.count), code_count_width) + "  " +
           left_aligned(row->first, code_width) + "  " +
           row->second.description.value_or("(not in the radio-code table)") + "\n";
  }

  if (with_windows) {
    append_window_table(out, by_window);
  }
  return out;
}

}  // namespace sfcrimed
