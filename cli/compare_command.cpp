// tpbench compare BASE.json NEW.json: per benchmark, whether NEW regressed against BASE, judged as
// tpb/compare.hpp states (every repetition a sample, Mann-Whitney U with Holm's correction, a
// threshold on the Hodges-Lehmann change). Records from different machines are refused (exit 3)
// unless --allow-mismatch.
#include <iostream>

#include "command.hpp"
#include "compare_io.hpp"
#include "options.hpp"

namespace tpb::cli {

int run_compare(const Invocation& invocation) {
  po::options_description options = option_table();
  add_comparison_options(options);
  options.add_options()                                                         //
      ("allow-mismatch", flag(), "compare records made on different machines")  //
      ("records", po::value<std::vector<std::string>>()->multitoken(),
       "BASE.json NEW.json (given as the two arguments)");
  po::positional_options_description positional;
  positional.add("records", -1);
  po::variables_map values;
  if (!parse_options(invocation,
                     {"compare",
                      "BASE.json NEW.json [--threshold PCT] [--alpha A] [--md FILE] "
                      "[--junit FILE] [--json FILE] [--allow-mismatch]",
                      "Compares two run records benchmark by benchmark. Exit 0: no regression; "
                      "1: a regression; 2: bad input; 3: machines differ, or nothing could be "
                      "judged."},
                     options, values, positional))
    return kExitSuccess;
  const auto records = values.count("records") ? values["records"].as<std::vector<std::string>>()
                                               : std::vector<std::string>{};
  if (records.size() != 2)
    throw UsageError("takes exactly two records, BASE.json NEW.json; see tpbench compare --help");
  const auto compare_options = comparison_options(invocation, values);
  const LoadedRecord base = load_for_compare(records[0]);
  const LoadedRecord next = load_for_compare(records[1]);
  if (const auto problem = machine_mismatch(base, next, values["allow-mismatch"].as<bool>());
      !problem.empty()) {
    std::cerr << "tpbench compare: " << problem << " (--allow-mismatch to compare anyway)\n";
    return kExitUntrusted;
  }
  const auto comparison = compare::compare_samples(base.samples, next.samples, compare_options);
  report_comparison(comparison, values);
  const int verdict = comparison_exit_code(comparison);
  if (verdict == kExitUntrusted)
    std::cerr << "tpbench compare: " << nothing_judged_reason(comparison) << '\n';
  return verdict;
}

}  // namespace tpb::cli
