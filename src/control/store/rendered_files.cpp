#include "control/store/rendered_files.h"

#include <cctype>

#include "proto/pi_file_limits.h"

namespace rackboot::control {

namespace {

std::string folded(const std::string& path) {
    std::string out = path;
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// One of the board's files rendered and checked; `whose` says where it comes from.
Outcome check_one(const Board& board, const std::string& path, const std::string& whose, const std::string& text,
                  std::span<const std::string_view, proto::kTemplateVars> values) {
    std::string at = "board " + board.serial.to_string() + ": " + path + " (" + whose + "): ";
    auto t = proto::FileTemplate::compile(text);
    if (!t) return Outcome::fail(ApiError::invalid_field, at + t.error().reason, "files");
    std::string rendered = t->render(values);
    if (rendered.size() > proto::kMaxTemplateBytes) {
        return Outcome::fail(ApiError::invalid_field,
                             at + "renders to " + std::to_string(rendered.size()) + " bytes, past " +
                                 std::to_string(proto::kMaxTemplateBytes),
                             "files");
    }
    if (auto cut = proto::firmware_would_cut(path, rendered)) {
        return Outcome::fail(ApiError::invalid_field, at + *cut, "files");
    }
    return {};
}

}  // namespace

std::map<std::string, std::string> effective_files(const Board& board, const Image* image) {
    std::map<std::string, std::string> out;      // by folded path: one file however it is spelled
    std::map<std::string, std::string> spelled;  // folded -> as configured
    auto add = [&](const std::map<std::string, std::string>& files) {
        for (const auto& [path, text] : files) {
            std::string key = folded(path);
            out[key] = text;
            spelled[key] = path;
        }
    };
    if (image != nullptr) add(image->files);
    add(board.files);
    std::map<std::string, std::string> result;
    for (auto& [key, text] : out) result[spelled[key]] = std::move(text);
    return result;
}

std::array<std::string, proto::kTemplateVars> template_values(const Board& board, std::optional<proto::Ipv4> address) {
    using proto::TemplateVar;
    std::array<std::string, proto::kTemplateVars> v;
    v[static_cast<std::size_t>(TemplateVar::serial)] = board.serial.to_string();
    if (!board.macs.empty()) {
        v[static_cast<std::size_t>(TemplateVar::mac)] = board.macs.front().to_string();
    } else if (!board.learnt_macs.empty()) {
        v[static_cast<std::size_t>(TemplateVar::mac)] = board.learnt_macs.front().mac.to_string();
    }
    if (address) v[static_cast<std::size_t>(TemplateVar::address)] = address->to_string();
    v[static_cast<std::size_t>(TemplateVar::name)] = board.name;
    std::string labels;
    for (const auto& [k, val] : board.labels) {
        if (!labels.empty()) labels += ',';
        labels.append(k).append("=").append(val);
    }
    v[static_cast<std::size_t>(TemplateVar::labels)] = labels;
    if (board.root) v[static_cast<std::size_t>(TemplateVar::root)] = root_reference(*board.root);
    return v;
}

Outcome check_rendered_files(const Board& board, const Image* image) {
    using proto::TemplateVar;
    std::map<std::string, std::string> files = effective_files(board, image);
    if (files.empty()) return {};
    std::array<std::string, proto::kTemplateVars> v = template_values(board, board.ip);
    if (!board.ip) v[static_cast<std::size_t>(TemplateVar::address)] = "255.255.255.255";
    if (v[static_cast<std::size_t>(TemplateVar::mac)].empty())
        v[static_cast<std::size_t>(TemplateVar::mac)] = "ff:ff:ff:ff:ff:ff";
    v[static_cast<std::size_t>(TemplateVar::server)] = "255.255.255.255";
    // A board without a root counts as NBD's (an NFS root's own path is checked when it is added).
    if (!board.root) v[static_cast<std::size_t>(TemplateVar::root)] = kNbdRootExport;
    std::array<std::string_view, proto::kTemplateVars> values;
    for (std::size_t i = 0; i < v.size(); ++i) values[i] = v[i];
    for (const auto& [path, text] : files) {
        std::string whose =
            board.files.count(path) != 0 || image == nullptr ? "its own" : "image '" + image->name + "'";
        if (Outcome o = check_one(board, path, whose, text, values); !o.ok()) return o;
    }
    return {};
}

}  // namespace rackboot::control
