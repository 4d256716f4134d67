// A swarm run's report: the figures a --require threshold can name, the JSON written by --json,
// and the summary printed at the end.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "swarm/options.h"
#include "swarm/requirements.h"
#include "swarm/swarm_engine.h"

namespace rackboot::swarm {

// Every metric a --require may name, for parse_requirements().
[[nodiscard]] std::vector<std::string> metric_names();
// --list-fleet: one line per Pi, "SERIAL MAC MODEL" (the serial as the firmware sends it).
[[nodiscard]] std::string fleet_listing(const SwarmOptions& options);
// One line per Pi: "board SERIAL MAC MODEL booted in 4.21 s, 1 attempt, address A" (or failed on
// FILE: REASON, or the phase it was stopped in), for a fleet from an inventory.
[[nodiscard]] std::string board_report(const SwarmEngine& e);
// The run's figures by metric name (seconds for times, percent for rates).
[[nodiscard]] std::map<std::string, double> run_figures(const SwarmEngine& engine, double elapsed_s);

[[nodiscard]] nlohmann::json run_report(const SwarmOptions& options, const SwarmEngine& engine, double elapsed_s,
                                        const std::vector<RequirementResult>& checked);
// A few lines for a person.
[[nodiscard]] std::string run_summary(const SwarmEngine& engine, double elapsed_s,
                                      const std::vector<RequirementResult>& checked);
// The live line on a terminal.
[[nodiscard]] std::string progress_line(const SwarmEngine& engine, double elapsed_s, double mb_per_s,
                                        double frames_per_s);

}  // namespace rackboot::swarm
