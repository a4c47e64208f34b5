#pragma once
// The radio-code table: what each disposition code means, for the pipeline's join of
// dispositions with their descriptions. The join is a left join: a code the table lacks
// keeps its code with no description (the published calls have 11 such codes, 19,847
// calls, "Not recorded" among them; an inner join would drop them silently).
//
// File format: the classic radio_code.json, a JSON array of
//   {"description": "Handled", "disposition_code": "HAN"}
// objects, keys in any order (etc/radio_codes.json is sfcrimed's own).

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sfcrimed {

// A table file that cannot be used; the message names the file and the entry.
class RadioCodesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RadioCodes {
 public:
  // Reads `path`; throws RadioCodesError (missing, not JSON, an entry without both
  // strings, a code given twice with different descriptions).
  static RadioCodes load(const std::string& path);
  // The project's own table, etc/radio_codes.json as it was when sfcrimed was built.
  static RadioCodes builtin();
  // The same from JSON text; `origin` names it in errors.
  static RadioCodes parse(std::string_view json, const std::string& origin);

  // The description of `code`, or nothing when the table has no such code.
  [[nodiscard]] std::optional<std::string_view> describe(std::string_view code) const;
  [[nodiscard]] std::size_t size() const { return descriptions_.size(); }

 private:
  std::unordered_map<std::string, std::string> descriptions_;
};

}  // namespace sfcrimed
