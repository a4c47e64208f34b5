#include "sfcrimed/sample.hpp"

#include <bzlib.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "sfcrimed/record.hpp"

namespace sfcrimed {
namespace {

// std::mt19937_64's output is fixed by the standard; the standard distributions are not,
// so the picks below use their own arithmetic and the sample is the same everywhere.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t below(std::uint64_t bound) { return engine_() % bound; }
  template <std::size_t N>
  std::string_view pick(const std::array<std::pair<std::string_view, unsigned>, N>& weighted) {
    unsigned total = 0;
    for (const auto& entry : weighted) {
      total += entry.second;
    }
    auto roll = static_cast<unsigned>(below(total));
    for (const auto& entry : weighted) {
      if (roll < entry.second) {
        return entry.first;
      }
      roll -= entry.second;
    }
    return weighted.back().first;
  }
  template <std::size_t N>
  std::string_view pick(const std::array<std::string_view, N>& items) {
    return items[below(N)];
  }

 private:
  std::mt19937_64 engine_;
};

// Frequent call types, weighted roughly as they come in (per 1,000 calls); the rest are
// a long tail of radio codes, as free-text dispatch makes them.
constexpr std::array<std::pair<std::string_view, unsigned>, 30> kCrimeTypes = {{{"Passing Call", 160},
                                                                                {"Traffic Stop", 110},
                                                                                {"Suspicious Person", 45},
                                                                                {"Well Being Check", 40},
                                                                                {"Homeless Complaint", 38},
                                                                                {"Audible Alarm", 36},
                                                                                {"Suspicious Vehicle", 32},
                                                                                {"Noise Nuisance", 28},
                                                                                {"Meet W/citizen", 25},
                                                                                {"Trespasser", 22},
                                                                                {"Fight No Weapon", 20},
                                                                                {"Auto Boost / Strip", 20},
                                                                                {"Muni Inspection", 18},
                                                                                {"Petty Theft", 16},
                                                                                {"Person Screaming", 14},
                                                                                {"Mentally Disturbed", 14},
                                                                                {"Traf Violation Cite", 13},
                                                                                {"Complaint Unkn", 12},
                                                                                {"Fire", 10},
                                                                                {"Assault / Battery", 10},
                                                                                {"Burglary", 9},
                                                                                {"Vandalism", 9},
                                                                                {"Drugs", 8},
                                                                                {"Aggressive Panhandling", 7},
                                                                                {"Stolen Vehicle", 7},
                                                                                {"Shoplifting", 6},
                                                                                {"Threats / Harassment", 6},
                                                                                {"415", 5},
                                                                                {"22500e", 5},
                                                                                {"Fireworks", 4}}};
constexpr unsigned kLongTailPerMille = 95;

// Disposition codes as dispatch records them; "Not recorded" and a few others have no
// entry in the radio-code table, as in the published data.
constexpr std::array<std::pair<std::string_view, unsigned>, 24> kDispositions = {
    {{"HAN", 300}, {"ADV", 110}, {"Not recorded", 96}, {"GOA", 95}, {"CIT", 70}, {"ND", 55},  {"NCR", 50}, {"UTL", 45},
     {"REP", 40},  {"ARR", 25},  {"CAN", 22},          {"ADM", 20}, {"22", 12},  {"ABA", 10}, {"CSA", 8},  {"CRM", 6},
     {"SFD", 6},   {"VAS", 5},   {"PAS", 4},           {"NOM", 3},  {"ENT", 3},  {"INC", 2},  {"DUP", 2},  {"TOW", 1}}};

constexpr std::array<std::string_view, 40> kStreets = {
    "Market St",     "Mission St",  "Geary Bl",  "Van Ness Av", "Valencia St", "Folsom St",   "Howard St",
    "Polk St",       "Larkin St",   "Hyde St",   "Eddy St",     "Ellis St",    "Turk St",     "Golden Gate Av",
    "Divisadero St", "Fillmore St", "Haight St", "Castro St",   "Church St",   "Guerrero St", "Dolores St",
    "16th St",       "24th St",     "3rd St",    "4th St",      "5th St",      "6th St",      "Broadway",
    "Columbus Av",   "Stockton St", "Powell St", "Kearny St",   "Bush St",     "Sutter St",   "Post St",
    "Lombard St",    "Irving St",   "Judah St",  "Taraval St",  "Ocean Av"};

constexpr std::array<std::string_view, 8> kCommonLocations = {
    "Union Square, Sf",         "Civic Center Plaza, Sf", "Dolores Park, Sf",   "Embarcadero Station, Sf",
    "16th St Bart Station, Sf", "Golden Gate Park, Sf",   "Ferry Building, Sf", "Powell St Bart Station, Sf"};

// How calls spread over the hours of a day (relative), quiet at night, busy afternoons.
constexpr std::array<unsigned, 24> kHourWeights = {40, 32, 26, 20, 16, 16, 22, 34, 48, 56, 60, 62,
                                                   64, 66, 68, 70, 72, 72, 70, 66, 60, 56, 52, 46};

// The published file's span: 90 days up to the last minute of 2018-12-31.
constexpr WallSeconds kSpanEnd = 1546300740;  // 2018-12-31T23:59:00
constexpr WallSeconds kSpanDays = 90;

struct SampleCall {
  WallSeconds time = 0;
  std::string crime_id;
  std::string crime_type;
  std::string_view disposition;
  std::string address;
  std::string_view address_type;
  std::string_view city;
  std::string_view common_location;
};

std::string crime_type(Random& random) {
  if (random.below(1000) < kLongTailPerMille) {
    // A radio code: three digits, sometimes with a letter or a slash code after it.
    std::string code = std::to_string(100 + random.below(900));
    switch (random.below(4)) {
      case 0:
        code += static_cast<char>('a' + random.below(26));
        break;
      case 1:
        code += "/" + std::to_string(100 + random.below(900));
        break;
      default:
        break;
    }
    return code;
  }
  return std::string(random.pick(kCrimeTypes));
}

WallSeconds call_time(Random& random) {
  unsigned total = 0;
  for (const unsigned weight : kHourWeights) {
    total += weight;
  }
  auto roll = static_cast<unsigned>(random.below(total));
  WallSeconds hour = 0;
  while (roll >= kHourWeights[static_cast<std::size_t>(hour)]) {
    roll -= kHourWeights[static_cast<std::size_t>(hour)];
    ++hour;
  }
  const WallSeconds first_day = kSpanEnd - kSpanEnd % 86400 - (kSpanDays - 1) * 86400;
  const auto day = static_cast<WallSeconds>(random.below(kSpanDays));
  return first_day + day * 86400 + hour * 3600 + static_cast<WallSeconds>(random.below(60)) * 60;
}

SampleCall make_call(Random& random) {
  SampleCall call;
  call.time = call_time(random);
  const auto where = random.below(100);
  if (where < 55) {
    call.address = std::to_string((1 + random.below(30)) * 100) + " Block Of " + std::string(random.pick(kStreets));
    call.address_type = "Premise Address";
  } else if (where < 93) {
    call.address = std::string(random.pick(kStreets)) + "/" + std::string(random.pick(kStreets));
    call.address_type = "Intersection";
  } else {
    call.address = std::string(random.pick(kStreets));
    call.address_type = random.below(2) == 0 ? "Common Location" : "Geo-Override";
  }
  call.common_location = random.below(100) < 12 ? random.pick(kCommonLocations) : std::string_view();
  const auto city_roll = random.below(1000);
  call.city = city_roll < 21 ? "" : city_roll < 24 ? "Treasure Isla" : "San Francisco";
  call.crime_type = crime_type(random);
  call.disposition = random.pick(kDispositions);
  return call;
}

// The record pretty-printed as in the published file (4-space indentation), its fields
// named and ordered by the schema.
std::string render(const SampleCall& call) {
  const std::string stamp = format_wall_time(call.time);  // YYYY-MM-DDTHH:MM:SS
  const std::string midnight = stamp.substr(0, 10) + "T00:00:00.000";
  const std::array<std::string, kCallFields.size()> values = {call.crime_id,
                                                              call.crime_type,
                                                              midnight,
                                                              midnight,
                                                              midnight,
                                                              stamp.substr(11, 5),
                                                              stamp + ".000",
                                                              std::string(call.disposition),
                                                              call.address,
                                                              std::string(call.city),
                                                              "CA",
                                                              "1",
                                                              std::string(call.address_type),
                                                              std::string(call.common_location)};
  std::string out = "    {\n";
  for (std::size_t i = 0; i < kCallFields.size(); ++i) {
    out += "        \"";
    out += kCallFields[i];
    out += "\": \"";
    out += values[i];
    out += i + 1 < kCallFields.size() ? "\",\n" : "\"\n";
  }
  out += "    }";
  return out;
}

// Ids in the published style: "18", the day of the year, then the call's number within
// that day, counted from the day's first call.
void assign_ids(std::vector<SampleCall>& newest_first) {
  WallSeconds day = -1;
  std::size_t number = 0;
  for (std::size_t i = newest_first.size(); i-- > 0;) {  // oldest first
    SampleCall& call = newest_first[i];
    const WallSeconds call_day = call.time / 86400;
    number = call_day == day ? number + 1 : 0;
    day = call_day;
    const auto day_of_year = (call.time - 1514764800) / 86400 + 1;  // from 2018-01-01
    char id[24];
    std::snprintf(id, sizeof id, "18%03lld%04zu", static_cast<long long>(day_of_year), number);
    call.crime_id = id;
  }
}

// The record on one line, for JSON lines: the pretty-printed text with its line breaks
// and indentation taken out (no value contains a line break).
std::string one_line(const std::string& pretty) {
  std::string line;
  line.reserve(pretty.size());
  bool in_indent = true;
  for (const char c : pretty) {
    if (c == '\n') {
      in_indent = true;
    } else if (c != ' ' || !in_indent) {
      in_indent = false;
      line += c;
    }
  }
  return line;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

[[noreturn]] void fail_write(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": cannot write the sample: " + what);
}

}  // namespace

