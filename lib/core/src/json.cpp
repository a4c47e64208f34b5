#include "sfcrimed/json.hpp"

#include <array>

namespace sfcrimed {

void append_json_string(std::string& out, std::string_view text, JsonBytes bytes) {
  constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                         '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f || (byte > 0x7f && bytes == JsonBytes::ascii)) {
      out += "\\u00";
      out += kHex[byte >> 4U];
      out += kHex[byte & 0xfU];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string json_string(std::string_view text, JsonBytes bytes) {
  std::string out;
  out.reserve(text.size() + 2);
  append_json_string(out, text, bytes);
  return out;
}

}  // namespace sfcrimed
