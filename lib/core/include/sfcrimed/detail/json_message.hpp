#pragma once
// Opening one Kafka message as a JSON object with simdjson On-Demand, for the parsers of
// calls and of stats entries: Kafka hands out unpadded bytes, so the message is copied
// once into `padded` with simdjson's padding, then iterated in place.

#include <simdjson.h>

#include <string>
#include <string_view>

namespace sfcrimed::detail {

// True with `object` open on the message; false with `why` ("the value is empty", "not a
// JSON object", "not valid JSON: ...") when it is not a JSON object. `padded` must outlive
// the document.
inline bool open_json_object(simdjson::ondemand::parser& parser, std::string& padded, std::string_view bytes,
                             simdjson::ondemand::document& document, simdjson::ondemand::object& object,
                             std::string& why) {
  if (bytes.empty()) {
    why = "the value is empty";
    return false;
  }
  padded.reserve(bytes.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(bytes);
  if (auto error = parser.iterate(padded.data(), padded.size(), padded.capacity()).get(document)) {
    why = std::string("not valid JSON: ") + simdjson::error_message(error);
    return false;
  }
  if (auto error = document.get_object().get(object)) {
    why = error == simdjson::INCORRECT_TYPE ? "not a JSON object"
                                            : std::string("not valid JSON: ") + simdjson::error_message(error);
    return false;
  }
  return true;
}

// The next field of an object being iterated, and its key; false with `why` when the
// object's text is not valid JSON there.
inline bool read_field(simdjson::simdjson_result<simdjson::ondemand::field> next, simdjson::ondemand::field& field,
                       std::string_view& key, std::string& why) {
  if (auto error = next.error()) {
    why = std::string("not valid JSON: ") + simdjson::error_message(error);
    return false;
  }
  field = std::move(next).value_unsafe();
  if (auto error = field.unescaped_key().get(key)) {
    why = std::string("not valid JSON: ") + simdjson::error_message(error);
    return false;
  }
  return true;
}

}  // namespace sfcrimed::detail
