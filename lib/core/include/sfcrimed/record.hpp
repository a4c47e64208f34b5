#pragma once
// The one record schema of the SF police calls-for-service data: 14 string fields per
// call, as DataSF publishes them. The reader, the sample generator, the pipeline and the
// tests all take the field names and the date-time rules from here.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sfcrimed {

// The fields, in the order the published file has them.
inline constexpr std::array<std::string_view, 14> kCallFields = {"crime_id",       "original_crime_type_name",
                                                                 "report_date",    "call_date",
                                                                 "offense_date",   "call_time",
                                                                 "call_date_time", "disposition",
                                                                 "address",        "city",
                                                                 "state",          "agency_id",
                                                                 "address_type",   "common_location"};

// The key of a call (its Kafka message key, and what duplicates share).
inline constexpr std::string_view kCallIdField = "crime_id";
// When the call came in: local San Francisco wall-clock time, no offset.
inline constexpr std::string_view kCallTimeField = "call_date_time";
inline constexpr std::string_view kCrimeTypeField = "original_crime_type_name";
inline constexpr std::string_view kDispositionField = "disposition";

// Seconds since 1970-01-01T00:00:00 of a wall-clock date-time, taken as written (no time
// zone is applied, so an hour boundary in the data is an hour boundary here).
using WallSeconds = std::int64_t;

// Parses `YYYY-MM-DDTHH:MM[:SS[.fff]]` (the fraction has 1 to 9 digits and is dropped);
// nothing when the text is not such a date-time or names no real instant of the
// calendar (2018-02-30, 24:00, 12:60).
std::optional<WallSeconds> parse_wall_time(std::string_view text);

// `YYYY-MM-DDTHH:MM:SS`, the inverse of parse_wall_time for whole seconds.
std::string format_wall_time(WallSeconds seconds);

}  // namespace sfcrimed
