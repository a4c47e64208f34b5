#include "sfcrimed/radio_codes.hpp"

#include <simdjson.h>

#include <fstream>
#include <iterator>
#include <system_error>

namespace sfcrimed {

RadioCodes RadioCodes::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw RadioCodesError(path + ": cannot read the radio-code table (" + std::generic_category().message(errno) +
                          "); set pipeline.radio_codes to a file in the radio_code.json format");
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse(text, path);
}

RadioCodes RadioCodes::parse(std::string_view json, const std::string& origin) {
  namespace od = simdjson::ondemand;
  const simdjson::padded_string padded(json);
  od::parser parser;
  od::document document;
  od::array entries;
  if (auto error = parser.iterate(padded).get(document)) {
    throw RadioCodesError(origin + ": not valid JSON: " + simdjson::error_message(error));
  }
  if (auto error = document.get_array().get(entries)) {
    throw RadioCodesError(origin + R"(: expected a JSON array of {"description", "disposition_code"} objects ()" +
                          simdjson::error_message(error) + ")");
  }
  RadioCodes table;
  std::size_t index = 0;
  for (auto entry : entries) {
    od::object object;
    std::string_view code;
    std::string_view description;
    const auto where = origin + ": entry " + std::to_string(index);
    if (entry.get_object().get(object) != simdjson::SUCCESS) {
      throw RadioCodesError(where + " is not an object");
    }
    if (object.find_field_unordered("disposition_code").get_string().get(code) != simdjson::SUCCESS || code.empty()) {
      throw RadioCodesError(where + " has no disposition_code string");
    }
    if (object.find_field_unordered("description").get_string().get(description) != simdjson::SUCCESS) {
      throw RadioCodesError(where + " (" + std::string(code) + ") has no description string");
    }
    const auto [at, added] = table.descriptions_.emplace(code, description);
    if (!added && at->second != description) {
      throw RadioCodesError(where + ": code " + std::string(code) + " is already described as \"" + at->second +
                            "\", not \"" + std::string(description) + "\"");
    }
    ++index;
  }
  return table;
}

std::optional<std::string_view> RadioCodes::describe(std::string_view code) const {
  const auto found = descriptions_.find(std::string(code));
  if (found == descriptions_.end()) {
    return std::nullopt;
  }
  return found->second;
}

}  // namespace sfcrimed
