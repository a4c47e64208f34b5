#include "sfcrimed/live_view.hpp"

#include <cmath>
#include <map>

#include "sfcrimed/detail/format.hpp"
#include "sfcrimed/json.hpp"

namespace sfcrimed {
namespace {

std::string number(double value, const char* pattern = "%.1f") {
  return std::isfinite(value) ? detail::format(pattern, value) : "null";
}

std::string milliseconds(const std::optional<double>& seconds) {
  return seconds ? number(*seconds * 1000, "%.2f") : "null";
}

// [{"name":"...","count":N},...], the largest `top` of `counts`.
template <typename Map>
void append_largest(std::string& out, const Map& counts, std::size_t top) {
  out += '[';
  for (const auto& row : largest_first(counts, top, [](std::uint64_t count) { return count; })) {
    out += out.back() == '[' ? R"({"name":)" : R"(,{"name":)";
    append_json_string(out, row->first);
    out += R"(,"count":)" + std::to_string(row->second) + '}';
  }
  out += ']';
}

using Windows = std::map<WallSeconds, StatsTotals::Window>;

// {"input_rate":...,"partitions":[{"partition":0,"owner":1,"member":"host-a.1","lag":0},...]}
// or null; "owner" is the thread here, "member" the group's owner, here or elsewhere.
void append_pipeline(std::string& out, const std::optional<PipelineProgress>& pipeline) {
  if (!pipeline) {
    out += "null";
    return;
  }
  const auto& p = *pipeline;
  out += R"({"input_rate":)" + number(p.input_rate) + R"(,"processed_rate":)" + number(p.processed_rate) +
         R"(,"lag":)" + std::to_string(p.lag) + R"(,"latency_ms":{"p50":)" + milliseconds(p.latency_p50) +
         R"(,"p99":)" + milliseconds(p.latency_p99) + R"(},"open_windows":)" + std::to_string(p.open_windows) +
         R"(,"consumed":)" + std::to_string(p.consumed) + R"(,"malformed":)" + std::to_string(p.malformed) +
         R"(,"duplicates":)" + std::to_string(p.duplicates) + R"(,"late":)" + std::to_string(p.late) +
         R"(,"partitions":[)";
  for (const auto& partition : p.partitions) {
    out += std::string(&partition == p.partitions.data() ? "" : ",") + R"({"partition":)" +
           std::to_string(partition.partition) + R"(,"owner":)" +
           (partition.owner ? std::to_string(*partition.owner) : "null") + R"(,"member":)" +
           (partition.member.empty() ? "null" : json_string(partition.member)) + R"(,"lag":)" +
           std::to_string(partition.lag) + '}';
  }
  out += "]}";
}

// [{"code":"...","description":"..."|null,"count":N},...], all of them, largest first.
void append_dispositions(std::string& out, const std::map<std::string, StatsTotals::Disposition, std::less<>>& all) {
  out += '[';
  for (const auto& row : largest_first(all, 0, [](const StatsTotals::Disposition& d) { return d.count; })) {
    out += out.back() == '[' ? R"({"code":)" : R"(,{"code":)";
    append_json_string(out, row->first);
    out += R"(,"description":)";
    if (row->second.description) {
      append_json_string(out, *row->second.description);
    } else {
      out += "null";
    }
    out += R"(,"count":)" + std::to_string(row->second.count) + '}';
  }
  out += ']';
}

// The current window: the latest with calls (the replay's event time runs ahead of the
// others only by the allowed lateness), or null.
void append_current_window(std::string& out, const Windows& windows, std::size_t top) {
  if (windows.empty()) {
    out += "null";
    return;
  }
  const auto& [start, window] = *windows.rbegin();
  out += R"({"start":)" + json_string(format_wall_time(start)) + R"(,"end":)" +
         json_string(format_wall_time(window.end)) + R"(,"calls":)" + std::to_string(window.calls) +
         R"(,"crime_types":)";
  append_largest(out, window.crime_types, top);
  out += '}';
}

// {"start":[epoch s,...],"calls":[N,...]}
void append_windows(std::string& out, const Windows& windows) {
  std::string starts;
  std::string calls;
  for (const auto& [start, window] : windows) {
    starts += (starts.empty() ? "" : ",") + std::to_string(start);
    calls += (calls.empty() ? "" : ",") + std::to_string(window.calls);
  }
  out += R"({"start":[)" + starts + R"(],"calls":[)" + calls + "]}";
}

// {"names":["...",...],"counts":[[N,...],...]}: the `trend` largest crime types, and
// their counts in every window.
void append_trend(std::string& out, const std::map<std::string, std::uint64_t, std::less<>>& crime_types,
                  const Windows& windows, std::size_t trend) {
  out += R"({"names":[)";
  std::string counts;
  for (const auto& type : largest_first(crime_types, trend, [](std::uint64_t count) { return count; })) {
    out += out.back() == '[' ? "" : ",";
    append_json_string(out, type->first);
    counts += counts.empty() ? "[" : ",[";
    bool first = true;
    for (const auto& [start, window] : windows) {
      const auto found = window.crime_types.find(type->first);
      counts += (first ? "" : ",") + std::to_string(found == window.crime_types.end() ? 0 : found->second);
      first = false;
    }
    counts += ']';
  }
  out += R"(],"counts":[)" + counts + "]}";
}

}  // namespace

LiveView::LiveView(std::size_t top, std::size_t trend) : top_(top), trend_(trend) {}

void LiveView::start_from(StatsTotals totals) {
  const std::lock_guard lock(mutex_);
  totals_ = std::move(totals);
}

void LiveView::add(const std::vector<StatsEntry>& entries) {
  const std::lock_guard lock(mutex_);
  for_each_share(entries, [&](std::span<const StatsEntry> share) { totals_.add_share(share); });
}

std::string LiveView::stats_json(std::uint64_t malformed_since_start, std::uint64_t late_since_start) const {
  const std::lock_guard lock(mutex_);
  StatsTotals totals = totals_;
  totals.set_malformed(totals_.malformed() + malformed_since_start);
  totals.set_late(totals_.late() + late_since_start);
  return totals.to_json(false);
}

std::string LiveView::live_json(const LiveFigures& figures) const {
  std::string out = R"({"status":)";
  append_json_string(out, figures.status);
  out += R"(,"ingest":)";
  out += figures.ingest
             ? R"({"rate":)" + number(figures.ingest_rate) + R"(,"acked":)" + std::to_string(figures.ingested) + '}'
             : "null";
  out += R"(,"pipeline":)";
  append_pipeline(out, figures.pipeline);

  const std::lock_guard lock(mutex_);
  const std::uint64_t malformed = totals_.malformed() + (figures.pipeline ? figures.pipeline->malformed : 0);
  const std::uint64_t late = totals_.late() + (figures.pipeline ? figures.pipeline->late : 0);
  out += R"(,"calls":)" + std::to_string(totals_.calls()) + R"(,"malformed":)" + std::to_string(malformed) +
         R"(,"late":)" + std::to_string(late) + R"(,"crime_type_count":)" +
         std::to_string(totals_.crime_types().size()) + R"(,"crime_types":)";
  append_largest(out, totals_.crime_types(), top_);
  out += R"(,"dispositions":)";
  append_dispositions(out, totals_.dispositions());
  const auto& windows = totals_.by_window();
  out += R"(,"current_window":)";
  append_current_window(out, windows, top_);
  out += R"(,"windows":)";
  append_windows(out, windows);
  out += R"(,"trend":)";
  append_trend(out, totals_.crime_types(), windows, trend_);
  out += '}';
  return out;
}

}  // namespace sfcrimed
