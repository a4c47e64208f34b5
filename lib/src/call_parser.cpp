#include "sfcrimed/call_parser.hpp"

#include <array>
#include <utility>

namespace sfcrimed {
namespace {

namespace od = simdjson::ondemand;

enum Required : std::size_t { kId, kType, kDisposition, kTime, kRequired };
constexpr std::array<std::string_view, kRequired> kRequiredFields = {kCallIdField, kCrimeTypeField, kDispositionField,
                                                                     kCallTimeField};

}  // namespace

bool CallParser::parse(std::string_view bytes, CallView& call, std::string& reason) {
  // Kafka hands out unpadded bytes: one copy into a buffer with simdjson's padding.
  padded_.reserve(bytes.size() + simdjson::SIMDJSON_PADDING);
  padded_.assign(bytes);
  const auto fail = [&](std::string why) {
    reason = std::move(why);
    return false;
  };
  if (bytes.empty()) {
    return fail("the value is empty");
  }
  od::document document;
  od::object object;
  if (auto error = parser_.iterate(padded_.data(), padded_.size(), padded_.capacity()).get(document)) {
    return fail(std::string("not valid JSON: ") + simdjson::error_message(error));
  }
  if (auto error = document.get_object().get(object)) {
    return fail(error == simdjson::INCORRECT_TYPE ? "not a JSON object"
                                                  : std::string("not valid JSON: ") + simdjson::error_message(error));
  }
  std::array<std::string_view, kRequired> found{};
  std::array<bool, kRequired> seen{};
  call.address = {};
  for (auto field_result : object) {
    if (auto error = field_result.error()) {
      return fail(std::string("not valid JSON: ") + simdjson::error_message(error));
    }
    od::field field = field_result.value_unsafe();
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) {
      return fail(std::string("not valid JSON: ") + simdjson::error_message(error));
    }
    std::size_t slot = kRequired;
    for (std::size_t i = 0; i < kRequired; ++i) {
      if (key == kRequiredFields[i]) {
        slot = i;
      }
    }
    if (slot == kRequired) {
      if (key == "address") {
        std::string_view address;
        if (field.value().get_string().get(address) == simdjson::SUCCESS) {
          call.address = address;
        }
      }
      continue;  // unknown fields are fine; the object walk still checks their syntax
    }
    if (seen[slot]) {
      return fail("duplicate key " + std::string(key));
    }
    seen[slot] = true;
    if (field.value().get_string().get(found[slot]) != simdjson::SUCCESS) {
      return fail(std::string(key) + " is not a string");
    }
    if (found[slot].empty()) {
      return fail(std::string(key) + " is empty");
    }
  }
  // One value per message: the document's text must end where the object does (a second
  // document after it would otherwise pass unseen).
  std::string_view whole;
  if (document.raw_json().get(whole) != simdjson::SUCCESS ||
      whole.find_last_not_of(" \t\r\n") != bytes.find_last_not_of(" \t\r\n")) {
    return fail("not valid JSON: more text after the object");
  }
  for (std::size_t i = 0; i < kRequired; ++i) {
    if (!seen[i]) {
      return fail(std::string(kRequiredFields[i]) + " is missing");
    }
  }
  const auto time = parse_wall_time(found[kTime]);
  if (!time) {
    return fail("call_date_time \"" + std::string(found[kTime]) + "\" is not a date-time");
  }
  call.crime_id = found[kId];
  call.crime_type = found[kType];
  call.disposition = found[kDisposition];
  call.call_date_time = found[kTime];
  call.time = *time;
  return true;
}

}  // namespace sfcrimed
