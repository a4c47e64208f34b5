#pragma once
// Parses one call as it travels in a Kafka message (compact JSON, any field order) and
// decides whether it is well-formed: a JSON object with non-empty string crime_id,
// original_crime_type_name, disposition and call_date_time, the last a real date-time.
// Unknown extra fields are fine, but they too must be valid JSON. Errors are values: a
// reason, never an exception.

#include <simdjson.h>

#include <string>
#include <string_view>

#include "sfcrimed/record.hpp"

namespace sfcrimed {

// The fields of a parsed call; the views stay valid until the parser's next parse().
struct CallView {
  std::string_view crime_id;
  std::string_view crime_type;
  std::string_view disposition;
  std::string_view call_date_time;
  std::string_view address;  // empty when absent
  WallSeconds time = 0;
};

class CallParser {
 public:
  // True and `call` filled when `bytes` is a well-formed call; false and `reason` set
  // (e.g. "crime_id is missing") when not.
  bool parse(std::string_view bytes, CallView& call, std::string& reason);

 private:
  simdjson::ondemand::parser parser_;
  std::string padded_;  // the message copied with simdjson's padding after it
};

}  // namespace sfcrimed
