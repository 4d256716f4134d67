// A program's flags as one table (STYLE.md "A flag is declared once"): each row holds the flag's
// name, its metavar, how a config file spells it, its help and its parser; the usage text, the
// config file's keys and the parsing all read the rows, so a flag is written in one place.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/result.h"

namespace rackboot::proto {

// How a config file gives the flag (the key is the name without "--").
enum class FlagShape : std::uint8_t {
    Value,        // key = "value" or 123; repeated for a repeatable flag by a list, one value each
    List,         // key = [a, b]: joined with ',' into one value
    OnOff,        // key = true|false: "on" or "off"
    Switch,       // key = true: the flag given (takes no value)
    CommandLine,  // not a file key (--config, --help)
};

template <class Config>
struct FlagRow {
    std::string_view name;     // "--tftp-root"; empty: a line of the usage alone (help: its text)
    std::string_view metavar;  // "DIR"; empty: the flag takes no value
    FlagShape shape = FlagShape::Value;
    std::string_view help;  // its lines after the first are indented under the first
    // Applies the value; the failure's reason completes "--flag: 'value' <reason>".
    Result<> (*apply)(Config&, std::string_view value) = nullptr;
    std::string_view usage = {};  // the usage's left column when not "name metavar"; "-": not shown
};

template <class Config>
[[nodiscard]] const FlagRow<Config>* find_flag(std::span<const FlagRow<Config>> rows, std::string_view name) {
    for (const FlagRow<Config>& r : rows) {
        if (!r.name.empty() && r.name == name) return &r;
    }
    return nullptr;
}

// The usage's lines for `rows`: each flag's left column, then its help from column 25 (on the
// next line when the left column is too wide).
template <class Config>
[[nodiscard]] std::string flag_usage(std::span<const FlagRow<Config>> rows) {
    constexpr std::size_t kColumn = 25;
    std::string out;
    for (const FlagRow<Config>& r : rows) {
        if (r.usage == "-") continue;
        std::string left;
        if (r.name.empty()) {
            out += r.help.empty() ? std::string() : "  " + std::string(r.help);
            out += '\n';
            continue;
        }
        left = r.usage.empty() ? std::string(r.name) + (r.metavar.empty() ? "" : " " + std::string(r.metavar))
                               : std::string(r.usage);
        std::string line = "  " + left;
        if (r.help.empty()) {
            out += line + '\n';
            continue;
        }
        if (line.size() + 2 <= kColumn) {
            line.append(kColumn - line.size(), ' ');
        } else {
            line += '\n';
            line.append(kColumn, ' ');
        }
        std::string_view help = r.help;
        for (std::size_t nl; (nl = help.find('\n')) != std::string_view::npos; help.remove_prefix(nl + 1)) {
            line += std::string(help.substr(0, nl)) + '\n';
            line.append(kColumn, ' ');
        }
        out += line + std::string(help) + '\n';
    }
    return out;
}

// A value as an error message quotes it: control bytes and non-ASCII escaped as \xNN and long
// values cut, so that a refusal stays one readable line whatever was passed.
[[nodiscard]] inline std::string printable(std::string_view text) {
    constexpr std::size_t kMax = 200;
    std::string out;
    for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out.push_back(static_cast<char>(c));
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    if (text.size() > kMax) out += "...";
    return out;
}

// Applies `args` (a command line without the program's name) over `cfg` in place, each flag
// through its row: "--flag VALUE" or "--flag=VALUE"; a row without a metavar takes no value (an
// inline one is ignored); "-h" is "--help". The failure names the flag: "--flag: 'VALUE' <the
// row's reason>"; `cfg` is then half done.
template <class Config>
[[nodiscard]] Result<> apply_flags(std::span<const FlagRow<Config>> rows, std::span<const std::string_view> args,
                                   Config& cfg) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string flag(args[i]);
        std::string value;
        std::size_t eq = flag.find('=');
        bool inline_value = flag.rfind("--", 0) == 0 && eq != std::string::npos;
        if (inline_value) {
            value = flag.substr(eq + 1);
            flag.resize(eq);
        }
        if (flag == "-h") flag = "--help";
        const FlagRow<Config>* row = find_flag(rows, flag);
        if (row == nullptr) {
            return failure(flag.rfind('-', 0) == 0 ? "unknown option '" + printable(flag) + "' (see --help)"
                                                   : "unexpected argument '" + printable(flag) + "'",
                           2);
        }
        if (row->metavar.empty()) {
            (void)row->apply(cfg, {});  // a switch
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= args.size()) return failure(flag + ": missing value", 2);
            value = std::string(args[++i]);
        }
        if (Result<> r = row->apply(cfg, value); !r) {
            return failure(flag + ": '" + printable(value) + "' " + r.error().reason, 2);
        }
    }
    return {};
}

}  // namespace rackboot::proto
