#pragma once
// How program_options carries the settings of the table (settings_table.hpp): strings,
// numbers and flags straight into their Config field, with program_options' own message
// for a value that is not one; durations and choices as text, which read() turns into
// their field (its messages are sfcrimed's).

#include <boost/program_options.hpp>
#include <string>

#include "sfcrimed/settings_table.hpp"

namespace sfcrimed::settings {

// The declaration of `setting` for program_options: where it stores the value read (in
// `config`), and its default as --help shows it (none for empty text).
boost::program_options::value_semantic* option(const Setting& setting, Config& config, const Config& defaults);

// Turns the text program_options holds for `setting` (a duration, a choice) into its field
// of `config`; what is wrong with the text, or "". Does nothing for the settings
// program_options stores itself.
std::string read(const Setting& setting, const boost::program_options::variables_map& values, Config& config);

}  // namespace sfcrimed::settings
