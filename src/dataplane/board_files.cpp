#include "dataplane/board_files.h"

namespace rackboot::dataplane {

BoardFiles::BoardFiles(std::vector<File> files, std::array<std::string, proto::kTemplateVars> values)
    : files_(std::move(files)), values_(std::move(values)) {
}

const BoardFiles::File* BoardFiles::find(std::string_view path) const noexcept {
    for (const File& f : files_) {
        if (f.folded.size() != path.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < path.size() && same; ++i) {
            char c = path[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            same = c == f.folded[i];
        }
        if (same) return &f;
    }
    return nullptr;
}

std::size_t BoardFiles::render(const File& file, std::string_view server, std::span<std::uint8_t> out) const noexcept {
    std::array<std::string_view, proto::kTemplateVars> v;
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = values_[i];
    v[static_cast<std::size_t>(proto::TemplateVar::server)] = server;
    return file.tmpl.render(v, out);
}

std::string BoardFiles::render(const File& file, std::string_view server) const {
    std::array<std::string_view, proto::kTemplateVars> v;
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = values_[i];
    v[static_cast<std::size_t>(proto::TemplateVar::server)] = server;
    return file.tmpl.render(v);
}

std::size_t BoardFiles::memory_bytes() const noexcept {
    std::size_t n = sizeof(*this) + files_.capacity() * sizeof(File);
    for (const File& f : files_) n += f.path.capacity() + f.folded.capacity() + 2 * f.tmpl.text().capacity();
    for (const std::string& s : values_) n += s.capacity();
    return n;
}

}  // namespace rackboot::dataplane
