#include "control/api/client_json.h"

namespace rackboot::control {

using nlohmann::json;

json parse_client_json(std::string_view text, ClientJsonError& error, int max_depth) {
    bool too_deep = false;
    std::string top_key;
    std::string deep_key;
    // The callback sees every event with its depth (0: the top-level value); a refused start
    // discards that value, and the parser (iterative) reads on without building it.
    json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::key && depth == 1 && parsed.is_string()) {
            top_key = parsed.get<std::string>();
        }
        if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
            depth >= max_depth) {
            if (!too_deep) deep_key = top_key;
            too_deep = true;
            return false;
        }
        return true;
    };
    json value = json::parse(text.begin(), text.end(), cb, false);
    if (value.is_discarded()) {
        error.message = "the body is not valid JSON";
    } else if (too_deep) {
        value = json(json::value_t::discarded);
        error.message = "the body nests objects and arrays deeper than " + std::to_string(max_depth) + " levels";
        error.field = deep_key;
    }
    return value;
}

std::string quote_client_value(const json& v) {
    switch (v.type()) {
        case json::value_t::string: {
            const auto& s = v.get_ref<const std::string&>();
            if (s.size() <= kMaxQuotedChars) return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
            return json(s.substr(0, kMaxQuotedChars)).dump(-1, ' ', false, json::error_handler_t::replace) + "... (" +
                   std::to_string(s.size()) + " characters)";
        }
        case json::value_t::object: return "an object of " + std::to_string(v.size()) + " members";
        case json::value_t::array: return "an array of " + std::to_string(v.size()) + " elements";
        default: return v.dump();  // a number, a boolean or null: short by construction
    }
}

}  // namespace rackboot::control