std::size_t sample_duplicates(std::size_t records) {
  return records < 100 ? 0 : std::max<std::size_t>(1, records / 50000);
}

std::string make_sample(const SampleOptions& options, bool json_lines) {
  Random random(options.seed);
  const std::size_t copies = sample_duplicates(options.records);
  const std::size_t unique = options.records - copies;
  std::vector<SampleCall> calls;
  calls.reserve(options.records);
  for (std::size_t i = 0; i < unique; ++i) {
    calls.push_back(make_call(random));
  }
  // Newest first, as published; ids follow from the day and the order within it.
  std::stable_sort(calls.begin(), calls.end(),
                   [](const SampleCall& a, const SampleCall& b) { return a.time > b.time; });
  assign_ids(calls);
  // The second copy of a record sits right after it, so the times still never increase.
  std::vector<std::size_t> copied;
  for (std::size_t c = 0; c < copies; ++c) {
    copied.push_back(random.below(unique));
  }
  std::sort(copied.begin(), copied.end());

  std::string out;
  out.reserve(options.records * 560);
  if (!json_lines) {
    out += "[\n";
  }
  std::size_t next_copy = 0;
  std::size_t written = 0;
  const auto emit = [&](const std::string& pretty) {
    if (json_lines) {
      out += one_line(pretty);
      out += '\n';
    } else {
      out += written == 0 ? "" : ",\n";
      out += pretty;
    }
    ++written;
  };
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::string pretty = render(calls[i]);
    emit(pretty);
    while (next_copy < copied.size() && copied[next_copy] == i) {
      emit(pretty);
      ++next_copy;
    }
  }
  if (!json_lines) {
    out += "\n]\n";
  }
  return out;
}

