#include "rackbootd/config_file.h"

#include <algorithm>

#include <toml++/toml.h>

#include "rackbootd/flags.h"

namespace rackboot::control {

namespace {

// How the file gives `key` (its flag's row); Value for a key no flag has (the flag's parser then
// refuses it as an unknown option, with the file's line).
proto::FlagShape shape_of(const std::string& key) {
    const proto::FlagRow<DaemonConfig>* row = proto::find_flag(daemon_flags(), "--" + key);
    return row == nullptr ? proto::FlagShape::Value : row->shape;
}

// "--key=value", built without temporaries.
std::string flag_with(const std::string& key, const std::string& value) {
    std::string f = "--";
    f += key;
    f += '=';
    f += value;
    return f;
}

bool scalar_text(const toml::node& n, std::string& out) {
    if (auto s = n.value<std::string>()) {
        out = *s;
        return true;
    }
    if (n.is_integer()) {
        out = std::to_string(*n.value<std::int64_t>());
        return true;
    }
    return false;
}

}  // namespace

proto::Result<std::vector<ConfigFlag>> read_config_file(const std::string& path) {
    std::vector<ConfigFlag> out;
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        return proto::failure(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
    }
    auto where = [&](const toml::node& n) { return path + ":" + std::to_string(n.source().begin.line) + ": "; };
    for (const auto& [k, node] : root) {
        std::string key(k.str());
        for (char& c : key) c = c == '_' ? '-' : c;
        std::size_t line = node.source().begin.line;
        proto::FlagShape shape = shape_of(key);
        if (shape == proto::FlagShape::CommandLine) {
            return proto::failure(where(node) + "'" + key + "' is a command-line flag only");
        }
        if (node.is_table()) {
            return proto::failure(where(node) + "[" + key + "]: the file has no tables; every key is a flag's name");
        }
        if (auto b = node.value<bool>(); b && node.is_boolean()) {
            if (shape == proto::FlagShape::Switch) {
                if (*b) out.push_back({line, "--" + key});
            } else if (shape == proto::FlagShape::OnOff) {
                out.push_back({line, flag_with(key, *b ? "on" : "off")});
            } else {
                return proto::failure(where(node) + key + " takes a value, not true or false");
            }
            continue;
        }
        if (const toml::array* arr = node.as_array()) {
            std::string joined;
            for (const toml::node& item : *arr) {
                std::string v;
                if (!scalar_text(item, v)) {
                    return proto::failure(where(item) + key + ": list items are strings or integers");
                }
                if (shape == proto::FlagShape::List) {
                    joined += (joined.empty() ? "" : ",") + v;
                } else {
                    out.push_back({item.source().begin.line, flag_with(key, v)});
                }
            }
            if (shape == proto::FlagShape::List && !joined.empty()) out.push_back({line, flag_with(key, joined)});
            continue;
        }
        std::string v;
        if (!scalar_text(node, v)) {
            return proto::failure(where(node) + key + ": the value is a string, an integer, a boolean or a list");
        }
        if (shape == proto::FlagShape::Switch) {
            return proto::failure(where(node) + key + " is set with true or false");
        }
        out.push_back({line, flag_with(key, v)});
    }
    // toml++ keeps a table's keys sorted; the flags apply in file order (a repeated --api: the last
    // one written wins).
    std::stable_sort(out.begin(), out.end(), [](const ConfigFlag& a, const ConfigFlag& b) { return a.line < b.line; });
    return out;
}

}  // namespace rackboot::control
