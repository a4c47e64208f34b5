// A libFuzzer target over the call parser; scripts/fuzz.sh builds it with clang and runs
// it under ASan and UBSan. Whatever the bytes, CallParser must decide without a crash, a
// hang or a sanitizer report, and its decision must be the one the rules of
// call_parser.hpp give when the message is read by simdjson's DOM parser, which checks
// every byte of the document (On-Demand reads only what it is asked for). A call it
// accepts must also hold what the pipeline relies on: the DOM's field values, and a time
// that parse_wall_time gives and format_wall_time writes back.
//
//   call_parser_fuzz [libFuzzer flags] CORPUS_DIR...   fuzz (scripts/fuzz.sh says how)
//   call_parser_fuzz --write-seeds DIR                 write the seed corpus into DIR

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../lib/malformed_calls.hpp"
#include "sfcrimed/call_parser.hpp"
#include "sfcrimed/record.hpp"

namespace {

using sfcrimed::test::call_json;

// The fields the rules name, as the DOM reads them.
struct Reading {
  std::string_view crime_id;
  std::string_view crime_type;
  std::string_view disposition;
  std::string_view call_date_time;
  std::string_view address;
};

// On-Demand counts the document as a level of its own and enters levels below its
// max_depth() only, so it reads one level less than the DOM parser with the same limit.
constexpr std::size_t kLevels = simdjson::DEFAULT_MAX_DEPTH - 1;

// The call the rules find in `bytes`, or nothing when they make it malformed. The views
// stay valid until the next call.
std::optional<Reading> read_with_dom(std::string_view bytes) {
  static simdjson::dom::parser parser = [] {
    simdjson::dom::parser made;
    if (made.allocate(simdjson::dom::MINIMAL_DOCUMENT_CAPACITY, kLevels) != simdjson::SUCCESS) {
      std::abort();
    }
    return made;
  }();
  simdjson::dom::object object;
  if (parser.parse(bytes.data(), bytes.size()).get(object) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  Reading reading;
  const std::array<std::pair<std::string_view, std::string_view*>, 4> required = {{
      {sfcrimed::kCallIdField, &reading.crime_id},
      {sfcrimed::kCrimeTypeField, &reading.crime_type},
      {sfcrimed::kDispositionField, &reading.disposition},
      {sfcrimed::kCallTimeField, &reading.call_date_time},
  }};
  std::array<bool, required.size()> seen{};
  for (const auto [key, value] : object) {
    std::size_t slot = 0;
    while (slot < required.size() && required[slot].first != key) {
      ++slot;
    }
    if (slot == required.size()) {
      if (key == "address" && value.is_string()) {
        reading.address = value.get_string().value_unsafe();
      }
      continue;
    }
    std::string_view text;
    if (seen[slot] || value.get_string().get(text) != simdjson::SUCCESS || text.empty()) {
      return std::nullopt;
    }
    seen[slot] = true;
    *required[slot].second = text;
  }
  for (const bool found : seen) {
    if (!found) {
      return std::nullopt;
    }
  }
  if (!sfcrimed::parse_wall_time(reading.call_date_time)) {
    return std::nullopt;
  }
  return reading;
}

// What a failed check prints before the trap (libFuzzer then saves the input).
[[noreturn]] void fail(const char* what, std::string_view bytes, const std::string& reason) {
  std::fprintf(stderr, "call_parser_fuzz: %s (parser's reason: \"%s\"; input of %zu bytes: %.*s)\n", what,
               reason.c_str(), bytes.size(), static_cast<int>(std::min<std::size_t>(bytes.size(), 300)), bytes.data());
  __builtin_trap();
}

// Whole seconds as format_wall_time writes them: the text up to the seconds, which
// become ":00" when it has none.
std::string whole_seconds(std::string_view call_date_time) {
  constexpr std::size_t kMinutes = 16;  // YYYY-MM-DDTHH:MM
  constexpr std::size_t kSeconds = 19;  // YYYY-MM-DDTHH:MM:SS
  return call_date_time.size() == kMinutes ? std::string(call_date_time) + ":00"
                                           : std::string(call_date_time.substr(0, kSeconds));
}

bool write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream file(path, std::ios::binary);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(file);
}

// Calls in the shapes the topic carries, and every kind of malformed one.
bool write_seeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::vector<std::string> calls = {
      call_json(),
      call_json({}, {},
                R"("report_date":"2018-12-31T00:00:00.000","call_date":"2018-12-31T00:00:00.000",)"
                R"("offense_date":"2018-12-31T00:00:00.000","call_time":"23:57","city":"San Francisco",)"
                R"("state":"CA","agency_id":"1","address_type":"Intersection","common_location":"")"),
      call_json("call_date_time", R"("2018-10-02T09:11")"),
      call_json("call_date_time", R"("2016-02-29T00:00:59.123456789")"),
      call_json("original_crime_type_name", R"("415\/915 \u00e9\"\\\n")"),
      call_json({}, {}, R"("extra":[1,-2.5e-3,true,false,null,{"a":[{}]},"\ud83d\ude93"])"),
      " \n" + call_json("address") + "\t\r\n",
  };
  bool written = true;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    written = write_file(dir / ("call-" + std::to_string(i)), calls[i]) && written;
  }
  for (const auto& malformed : sfcrimed::test::malformed_calls()) {
    written = write_file(dir / ("malformed-" + std::string(malformed.kind)), malformed.bytes) && written;
  }
  return written;
}

}  // namespace

// libFuzzer calls this before it reads its own flags, which leaves --write-seeds to us.
// The signature is libFuzzer's, non-const argc included.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {  // NOLINT(readability-non-const-parameter)
  const std::span<char*> args(*argv, static_cast<std::size_t>(*argc));
  for (std::size_t i = 1; i + 1 < args.size(); ++i) {
    if (std::string_view(args[i]) == "--write-seeds") {
      // The files are closed and libFuzzer has started nothing yet: nothing is left to
      // run at exit.
      std::_Exit(write_seeds(args[i + 1]) ? EXIT_SUCCESS : EXIT_FAILURE);
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One parser for every input, as a pipeline thread keeps one: what a message leaves
  // behind meets the next.
  static sfcrimed::CallParser parser;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  sfcrimed::CallView call;
  std::string reason;
  const bool accepted = parser.parse(bytes, call, reason);
  const std::optional<Reading> expected = read_with_dom(bytes);
  if (accepted != expected.has_value()) {
    fail(accepted ? "accepted a message the rules make malformed" : "refused a well-formed call", bytes, reason);
  }
  if (!accepted) {
    if (reason.empty()) {
      fail("refused a message without a reason", bytes, reason);
    }
    return 0;
  }
  if (call.crime_id != expected->crime_id || call.crime_type != expected->crime_type ||
      call.disposition != expected->disposition || call.call_date_time != expected->call_date_time ||
      call.address != expected->address) {
    fail("a field differs from the DOM's reading", bytes, reason);
  }
  if (sfcrimed::parse_wall_time(call.call_date_time) != call.time) {
    fail("time is not call_date_time's", bytes, reason);
  }
  const std::string formatted = sfcrimed::format_wall_time(call.time);
  if (formatted != whole_seconds(call.call_date_time) || sfcrimed::parse_wall_time(formatted) != call.time) {
    fail("format_wall_time does not write call_date_time back", bytes, reason);
  }
  return 0;
}
