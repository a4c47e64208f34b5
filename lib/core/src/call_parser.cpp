#include "sfcrimed/call_parser.hpp"

#include "sfcrimed/detail/json_message.hpp"

#include <array>
#include <utility>

namespace sfcrimed {
namespace {

namespace od = simdjson::ondemand;

enum Required : std::size_t { kId, kType, kDisposition, kTime, kRequired };
constexpr std::array<std::string_view, kRequired> kRequiredFields = {kCallIdField, kCrimeTypeField, kDispositionField,
                                                                     kCallTimeField};

// On-Demand keeps one entry per level it enters, for levels below its parser's
// max_depth() (simdjson's default), counting the document as level 1.
constexpr std::size_t kMaxDepth = simdjson::DEFAULT_MAX_DEPTH;
// The level of a call's field values.
constexpr std::size_t kFieldDepth = 2;

simdjson::error_code check_value(od::value value, std::size_t depth);

// The members of an object at level `depth`: every key readable, every value valid.
simdjson::error_code check_object(od::value value, std::size_t depth) {
  od::object object;
  if (auto error = value.get_object().get(object)) {
    return error;
  }
  for (auto field_result : object) {
    if (auto error = field_result.error()) {
      return error;
    }
    od::field field = field_result.value_unsafe();
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) {
      return error;
    }
    if (auto error = check_value(field.value(), depth + 1)) {
      return error;
    }
  }
  return simdjson::SUCCESS;
}

// The elements of an array at level `depth`: every one valid.
simdjson::error_code check_array(od::value value, std::size_t depth) {
  od::array array;
  if (auto error = value.get_array().get(array)) {
    return error;
  }
  for (auto element : array) {
    if (auto error = element.error()) {
      return error;
    }
    if (auto error = check_value(element.value_unsafe(), depth + 1)) {
      return error;
    }
  }
  return simdjson::SUCCESS;
}

// On-Demand checks only what it is asked to read and skips the rest by counting brackets,
// so a field the call does not use ("tru", "[1,,2]", "\\q") would pass unseen: read every
// atom of it. `depth` is the level of `value`; an array or object at kMaxDepth is refused
// before On-Demand enters it, which also bounds the recursion.
simdjson::error_code check_value(od::value value, std::size_t depth) {
  od::json_type type{};
  if (auto error = value.type().get(type)) {
    return error;
  }
  if ((type == od::json_type::object || type == od::json_type::array) && depth >= kMaxDepth) {
    return simdjson::DEPTH_ERROR;
  }
  switch (type) {
    case od::json_type::object:
      return check_object(value, depth);
    case od::json_type::array:
      return check_array(value, depth);
    case od::json_type::string:
      return value.get_string().error();
    case od::json_type::number:
      return value.get_number().error();
    // A misspelt atom ("tru", "nul") reads as a value of the wrong type: name the atom.
    case od::json_type::boolean:
      if (value.get_bool().error() != simdjson::SUCCESS) {
        return value.raw_json_token().front() == 't' ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR;
      }
      return simdjson::SUCCESS;
    case od::json_type::null: {
      bool is_null = false;
      return value.is_null().get(is_null) == simdjson::SUCCESS && is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

// The slot of `key` among the required fields; kRequired for any other key.
std::size_t required_slot(std::string_view key) {
  std::size_t slot = kRequired;
  for (std::size_t i = 0; i < kRequired; ++i) {
    if (key == kRequiredFields[i]) {
      slot = i;
    }
  }
  return slot;
}

// Reads a field that is not a required one. Unknown fields are fine when they are valid
// JSON; an address that is not a string is one of them.
simdjson::error_code read_other_field(od::field& field, std::string_view key, std::string_view& address) {
  od::json_type type{};
  const bool is_address =
      key == "address" && field.value().type().get(type) == simdjson::SUCCESS && type == od::json_type::string;
  return is_address ? field.value().get_string().get(address) : check_value(field.value(), kFieldDepth);
}

// The required fields of one call, as they are found.
struct RequiredFields {
  std::array<std::string_view, kRequired> found{};
  std::array<bool, kRequired> seen{};

  // Reads `field`, the one for `slot`; false and `reason` set when it is a second one,
  // not a string or empty.
  bool read(od::field& field, std::string_view key, std::size_t slot, std::string& reason) {
    if (seen[slot]) {
      reason = "duplicate key " + std::string(key);
      return false;
    }
    seen[slot] = true;
    if (auto error = field.value().get_string().get(found[slot])) {
      reason = error == simdjson::INCORRECT_TYPE ? std::string(key) + " is not a string"
                                                 : std::string("not valid JSON: ") + simdjson::error_message(error);
      return false;
    }
    if (found[slot].empty()) {
      reason = std::string(key) + " is empty";
      return false;
    }
    return true;
  }

  // False and `reason` set when one of them was not there.
  bool all_seen(std::string& reason) const {
    for (std::size_t i = 0; i < kRequired; ++i) {
      if (!seen[i]) {
        reason = std::string(kRequiredFields[i]) + " is missing";
        return false;
      }
    }
    return true;
  }
};

// One value per message: only whitespace may follow the object (a second document after
// it would otherwise pass unseen). The document's text runs from the object's first byte
// (whitespace before it is fine) to the next token, if there is one; `padded` is the
// buffer the document was parsed from, `bytes` the message.
bool nothing_after(od::document& document, std::string_view bytes, const char* padded) {
  std::string_view whole;
  return document.raw_json().get(whole) == simdjson::SUCCESS &&
         bytes.find_first_not_of(" \t\r\n", static_cast<std::size_t>(whole.data() - padded) + whole.size()) ==
             std::string_view::npos;
}

}  // namespace

bool CallParser::parse(std::string_view bytes, CallView& call, std::string& reason) {
  const auto fail = [&](std::string why) {
    reason = std::move(why);
    return false;
  };
  od::document document;
  od::object object;
  if (!detail::open_json_object(parser_, padded_, bytes, document, object, reason)) {
    return false;
  }
  RequiredFields required;
  call.address = {};
  for (auto field_result : object) {
    od::field field;
    std::string_view key;
    if (!detail::read_field(std::move(field_result), field, key, reason)) {
      return false;
    }
    const std::size_t slot = required_slot(key);
    if (slot == kRequired) {
      if (auto error = read_other_field(field, key, call.address)) {
        return fail(std::string("not valid JSON: ") + simdjson::error_message(error));
      }
    } else if (!required.read(field, key, slot, reason)) {
      return false;
    }
  }
  if (!nothing_after(document, bytes, padded_.data())) {
    return fail("not valid JSON: more text after the object");
  }
  if (!required.all_seen(reason)) {
    return false;
  }
  const auto& found = required.found;
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
