// pipeline_cpu_bench: a pipeline thread's own work per record, without Kafka: each call of
// FILE, as the ingest sends it (compact JSON), parsed and counted into its partition's
// windows, the shares of the windows it closes serialised, and every partition's state
// snapshot taken every SNAPSHOT_EVERY records (a commit's). Prints the records per second
// of CPU time, best and median of RUNS, so that a change to that work is measured apart
// from the broker (scripts/bench/pipeline.sh runs it beside the drain).
//
//   pipeline_cpu_bench FILE [RUNS] [PARTITIONS] [SNAPSHOT_EVERY]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "sfcrimed/call_file.hpp"
#include "sfcrimed/pipeline/record_handler.hpp"
#include "sfcrimed/radio_codes.hpp"
#include "sfcrimed/stats_topic.hpp"
#include "sfcrimed/window_state.hpp"

namespace {

struct Message {
  std::size_t partition = 0;
  std::string value;
};

std::vector<Message> messages_of(const sfcrimed::CallFile& file, std::size_t partitions) {
  std::vector<Message> messages;
  messages.reserve(file.calls().size());
  for (const auto& call : file.calls()) {
    Message message{std::hash<std::string>{}(call.crime_id) % partitions, {}};
    sfcrimed::compact_json(call.json, message.value);
    messages.push_back(std::move(message));
  }
  return messages;
}

struct RunResult {
  double cpu_seconds = 0;
  std::size_t shares = 0;
  std::size_t share_bytes = 0;
  std::size_t snapshot_bytes = 0;
};

// One pass over the messages, as one thread owning every partition would make it.
RunResult run_once(const std::vector<Message>& messages, std::size_t partitions, std::size_t snapshot_every,
                   const sfcrimed::RadioCodes& codes) {
  using sfcrimed::PartitionWindows;
  std::vector<PartitionWindows> states;
  for (std::size_t p = 0; p < partitions; ++p) {
    states.emplace_back(static_cast<std::int32_t>(p), sfcrimed::WindowSpec{});
  }
  sfcrimed::detail::RecordHandler handler;
  RunResult result;
  const auto emit = [&](PartitionWindows& state, PartitionWindows::OpenWindows open) {
    const auto entries = state.take_emissions(open, codes);
    sfcrimed::for_each_share(entries, [&](std::span<const sfcrimed::StatsEntry> share) {
      result.share_bytes += sfcrimed::share_value(share).size();
      ++result.shares;
    });
  };
  const std::clock_t start = std::clock();
  std::size_t handled = 0;
  for (const auto& message : messages) {
    PartitionWindows& state = states[message.partition];
    const auto closed_before = state.closed_through();
    handler.handle(message.value, state);
    if (state.closed_through() != closed_before) {
      emit(state, PartitionWindows::OpenWindows::none);
    }
    if (++handled % snapshot_every == 0) {
      for (const auto& each : states) {
        result.snapshot_bytes += each.snapshot().size();
      }
    }
  }
  for (auto& state : states) {
    emit(state, PartitionWindows::OpenWindows::all);
  }
  result.cpu_seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pipeline_cpu_bench FILE [RUNS] [PARTITIONS] [SNAPSHOT_EVERY]\n");
    return 64;
  }
  // Each at least 1.
  const int runs = std::max(1, argc > 2 ? std::atoi(argv[2]) : 5);
  const auto partitions = static_cast<std::size_t>(std::max(1, argc > 3 ? std::atoi(argv[3]) : 5));
  const auto snapshot_every = static_cast<std::size_t>(std::max(1, argc > 4 ? std::atoi(argv[4]) : 100000));
  const auto file = sfcrimed::CallFile::load(argv[1], sfcrimed::ReplayOrder::event_time, sfcrimed::OnBadRecord::skip);
  const auto messages = messages_of(file, partitions);
  const auto codes = sfcrimed::RadioCodes::builtin();
  std::vector<double> seconds;
  RunResult last;
  for (int run = 0; run < runs; ++run) {
    last = run_once(messages, partitions, snapshot_every, codes);
    seconds.push_back(last.cpu_seconds);
  }
  std::sort(seconds.begin(), seconds.end());
  const auto rate = [&](double s) { return static_cast<double>(messages.size()) / s; };
  std::printf(
      "{\"records\":%zu,\"runs\":%zu,\"best_records_per_cpu_second\":%.0f,\"median_records_per_cpu_second\":%.0f,"
      "\"shares\":%zu,\"share_bytes\":%zu,\"snapshot_bytes\":%zu}\n",
      messages.size(), seconds.size(), rate(seconds.front()), rate(seconds[seconds.size() / 2]), last.shares,
      last.share_bytes, last.snapshot_bytes);
  return 0;
}
