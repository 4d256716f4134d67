#include "proto/netascii.h"

namespace rackboot::proto {

std::size_t netascii_encode(ConstBytes input, NetasciiCursor& cursor, MutableBytes out) noexcept {
    std::size_t w = 0;
    if (cursor.has_pending && w < out.size()) {
        out[w++] = cursor.pending;
        cursor.has_pending = false;
    }
    std::size_t r = 0;
    while (w < out.size() && r < input.size()) {
        std::uint8_t c = input[r++];
        if (c == '\n' || c == '\r') {
            out[w++] = '\r';
            std::uint8_t second = (c == '\n') ? '\n' : '\0';
            if (w < out.size()) {
                out[w++] = second;
            } else {
                cursor.pending = second;
                cursor.has_pending = true;
            }
        } else {
            out[w++] = c;
        }
    }
    cursor.offset += r;
    return w;
}

}  // namespace rackboot::proto
