// Pass/fail thresholds on a run's figures, k6's convention: --require 'failed=0,p99_boot_s<30'
// makes the swarm exit 99 when one does not hold, so CI and users can gate on a run.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "proto/result.h"

namespace rackboot::swarm {

struct Requirement {
    std::string text;    // as given, for the report
    std::string metric;  // a key of the report's flat figures (metric_names())
    enum class Op { Lt, Le, Gt, Ge, Eq, Ne } op = Op::Eq;
    double value = 0;
};

// Parses a comma-separated list, or gives the reason (with the offending item). Every metric must
// be in `known`.
[[nodiscard]] proto::Result<std::vector<Requirement>> parse_requirements(const std::string& text,
                                                                         const std::vector<std::string>& known);

struct RequirementResult {
    const Requirement* req = nullptr;
    double actual = 0;
    bool ok = false;
};

[[nodiscard]] std::vector<RequirementResult> check_requirements(const std::vector<Requirement>& reqs,
                                                                const std::map<std::string, double>& figures);

}  // namespace rackboot::swarm
