#include "swarm/requirements.h"

#include <algorithm>
#include <cstdlib>

namespace rackboot::swarm {

namespace {

std::string trim(const std::string& s) {
    std::size_t a = s.find_first_not_of(" \t");
    if (a == std::string::npos) return "";
    std::size_t b = s.find_last_not_of(" \t");
    return s.substr(a, b - a + 1);
}

}  // namespace

proto::Result<std::vector<Requirement>> parse_requirements(const std::string& text,
                                                           const std::vector<std::string>& known) {
    std::vector<Requirement> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        std::string item = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        start = comma == std::string::npos ? text.size() + 1 : comma + 1;
        if (item.empty()) continue;
        std::size_t at = item.find_first_of("<>=!");
        if (at == std::string::npos || at == 0) {
            return proto::failure("'" + item + "': expected METRIC<VALUE, <=, >, >=, = or !=");
        }
        Requirement r;
        r.text = item;
        r.metric = trim(item.substr(0, at));
        std::string rest = item.substr(at);
        std::size_t oplen = 1;
        if (rest.rfind("<=", 0) == 0) {
            r.op = Requirement::Op::Le;
            oplen = 2;
        } else if (rest.rfind(">=", 0) == 0) {
            r.op = Requirement::Op::Ge;
            oplen = 2;
        } else if (rest.rfind("==", 0) == 0) {
            r.op = Requirement::Op::Eq;
            oplen = 2;
        } else if (rest.rfind("!=", 0) == 0) {
            r.op = Requirement::Op::Ne;
            oplen = 2;
        } else if (rest[0] == '<') {
            r.op = Requirement::Op::Lt;
        } else if (rest[0] == '>') {
            r.op = Requirement::Op::Gt;
        } else if (rest[0] == '=') {
            r.op = Requirement::Op::Eq;
        } else {
            return proto::failure("'" + item + "': unknown comparison");
        }
        std::string number = trim(rest.substr(oplen));
        char* end = nullptr;
        r.value = std::strtod(number.c_str(), &end);
        if (number.empty() || end == nullptr || *end != '\0') {
            std::string why = "'" + item;
            why += "': '";
            why += number;
            why += "' is not a number";
            return proto::failure(why);
        }
        if (std::find(known.begin(), known.end(), r.metric) == known.end()) {
            std::string why = "'" + item + "': no metric '" + r.metric + "' (known: ";
            for (std::size_t i = 0; i < known.size(); ++i) {
                if (i != 0) why += ", ";
                why += known[i];
            }
            return proto::failure(why + ")");
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<RequirementResult> check_requirements(const std::vector<Requirement>& reqs,
                                                  const std::map<std::string, double>& figures) {
    std::vector<RequirementResult> out;
    for (const Requirement& r : reqs) {
        RequirementResult res;
        res.req = &r;
        auto it = figures.find(r.metric);
        res.actual = it == figures.end() ? 0 : it->second;
        switch (r.op) {
            case Requirement::Op::Lt: res.ok = res.actual < r.value; break;
            case Requirement::Op::Le: res.ok = res.actual <= r.value; break;
            case Requirement::Op::Gt: res.ok = res.actual > r.value; break;
            case Requirement::Op::Ge: res.ok = res.actual >= r.value; break;
            case Requirement::Op::Eq: res.ok = res.actual == r.value; break;
            case Requirement::Op::Ne: res.ok = res.actual != r.value; break;
        }
        if (it == figures.end()) res.ok = false;
        out.push_back(res);
    }
    return out;
}

}  // namespace rackboot::swarm
