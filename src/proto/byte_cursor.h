// Bounds-checked reading and writing over byte spans. Every read checks that the bytes exist
// before touching them; a failed read leaves the cursor unchanged and returns false/nullopt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace rackboot::proto {

using ConstBytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

class ByteReader {
public:
    explicit ByteReader(ConstBytes data) noexcept : data_(data) {}

    [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
    [[nodiscard]] std::size_t position() const noexcept { return pos_; }
    [[nodiscard]] bool empty() const noexcept { return remaining() == 0; }

    [[nodiscard]] std::optional<std::uint8_t> u8() noexcept {
        if (remaining() < 1) return std::nullopt;
        return data_[pos_++];
    }

    [[nodiscard]] std::optional<std::uint16_t> be16() noexcept {
        if (remaining() < 2) return std::nullopt;
        auto v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
        pos_ += 2;
        return v;
    }

    [[nodiscard]] std::optional<std::uint32_t> be32() noexcept {
        if (remaining() < 4) return std::nullopt;
        std::uint32_t v = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
                          (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
        pos_ += 4;
        return v;
    }

    [[nodiscard]] std::optional<ConstBytes> bytes(std::size_t n) noexcept {
        if (remaining() < n) return std::nullopt;
        ConstBytes out = data_.subspan(pos_, n);
        pos_ += n;
        return out;
    }

    // A NUL-terminated string; the NUL is consumed but not part of the view.
    [[nodiscard]] std::optional<std::string_view> cstring() noexcept {
        const void* nul = std::memchr(data_.data() + pos_, 0, remaining());
        if (nul == nullptr) return std::nullopt;
        auto len = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - (data_.data() + pos_));
        std::string_view out(reinterpret_cast<const char*>(data_.data() + pos_), len);
        pos_ += len + 1;
        return out;
    }

    // What is left, without consuming it.
    [[nodiscard]] ConstBytes peek_rest() const noexcept { return data_.subspan(pos_); }
    [[nodiscard]] ConstBytes rest() noexcept {
        ConstBytes out = data_.subspan(pos_);
        pos_ = data_.size();
        return out;
    }

private:
    ConstBytes data_;
    std::size_t pos_ = 0;
};

// Writes into a fixed buffer; once a write does not fit, the writer is marked failed and every
// later write is a no-op, so builders check ok() once at the end.
class ByteWriter {
public:
    explicit ByteWriter(MutableBytes out) noexcept : out_(out) {}

    [[nodiscard]] bool ok() const noexcept { return ok_; }
    [[nodiscard]] std::size_t size() const noexcept { return pos_; }

    void u8(std::uint8_t v) noexcept {
        if (!reserve(1)) return;
        out_[pos_++] = v;
    }
    void be16(std::uint16_t v) noexcept {
        if (!reserve(2)) return;
        out_[pos_++] = static_cast<std::uint8_t>(v >> 8);
        out_[pos_++] = static_cast<std::uint8_t>(v);
    }
    void be32(std::uint32_t v) noexcept {
        if (!reserve(4)) return;
        for (int shift = 24; shift >= 0; shift -= 8) out_[pos_++] = static_cast<std::uint8_t>(v >> shift);
    }
    void bytes(ConstBytes b) noexcept {
        if (!reserve(b.size())) return;
        if (!b.empty()) std::memcpy(out_.data() + pos_, b.data(), b.size());
        pos_ += b.size();
    }
    void text(std::string_view s) noexcept {
        bytes(ConstBytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
    }
    void cstring(std::string_view s) noexcept {
        text(s);
        u8(0);
    }

private:
    bool reserve(std::size_t n) noexcept {
        if (!ok_ || out_.size() - pos_ < n) {
            ok_ = false;
            return false;
        }
        return true;
    }

    MutableBytes out_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace rackboot::proto
