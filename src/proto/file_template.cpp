#include "proto/file_template.h"

#include <cstring>

namespace rackboot::proto {

Result<FileTemplate> FileTemplate::compile(std::string_view text) {
    if (text.size() > kMaxTemplateBytes) {
        return failure("a file template is at most " + std::to_string(kMaxTemplateBytes) + " bytes (this one is " +
                       std::to_string(text.size()) + ")");
    }
    FileTemplate t;
    t.text_ = std::string(text);
    auto literal = [&](std::string_view run) {
        if (run.empty()) return;
        if (!t.pieces_.empty() && t.pieces_.back().var < 0) {
            t.pieces_.back().length += static_cast<std::uint32_t>(run.size());
        } else {
            t.pieces_.push_back(
                Piece{static_cast<std::uint32_t>(t.literals_.size()), static_cast<std::uint32_t>(run.size()), -1});
        }
        t.literals_ += run;
    };
    std::size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == '}') {
            if (i + 1 < text.size() && text[i + 1] == '}') {
                literal("}");
                i += 2;
                continue;
            }
            return failure("a '}' with no '{' at byte " + std::to_string(i) + " (write '}}' for a literal brace)");
        }
        if (c != '{') {
            std::size_t next = text.find_first_of("{}", i);
            if (next == std::string_view::npos) next = text.size();
            literal(text.substr(i, next - i));
            i = next;
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '{') {
            literal("{");
            i += 2;
            continue;
        }
        std::size_t close = text.find('}', i);
        if (close == std::string_view::npos) {
            return failure("a '{' with no '}' at byte " + std::to_string(i) + " (write '{{' for a literal brace)");
        }
        std::string_view name = text.substr(i + 1, close - i - 1);
        std::int8_t var = -1;
        for (std::size_t v = 0; v < kTemplateVars; ++v) {
            if (kTemplateVarNames[v] == name) var = static_cast<std::int8_t>(v);
        }
        if (var < 0) {
            std::string known;
            for (std::string_view n : kTemplateVarNames) known += (known.empty() ? "{" : ", {") + std::string(n) + "}";
            return failure("unknown variable {" + std::string(name) + "} at byte " + std::to_string(i) +
                           " (known: " + known + ")");
        }
        t.pieces_.push_back(Piece{0, 0, var});
        i = close + 1;
    }
    return t;
}

std::size_t FileTemplate::render(std::span<const std::string_view, kTemplateVars> values,
                                 std::span<std::uint8_t> out) const noexcept {
    std::size_t n = 0;
    for (const Piece& p : pieces_) {
        std::string_view s = p.var < 0 ? std::string_view(literals_).substr(p.offset, p.length)
                                       : values[static_cast<std::size_t>(p.var)];
        if (s.size() > out.size() - n) return SIZE_MAX;
        std::memcpy(out.data() + n, s.data(), s.size());
        n += s.size();
    }
    return n;
}

std::string FileTemplate::render(std::span<const std::string_view, kTemplateVars> values) const {
    std::string out;
    for (const Piece& p : pieces_) {
        out += p.var < 0 ? std::string_view(literals_).substr(p.offset, p.length)
                         : values[static_cast<std::size_t>(p.var)];
    }
    return out;
}

bool FileTemplate::uses(TemplateVar var) const noexcept {
    for (const Piece& p : pieces_) {
        if (p.var == static_cast<std::int8_t>(var)) return true;
    }
    return false;
}

}  // namespace rackboot::proto
