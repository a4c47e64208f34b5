// `sfcrimed sample`: writes a generated sample of calls (lib/core/src/sample.cpp).

#include <boost/program_options.hpp>
#include <iostream>

#include "commands.hpp"
#include "sfcrimed/sample.hpp"

namespace sfcrimed::daemon {

int sample_command(int argc, const char* const* argv) {
  namespace po = boost::program_options;
  SampleOptions options;
  std::string out;
  po::options_description description(
      "Usage: sfcrimed sample --records N [--seed S] --out FILE\n\n"
      "Writes N calls in the published file's schema and shape (newest first, a few calls twice), generated\n"
      "deterministically from the seed: demos and tests use it where the real data is not at hand.\n"
      "FILE ending in .jsonl or .ndjson gets JSON lines, anything else a JSON array; .gz or .bz2 after\n"
      "that compresses it.\n\nOptions");
  description.add_options()                                                                          //
      ("records,n", po::value(&options.records)->required(), "how many calls, duplicates included")  //
      ("seed,s", po::value(&options.seed)->default_value(1), "the same seed gives the same file")    //
      ("out,o", po::value(&out)->required(), "the file to write")                                    //
      ("help,h", "print this help");
  po::variables_map vm;
  if (const auto status = parse_subcommand("sample", description, argc, argv, vm)) {
    return *status;
  }
  try {
    write_sample(out, options);
  } catch (const std::exception& e) {
    std::cerr << "sfcrimed sample: " << e.what() << "\n";
    return kExitFailed;
  }
  std::cerr << "sfcrimed sample: wrote " << options.records << " calls (" << sample_duplicates(options.records)
            << " of them second copies) to " << out << "\n";
  return 0;
}

}  // namespace sfcrimed::daemon