void write_sample(const std::string& path, const SampleOptions& options) {
  std::string_view name = path;
  const bool gzip = ends_with(name, ".gz");
  const bool bzip2 = ends_with(name, ".bz2");
  if (gzip || bzip2) {
    name.remove_suffix(gzip ? 3 : 4);
  }
  const bool json_lines = ends_with(name, ".jsonl") || ends_with(name, ".ndjson");
  const std::string text = make_sample(options, json_lines);

  if (gzip) {
    gzFile gz = gzopen(path.c_str(), "wb6");
    if (gz == nullptr) {
      fail_write(path, std::generic_category().message(errno));
    }
    const int wrote = gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
    if (gzclose(gz) != Z_OK || wrote != static_cast<int>(text.size())) {
      fail_write(path, "gzip error");
    }
    return;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) {
    fail_write(path, std::generic_category().message(errno));
  }
  if (bzip2) {
    int error = BZ_OK;
    BZFILE* bz = BZ2_bzWriteOpen(&error, file.get(), 9, 0, 0);
    if (error == BZ_OK) {
      BZ2_bzWrite(&error, bz, const_cast<char*>(text.data()), static_cast<int>(text.size()));
    }
    int close_error = BZ_OK;
    BZ2_bzWriteClose(&close_error, bz, 0, nullptr, nullptr);
    if (error != BZ_OK || close_error != BZ_OK) {
      fail_write(path, "bzip2 error " + std::to_string(error));
    }
  } else if (std::fwrite(text.data(), 1, text.size(), file.get()) != text.size()) {
    fail_write(path, std::generic_category().message(errno));
  }
  if (std::fflush(file.get()) != 0) {
    fail_write(path, std::generic_category().message(errno));
  }
}

}  // namespace sfcrimed
