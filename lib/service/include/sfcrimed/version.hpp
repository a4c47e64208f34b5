#pragma once
// What sfcrimed was built from and with, for `sfcrimed --version` and the logs.

#include <string>

namespace sfcrimed {

// "sfcrimed 0.1.0"
std::string version();

// One line per library: name, then the version it was built against (and, where the
// library can tell, the version loaded at run time).
std::string dependency_versions();

}  // namespace sfcrimed
