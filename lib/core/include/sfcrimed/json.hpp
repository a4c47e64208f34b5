#pragma once
// Writing JSON text: sfcrimed writes its few JSON shapes (summaries, stats messages,
// state snapshots) by hand, and every string goes through here.

#include <string>
#include <string_view>

namespace sfcrimed {

// How bytes outside ASCII are written.
enum class JsonBytes {
  utf8,   // as they are: the text is known to be valid UTF-8 (it came out of a JSON parser)
  ascii,  // each as \u00XX: the bytes may be anything (a malformed message shown to a person)
};

// Appends `text` as a JSON string literal, quotes included; `"`, `\` and control
// characters are escaped.
void append_json_string(std::string& out, std::string_view text, JsonBytes bytes = JsonBytes::utf8);

// The same, as a new string.
std::string json_string(std::string_view text, JsonBytes bytes = JsonBytes::utf8);

}  // namespace sfcrimed
